/** The Temporal worker: runs every flow and every activity on one task queue. */
import {
  NativeConnection,
  Runtime,
  Worker,
  DefaultLogger,
  type LogLevel,
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Config } from '../config';
import { toApplicationFailure } from '../common/failures';
import { logger } from '../common/logger';

/** Domain errors leave every activity as Temporal failures with the right retryability. */
class FailureMappingInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0], next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1]) {
    try {
      return await next(input);
    } catch (err) {
      throw toApplicationFailure(err);
    }
  }
}

let runtimeInstalled = false;

/** The SDK's warnings and errors (failed activities, stuck workflow tasks) go to our logger. */
function installRuntimeLogger(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  Runtime.install({
    // Our entry points own shutdown (API first, then the worker, then the database pool).
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (entry) => {
      logger[levels[entry.level]]({ component: 'temporal', ...entry.meta }, entry.message);
    }),
  });
}

export interface WorkerOptions {
  config: Config;
  deps: ActivityDeps;
  address: string;
  /** A prebuilt workflow bundle (tests build it once); otherwise the worker bundles workflows/ itself. */
  workflowBundlePath?: string;
  /** Extra activity interceptors (tests inject faults into named steps with one). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  installRuntimeLogger();
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.config.temporal.taskQueue,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities(opts.deps),
    interceptors: {
      activity: [() => ({ inbound: new FailureMappingInterceptor() }), ...(opts.activityInterceptors ?? [])],
    },
    // On shutdown, in-flight activities get this long to finish before they are cancelled.
    shutdownGraceTime: '20s',
  });
  return { worker, connection };
}
