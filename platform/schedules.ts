/**
 * The housekeeping and health managers on Temporal, set up at every worker start-up (platform/system.ts):
 *
 *   `<task queue>-spare-pool`      Schedule, every SPARE_CHECK_INTERVAL: maintainSparePool
 *   `<task queue>-cleanup`         Schedule, every CLEANUP_INTERVAL: cleanupDeleted
 *   `<task queue>-health-monitor`  one long-running workflow (monitorAmphoraHealth, continue-as-new)
 *
 * Schedules are created, or updated when they exist (interval, arguments, policies from the current
 * configuration), so a restart with new settings applies them; whether a schedule is paused is kept (an
 * operator pauses one on the Web UI's Schedules page, or `temporal schedule toggle --pause`).
 * The ids carry the task queue: one set per controller deployment.
 *
 * Overlap policies:
 *   - spare pool: BUFFER_ONE. A run lasts as long as a boot (minutes on Nova) while the interval is
 *     30 s; spares claimed meanwhile are refilled as soon as it ends instead of a tick later, and at most
 *     one run waits. Overshooting is impossible either way: each run reserves what is missing in the
 *     database, atomically, before it builds.
 *   - cleanup: SKIP. Each run works from what the database holds when it starts, so a skipped tick
 *     loses nothing; there is no reason to queue runs behind a slow one.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowIdConflictPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { bootSettings, flowStartOptions, housekeepingFlow } from '../common/flows';
import { restartMonitor } from '../workflows/liveness';
import type { Config } from '../config';
import type { CleanupInput, SparePoolInput, AmphoraHealthMonitorInput } from '../common/flows';

export const housekeepingIds = (config: Config) => ({
  sparePool: `${config.temporal.taskQueue}-spare-pool`,
  cleanup: `${config.temporal.taskQueue}-cleanup`,
  healthMonitor: `${config.temporal.taskQueue}-health-monitor`,
});

/**
 * A schedule's action, labelled as every flow is (common/flows.ts flowStartOptions): ResourceType
 * "housekeeping", so `ResourceType != "housekeeping"` leaves an operator's own flows.
 */
function scheduleAction<W extends 'maintainSparePool' | 'cleanupDeleted'>(flow: ReturnType<typeof housekeepingFlow<W>>, taskQueue: string) {
  const { workflowId, typedSearchAttributes, staticSummary, staticDetails } = flowStartOptions(flow);
  return { type: 'startWorkflow' as const, workflowType: flow.workflow, workflowId, taskQueue, args: flow.args, typedSearchAttributes, staticSummary, staticDetails };
}

export function sparePoolSchedule(config: Config): ScheduleOptions {
  const id = housekeepingIds(config).sparePool;
  const boot = bootSettings(config);
  const args: [SparePoolInput] = [{ poolSize: config.housekeeping.sparePoolSize, ...boot, concurrency: 5 }];
  return {
    scheduleId: id,
    spec: { intervals: [{ every: Math.round(config.housekeeping.spareCheckIntervalSeconds * 1000) }] },
    action: {
      ...scheduleAction(housekeepingFlow('maintainSparePool', id, 'spare-pool', `keep ${config.housekeeping.sparePoolSize} spare amphorae`, args), config.temporal.taskQueue),
      // A run stuck past this ends; its children (abandoned) finish or compensate on their own.
      workflowExecutionTimeout: `${Math.max(600, 3 * boot.bootTimeoutSeconds + 60)}s`,
    },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 minute' },
    state: { note: 'Octavia housekeeping: spare amphora pool (SPARE_AMPHORA_POOL_SIZE, SPARE_CHECK_INTERVAL)' },
  };
}

export function cleanupSchedule(config: Config): ScheduleOptions {
  const id = housekeepingIds(config).cleanup;
  const h = config.housekeeping;
  const args: [CleanupInput] = [
    {
      amphoraExpirySeconds: h.amphoraExpiryAgeSeconds,
      loadBalancerExpirySeconds: h.loadBalancerExpiryAgeSeconds,
      errorAmphoraAgeSeconds: h.errorAmphoraAgeSeconds,
      // A create flow waits one boot timeout per amphora; four leave room for a slow database and retries.
      staleBootingSeconds: 4 * config.compute.amphora.bootTimeoutSeconds,
      batchSize: 100,
    },
  ];
  return {
    scheduleId: id,
    spec: { intervals: [{ every: Math.round(h.cleanupIntervalSeconds * 1000) }] },
    action: {
      ...scheduleAction(housekeepingFlow('cleanupDeleted', id, 'cleanup', 'purge expired DELETED rows, delete stuck amphorae', args), config.temporal.taskQueue),
      workflowExecutionTimeout: '10 minutes',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    state: { note: 'Octavia housekeeping: cleanup (CLEANUP_INTERVAL, AMPHORA_EXPIRY_AGE, LOAD_BALANCER_EXPIRY_AGE)' },
  };
}

export function healthMonitorInput(config: Config): AmphoraHealthMonitorInput {
  const h = config.health;
  return {
    checkIntervalSeconds: h.checkIntervalSeconds,
    heartbeatTimeoutSeconds: h.heartbeatTimeoutSeconds,
    heartbeatIntervalSeconds: h.heartbeatIntervalSeconds,
    failoverThreshold: h.failoverThreshold,
    failoverThreads: h.failoverThreads,
  };
}

export const healthMonitorFlow = (config: Config) =>
  housekeepingFlow(
    'monitorAmphoraHealth',
    housekeepingIds(config).healthMonitor,
    'health-monitor',
    `watch amphora heartbeats: silent ${config.health.heartbeatTimeoutSeconds} s -> failover`,
    [healthMonitorInput(config)],
  );

/** Creates the schedule, or brings an existing one to `options` (keeping whether it is paused). */
export async function upsertSchedule(client: Client, options: ScheduleOptions): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return 'updated';
}

/**
 * Starts the health monitor, or restarts the running one with the current settings: signalled
 * (restartMonitor), it continues as new with them at once, so the Web UI shows one monitor whose runs
 * are chained by continue-as-new rather than a Terminated monitor per start. The running run's history
 * is then replayed by this worker's code; if that code cannot replay it (a change without a patch) or
 * no worker takes the signal, the restart is not seen within `restartWaitMs` once the worker runs,
 * and the monitor is replaced (TERMINATE_EXISTING) as before. It holds no state (everything is in the
 * database), so either way nothing is lost. Returns that check, to run once the worker polls.
 */
export async function startHealthMonitor(
  client: Client,
  config: Config,
  log?: Logger,
  restartWaitMs = 20_000,
): Promise<(stop?: AbortSignal) => Promise<void>> {
  const flow = healthMonitorFlow(config);
  const { workflowId } = flowStartOptions(flow);
  const replace = () =>
    client.workflow.start(flow.workflow, {
      ...flowStartOptions(flow),
      taskQueue: config.temporal.taskQueue,
      args: flow.args,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    });
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d.runId : undefined))
    .catch(() => undefined);
  if (!running) {
    await replace();
    return async () => undefined;
  }
  await client.workflow.getHandle(workflowId, running).signal(restartMonitor, ...flow.args);
  return async (stop) => {
    const deadline = Date.now() + restartWaitMs;
    while (Date.now() < deadline) {
      // The system stops meanwhile: the next start-up restarts the monitor again.
      if (stop?.aborted) return;
      const { runId } = await client.workflow.getHandle(workflowId).describe();
      if (runId !== running) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    log?.warn({ workflowId, runId: running }, 'The health monitor did not take its restart; replacing it');
    await replace();
  };
}

/** Sets housekeeping up; returns what to run once the worker polls (the monitor's restart check). */
export async function startHousekeeping(client: Client, config: Config, log: Logger): Promise<(stop?: AbortSignal) => Promise<void>> {
  const sparePool = await upsertSchedule(client, sparePoolSchedule(config));
  const cleanup = await upsertSchedule(client, cleanupSchedule(config));
  const monitorRestarted = await startHealthMonitor(client, config, log);
  log.info(
    { schedules: { [housekeepingIds(config).sparePool]: sparePool, [housekeepingIds(config).cleanup]: cleanup }, sparePoolSize: config.housekeeping.sparePoolSize },
    'Housekeeping schedules and health monitor in place',
  );
  return monitorRestarted;
}
