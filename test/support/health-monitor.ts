/**
 * Watching the health monitor (workflows/liveness.ts) through Temporal: how many executions a flow id
 * has had, and waiting for a number of the monitor's health checks, counted in its history. Works on a
 * test system and on a deployment (cluster.test.ts): all it needs is a Temporal client and the
 * configuration the monitor runs with.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { housekeepingIds } from '../../platform/schedules';
import type { TestSystem } from './system';

/** A Temporal client and the configuration of the deployment whose monitor is watched. */
type MonitorOf = Pick<TestSystem, 'temporal' | 'config'>;

/** How many executions (any status) the workflow id has had. */
export async function executions(sys: Pick<TestSystem, 'temporal'>, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of sys.temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) n++;
  return n;
}

/** What the monitor's current run has done so far: its completed health checks and the failovers it started. */
async function monitorRun(sys: MonitorOf) {
  const handle = sys.temporal.workflow.getHandle(housekeepingIds(sys.config).healthMonitor);
  const { runId } = await handle.describe();
  const { events } = await sys.temporal.workflow.getHandle(handle.workflowId, runId).fetchHistory();
  let completed = 0;
  const failovers: string[] = [];
  for (const e of events ?? []) {
    // The check is a local activity: each one that ran is a marker in the history, naming its type.
    const marker = e.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0] : undefined;
    if (data && defaultPayloadConverter.fromPayload<{ activity_type?: string }>(data).activity_type === 'checkAmphoraHealth') completed++;
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) failovers.push(child.workflowId);
  }
  return { runId, completed, failovers };
}

/**
 * Waits until the monitor has completed `n` more health checks, counted in its history: "nothing
 * happened" is asserted after checks that would have seen it, not after a guessed time. If the
 * monitor continues as new meanwhile, only the new run's checks count (never fewer than `n`).
 * Returns the failovers the monitor started during them.
 */
export async function afterChecks(sys: MonitorOf, n: number): Promise<string[]> {
  const before = await monitorRun(sys);
  const deadline = Date.now() + 30_000; // a monitor that stopped checking is a failure, not a hang
  for (;;) {
    await new Promise((r) => setTimeout(r, sys.config.health.checkIntervalSeconds * 1000));
    const now = await monitorRun(sys);
    const same = now.runId === before.runId;
    if (now.completed - (same ? before.completed : 0) >= n) return now.failovers.slice(same ? before.failovers.length : 0);
    if (Date.now() > deadline) throw new Error(`The health monitor completed ${now.completed} checks, not ${n} more`);
  }
}

/** Checks spanning a whole heartbeat timeout, and some: anything stale by then would have been seen. */
export const checksPastTimeout = (sys: Pick<TestSystem, 'config'>) => Math.ceil(sys.config.health.heartbeatTimeoutSeconds / sys.config.health.checkIntervalSeconds) + 4;
