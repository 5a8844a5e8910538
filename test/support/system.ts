/**
 * An in-process system (worker + API on a free port) for one test file, against the dev server and
 * database of global-setup. Each gets its own task queue, so test files never steal each other's
 * tasks, and a no-op compute driver the test can inject faults into.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { NoopAmphoraDriver, noopAmphoraOptions } from '../../drivers/amphora';
import { NoopComputeDriver, noopComputeOptions, type AmphoraComputeDriver } from '../../drivers/compute';
import { logger, type Logger } from '../../common/logger';
import { loadConfig, type Config } from '../../config';
import { startSystem, type RunningSystem } from '../../platform/system';

export interface TestSystem<C extends AmphoraComputeDriver = NoopComputeDriver> extends RunningSystem {
  config: Config;
  compute: C;
  amphoraDriver: NoopAmphoraDriver;
  /** Activity names that fail (non-retryably) when they next run: fault injection into any step. */
  failingSteps: Set<string>;
  apiUrl: string;
  /** fetch() against the API with JSON bodies and the test project's header. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export const PROJECT_ID = 'e3cd678b11784734bc366148aa37580e';

/** `opts.compute`: another compute driver than the no-op one (the Nova driver on the Nova emulator). */
export interface TestSystemOptions {
  /** false: no worker (the test runs its own, on other workflows). */
  worker?: boolean;
  log?: Logger;
  /** More activity interceptors for the system's worker, after the fault injector (e.g. to hold a step). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export async function startTestSystem(env?: Record<string, string>, opts?: TestSystemOptions): Promise<TestSystem>;
export async function startTestSystem<C extends AmphoraComputeDriver>(
  env: Record<string, string>,
  opts: TestSystemOptions & { compute: (config: Config) => C },
): Promise<TestSystem<C>>;
export async function startTestSystem(
  env: Record<string, string> = {},
  opts: TestSystemOptions & { compute?: (config: Config) => AmphoraComputeDriver } = {},
): Promise<TestSystem<AmphoraComputeDriver>> {
  const config = loadConfig({
    ...process.env,
    API_BIND_PORT: '0',
    HEALTH_MANAGER_BIND_PORT: '0',
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    ...env,
  });
  // The drivers npm start makes (NOOP_FAULTS included), in memory only: no state file of a test outlives it.
  const compute = opts.compute ? opts.compute(config) : new NoopComputeDriver({ ...noopComputeOptions(config), statePath: undefined });
  const amphoraDriver = new NoopAmphoraDriver({ ...noopAmphoraOptions(config), statePath: undefined });
  const failingSteps = new Set<string>();
  const system = await startSystem({
    config,
    log: opts.log ?? logger,
    temporalAddress: config.temporal.address!,
    compute,
    amphoraDriver,
    activityInterceptors: [
      (ctx) => ({
        inbound: {
          async execute(input, next) {
            if (failingSteps.has(ctx.info.activityType)) {
              throw ApplicationFailure.nonRetryable(`Injected fault in step ${ctx.info.activityType}`, 'InjectedFault');
            }
            return next(input);
          },
        },
      }),
      ...(opts.activityInterceptors ?? []),
    ],
    worker: opts.worker,
  });
  const apiUrl = system.apiUrl!;
  return {
    ...system,
    config,
    compute,
    amphoraDriver,
    failingSteps,
    apiUrl,
    api: apiClient(apiUrl),
  };
}

/** fetch() against an API at `apiUrl` with JSON bodies and the test project's header (a test system's, or a process's of ours). */
export function apiClient(apiUrl: string): TestSystem['api'] {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(apiUrl + path, {
      method,
      headers: {
        'x-project-id': PROJECT_ID,
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  };
}

/** Polls until `check` returns a value other than undefined (or throws after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
