/**
 * The health manager's monitor: one long-running workflow per controller (`<task queue>-health-monitor`,
 * started at worker start-up, platform/schedules.ts) that checks the amphorae's heartbeats every
 * HEALTH_CHECK_INTERVAL and continues as new every few hundred checks, so its history stays bounded.
 *
 * Why not a Schedule: a check every 3 seconds would be ~29 000 workflow executions a day in the Web UI
 * and in visibility; one execution that sleeps between checks costs a timer each. It holds no state
 * (everything is in the database), so the worker start-up replaces it (conflict policy
 * TERMINATE_EXISTING): new settings and new workflow code take effect at once.
 */
import { continueAsNew, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { db } from './activities';

export interface AmphoraHealthMonitorInput {
  checkIntervalSeconds: number;
  heartbeatTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  failoverThreshold: number | null;
  failoverThreads: number;
  /** Checks per run before continue-as-new (default 300). */
  checksPerRun?: number;
}

/** Starting a failover (a database lock and a workflow start) and deleting a zombie: quick, a few attempts. */
const act = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
});

export async function monitorAmphoraHealth(input: AmphoraHealthMonitorInput): Promise<void> {
  const checks = input.checksPerRun ?? 300;
  for (let i = 0; i < checks; i++) {
    try {
      const result = await db.checkAmphoraHealth({
        heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds,
        heartbeatIntervalSeconds: input.heartbeatIntervalSeconds,
        failoverThreshold: input.failoverThreshold,
        failoverThreads: input.failoverThreads,
      });
      await Promise.all([
        ...result.failover.map((amphoraId) =>
          act.startAutomaticFailover(amphoraId).catch((err) => log.error('Could not start a failover', { amphoraId, error: String(err) })),
        ),
        ...result.zombies.map((amphoraId) =>
          act.deleteZombieAmphora(amphoraId).catch((err) => log.error('Could not delete a zombie amphora', { amphoraId, error: String(err) })),
        ),
      ]);
    } catch (err) {
      // A failed check (database unreachable) must not end the monitor: the next one tries again.
      log.error('Health check failed', { error: String(err) });
    }
    if (workflowInfo().continueAsNewSuggested) break;
    await sleep(input.checkIntervalSeconds * 1000);
  }
  await continueAsNew<typeof monitorAmphoraHealth>(input);
}
