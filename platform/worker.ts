/** The Temporal worker: runs every flow and every activity on one task queue. */
import type { LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import {
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
} from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import { createActivities, selfHeartbeating, type ActivityDeps } from '../activities';
import type { Config } from '../config';
import { toApplicationFailure } from '../common/failures';
import { logger, type Logger } from '../common/logger';
import { setRuntimeMetricsUrl } from '../common/metrics';
import { freeLoopbackPort } from '../common/net';
import { flowSinks } from './flow-sink';
import { bundleInChildProcess } from './workflow-bundle';

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

/**
 * Heartbeats a running step that has a heartbeat timeout and does not heartbeat itself, three times
 * per timeout, until it ends. A step's timeout otherwise only runs out at its start-to-close timeout
 * (minutes for compute and agent calls): a worker SIGKILLed in the middle of one held its flow that
 * long before another worker retried it (found by the fault campaign, test/integration/chaos.test.ts).
 * With the heartbeat, the server notices the silence within the heartbeat timeout.
 */
export class KeepAliveInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0], next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1]) {
    const timeoutMs = this.ctx.info.heartbeatTimeoutMs;
    if (!timeoutMs || selfHeartbeating.has(this.ctx.info.activityType as never)) return next(input);
    const beat = setInterval(() => this.ctx.heartbeat(), Math.max(100, timeoutMs / 3));
    try {
      return await next(input);
    } finally {
      clearInterval(beat);
    }
  }
}

/**
 * The Temporal SDK's log lines (its own, the workflows' and activities' context loggers, and the Rust
 * core's, forwarded) go to our pino logger: one stream, JSON when not on a terminal, secrets redacted,
 * errors with their cause chain. Task tokens are dropped (an opaque credential for completing an
 * activity from outside) and the core's colour codes stripped.
 */
class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly target: () => Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const { taskToken: _taskToken, ...rest } = (meta ?? {}) as Record<string, unknown>;
    const log = this.target();
    log[pinoLevels[level]]({ component: 'temporal', ...rest }, stripAnsi(message));
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

const pinoLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;
const stripAnsi = (s: string) => s.replace(ansi, '');

/** The Runtime is one per process, installed by the first worker; its log lines go to the latest worker's logger. */
let runtimeLog: Logger = logger;
let runtimeInstalled = false;

async function installRuntime(config: Config, log: Logger): Promise<void> {
  runtimeLog = log;
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  let metrics: { prometheus: { bindAddress: string; countersTotalSuffix: boolean; useSecondsForDurations: boolean } } | undefined;
  if (config.temporal.metricsAddress) {
    const [host, port] = splitHostPort(config.temporal.metricsAddress);
    const bindAddress = `${host}:${port === 0 ? await freeLoopbackPort() : port}`;
    metrics = { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } };
    setRuntimeMetricsUrl(`http://${bindAddress}/metrics`);
  }
  Runtime.install({
    // Our entry points own shutdown (API first, then the worker, then the database pool).
    shutdownSignals: [],
    logger: new PinoTemporalLogger(() => runtimeLog),
    telemetryOptions: {
      // The core's own lines (polling errors, nondeterminism, ...) forwarded to the logger above.
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(metrics ? { metrics } : {}),
    },
  });
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i < 0 || !Number.isInteger(port)) throw new Error(`TEMPORAL_METRICS_ADDRESS must be host:port, not ${address}`);
  return [address.slice(0, i), port];
}

export interface WorkerOptions {
  config: Config;
  deps: ActivityDeps;
  /** Where the worker's and the SDK's log lines go (default: the process logger). */
  log?: Logger;
  address: string;
  /** Extra activity interceptors (tests inject faults into named steps with one). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const log = opts.log ?? logger;
  await installRuntime(opts.config, log);
  const codePath = opts.config.temporal.workflowBundle ?? (await bundleInChildProcess(log));
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.config.temporal.taskQueue,
    // The bundle carries the workflow interceptors (platform/workflow-bundle.ts).
    workflowBundle: { codePath },
    activities: createActivities(opts.deps),
    interceptors: {
      activity: [(ctx) => ({ inbound: new KeepAliveInterceptor(ctx) }), () => ({ inbound: new FailureMappingInterceptor() }), ...(opts.activityInterceptors ?? [])],
    },
    sinks: flowSinks(() => log),
    // On shutdown, in-flight activities get this long to finish before they are cancelled.
    shutdownGraceTime: '20s',
  });
  return { worker, connection };
}
