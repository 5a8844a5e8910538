/**
 * A worker start-up restarts the running health monitor without leaving a Terminated monitor per
 * start in the Web UI's list: signalled, it continues as new with the new settings (one execution,
 * its runs chained). A monitor that cannot take the restart (no worker takes it, or its history does
 * not replay on the new code) is replaced as before, once the wait is over.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Config } from '../../config';
import { housekeepingIds, startHealthMonitor } from '../../platform/schedules';
import { logger } from '../../common/logger';
import { startTestSystem, type TestSystem } from '../support/system';

jest.setTimeout(60_000);

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({ HEALTH_CHECK_INTERVAL: '0.5' });
});
afterAll(async () => {
  await sys?.stop();
});

/** Every run of the monitor's workflow id, newest first, with its status. */
async function runsOf(workflowId: string): Promise<{ runId: string; status: string }[]> {
  const runs: { runId: string; status: string }[] = [];
  for await (const info of sys.temporal.workflow.list({ query: `WorkflowId="${workflowId}"` })) runs.push({ runId: info.runId, status: info.status.name });
  return runs;
}

/** The settings a run was started with (its first event's input). */
async function inputOf(workflowId: string, runId: string): Promise<Record<string, unknown>> {
  const history = await sys.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return defaultPayloadConverter.fromPayload(payload!);
}

const withTimeout = (config: Config, heartbeatTimeoutSeconds: number): Config => ({ ...config, health: { ...config.health, heartbeatTimeoutSeconds } });

it('continues the running monitor as new with the new settings: no Terminated run', async () => {
  const id = housekeepingIds(sys.config).healthMonitor;
  const first = (await sys.temporal.workflow.getHandle(id).describe()).runId;

  const restarted = await startHealthMonitor(sys.temporal, withTimeout(sys.config, 77), logger, 15_000);
  await restarted();
  const current = await sys.temporal.workflow.getHandle(id).describe();
  expect(current.runId).not.toBe(first);
  expect(current.status.name).toBe('RUNNING');
  expect(await inputOf(id, current.runId)).toMatchObject({ heartbeatTimeoutSeconds: 77 });

  // A second start-up, the same way.
  await (await startHealthMonitor(sys.temporal, sys.config, logger, 15_000))();
  const again = await sys.temporal.workflow.getHandle(id).describe();
  expect(again.runId).not.toBe(current.runId);

  const runs = await runsOf(id);
  expect(runs.map((r) => r.status)).not.toContain('TERMINATED');
  expect(runs.find((r) => r.runId === first)?.status).toBe('CONTINUED_AS_NEW');
  expect(runs.find((r) => r.runId === current.runId)?.status).toBe('CONTINUED_AS_NEW');
});

it('replaces a monitor that does not take its restart (no worker takes it) once the wait is over', async () => {
  // A monitor on a task queue no worker polls: its restart signal is never handled.
  const config: Config = { ...sys.config, temporal: { ...sys.config.temporal, taskQueue: `test-idle-${randomUUID()}` } };
  const id = housekeepingIds(config).healthMonitor;
  await (await startHealthMonitor(sys.temporal, config, logger, 1000))();
  const stuck = (await sys.temporal.workflow.getHandle(id).describe()).runId;
  try {
    await (await startHealthMonitor(sys.temporal, config, logger, 1000))();
    const replaced = await sys.temporal.workflow.getHandle(id).describe();
    expect(replaced.runId).not.toBe(stuck);
    expect((await sys.temporal.workflow.getHandle(id, stuck).describe()).status.name).toBe('TERMINATED');
  } finally {
    await sys.temporal.workflow.getHandle(id).terminate('test over').catch(() => undefined);
  }
});
