/**
 * The health manager's monitor: one long-running workflow per controller (`<task queue>-health-monitor`,
 * started at worker start-up, platform/schedules.ts) that checks the amphorae's heartbeats every
 * HEALTH_CHECK_INTERVAL and continues as new every few hundred checks, so its history stays bounded.
 *
 * Why not a Schedule: a check every 3 seconds would be ~29 000 workflow executions a day in the Web UI
 * and in visibility; one execution that sleeps between checks costs a timer each. It holds no state
 * (everything is in the database), so each worker start-up restarts it: signalled (restartMonitor), it
 * continues as new with the new settings, one execution in the Web UI rather than a Terminated one
 * per start; one that does not take the signal is replaced (platform/schedules.ts startHealthMonitor).
 */
import {
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  defineSignal,
  log,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { flowStartOptions, type AmphoraHealthMonitorInput } from '../common/flows';
import { db, sweep } from './activities';
import { failoverAmphora } from './amphora';
import { serializeError } from '../common/error-chain';

export type { AmphoraHealthMonitorInput } from '../common/flows';

/**
 * A worker start-up's restart of the running monitor (platform/schedules.ts startHealthMonitor): it
 * continues as new with these settings at once, so the monitor stays one execution (its runs chained
 * by continue-as-new) instead of a Terminated execution per start. The same settings change nothing.
 */
export const restartMonitor = defineSignal<[AmphoraHealthMonitorInput]>('restartMonitor');

export async function monitorAmphoraHealth(input: AmphoraHealthMonitorInput): Promise<void> {
  const checks = input.checksPerRun ?? 300;
  let restart: AmphoraHealthMonitorInput | undefined;
  setHandler(restartMonitor, (next) => {
    restart = next;
  });
  let failoversStarted = 0;
  for (let i = 0; i < checks; i++) {
    try {
      const result = await db.checkAmphoraHealth({
        heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds,
        heartbeatIntervalSeconds: input.heartbeatIntervalSeconds,
        failoverThreshold: input.failoverThreshold,
        failoverThreads: input.failoverThreads,
      });
      failoversStarted += result.failover.length;
      await Promise.all([
        ...result.failover.map((amphoraId) =>
          startFailover(amphoraId).catch((err) => log.error('Could not start a failover', { amphoraId, error: serializeError(err, { stack: false }) })),
        ),
        ...result.zombies.map((amphoraId) =>
          sweep.deleteZombieAmphora(amphoraId).catch((err) => log.error('Could not delete a zombie amphora', { amphoraId, error: serializeError(err, { stack: false }) })),
        ),
      ]);
    } catch (err) {
      // A failed check (database unreachable) must not end the monitor: the next one tries again.
      log.error('Health check failed', { error: serializeError(err, { stack: false }) });
    }
    setCurrentDetails(`check ${i + 1}/${checks} of this run, every ${input.checkIntervalSeconds} s; failovers started by this run: ${failoversStarted} (its child workflows)`);
    if (workflowInfo().continueAsNewSuggested) break;
    // The wait between checks, cut short by a restart. (A timer as sleep() made: runs without a
    // restart record the same commands.)
    if (await condition(() => restart !== undefined, input.checkIntervalSeconds * 1000)) break;
  }
  await continueAsNew<typeof monitorAmphoraHealth>(restart ?? input);
}

/**
 * Fails over an amphora the check claimed, as the API does: its load balancer locked (PENDING_UPDATE,
 * a database step), then `amphora-<id>-failover` started, here as a child workflow that outlives the
 * monitor (abandoned when the monitor continues as new or is replaced, never cancelled with it). A
 * load balancer another flow owns right now is tried at a later check (the lock step releases the
 * claim); a failover of the amphora already running keeps the claim, and the lock is undone.
 */
async function startFailover(amphoraId: string): Promise<void> {
  const lock = await db.lockForAutomaticFailover(amphoraId);
  if (!lock) return;
  try {
    await startChild(failoverAmphora, {
      ...flowStartOptions(lock.flow),
      args: lock.flow.args,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
  } catch (err) {
    const running = err instanceof WorkflowExecutionAlreadyStartedError;
    await db.revertFailoverLock({ ...lock.revert, releaseClaim: !running });
    if (running) return;
    throw err;
  }
  log.warn('Amphora stopped heartbeating: failover started', { amphoraId, loadBalancerId: lock.revert.loadBalancerId });
}
