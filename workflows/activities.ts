/**
 * Every activity policy of every flow: one typed proxy per kind of step (activities/index.ts says which
 * step is which), each with a retry policy matched to the fault. Which errors are final is decided by
 * the error (common/failures.ts marks validation / not-found / rejected-build / permanent database
 * failures non-retryable), so these policies only say how patiently to retry the transient ones.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  proxyActivities,
  proxyLocalActivities,
  type ActivityFunctionWithOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { AgentActivities, ComputeActivities, DatabaseActivities, NetworkActivities } from '../activities';
import type { BootSettings } from '../common/flows';

/**
 * A step in flight when its flow is cancelled is waited for (its result, or its own cancellation),
 * never left running behind the flow: the compensations that follow must see everything it made.
 */
const waitWhenCancelled = { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };

/**
 * How soon a step whose worker died is tried again on another: the worker heartbeats every step while
 * it runs (platform/worker.ts KeepAliveInterceptor), so a lost worker's step times out after this, not
 * after its start-to-close timeout (minutes). Activity options are not compared on replay: no patch.
 */
const workerLost = { heartbeatTimeout: '10s' } as const;

/**
 * Database steps are never cancelled once called: a cancel is honoured at the next step that is not a
 * database step. They are quick, and cancelling a local activity that has just finished trips the SDK's
 * state machine ("Invalid transition while attempting to cancel LocalActivityMachine", sdk-core issue
 * 705), which leaves the flow stuck in failing workflow tasks.
 */
function uncancellable<A extends object>(proxy: A): A {
  return new Proxy(proxy, {
    get: (target, name) => {
      const step = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => CancellationScope.nonCancellable(() => step(...args));
    },
  });
}

/**
 * Database steps: quick and idempotent, so they run as local activities — in the worker, inside the
 * workflow task, with no round trip through the Temporal server each (the Web UI shows them as
 * local-activity markers). A blip (connection reset, failover) is retried fast.
 */
const databasePolicy: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 20 },
};
export const db = uncancellable(proxyLocalActivities<DatabaseActivities>(databasePolicy));

type ComputeSteps = Omit<ComputeActivities, 'waitForAmphoraCompute'>;

/** Compute calls: the service may be slow or briefly failing; its 429 Retry-After is honoured. */
export const compute = proxyActivities<ComputeSteps>({
  ...workerLost,
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  ...waitWhenCancelled,
});

type AgentSteps = Omit<AgentActivities, 'waitForAmphoraAgent'>;

/** Amphora agent calls (configuration pushes): an amphora briefly unreachable is retried. */
export const agent = proxyActivities<AgentSteps>({
  ...workerLost,
  startToCloseTimeout: '1m',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 8 },
  ...waitWhenCancelled,
});

/**
 * After a failover switch, the other amphora of a pair learns its new peer (HAProxy peers, keepalived's
 * unicast peer). Octavia skips an amphora that fails this and leaves it to the health manager: it is
 * most likely dead too, and its own failover follows. So a couple of attempts, not the agent's patience.
 */
export const peerAgent = proxyActivities<Pick<AgentActivities, 'pushLoadBalancerConfig' | 'configureAmphoraVrrp'>>({
  ...workerLost,
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
  ...waitWhenCancelled,
});

/**
 * Waiting for a booted amphora's agent to answer: the driver retries the connection itself (Octavia's
 * [haproxy_amphora] connection_max_retries x connection_retry_interval, 10 minutes by default), so
 * the step may take that long; one more attempt covers a worker lost on the way.
 */
export const agentConnect = proxyActivities<Pick<AgentActivities, 'waitForAmphoraAgent'>>({
  ...workerLost,
  startToCloseTimeout: '15m',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
  ...waitWhenCancelled,
});

/** Network driver calls (ports, security groups): the service may be slow or briefly failing. */
export const network = proxyActivities<NetworkActivities>({
  ...workerLost,
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  ...waitWhenCancelled,
});

/** The poll interval of flows started before it was part of their input: Octavia's default, the patient choice. */
const LEGACY_ACTIVE_WAIT_SECONDS = 10;

/**
 * Waiting for an instance to boot: one long activity that polls every AMP_ACTIVE_WAIT_SEC and
 * heartbeats after each poll. AMP_BOOT_TIMEOUT_SECONDS bounds the whole wait, retries included
 * (scheduleToCloseTimeout). The heartbeat timeout leaves room for two missed polls plus one slow
 * compute call, so a worker that dies mid-wait is noticed within a few poll intervals and the wait
 * resumes on another worker; a transient poll failure is retried for as long as the boot timeout lasts.
 */
export function bootWait({ bootTimeoutSeconds, activeWaitSeconds = LEGACY_ACTIVE_WAIT_SECONDS }: BootSettings) {
  return proxyActivities<Pick<ComputeActivities, 'waitForAmphoraCompute'>>({
    scheduleToCloseTimeout: `${bootTimeoutSeconds}s`,
    heartbeatTimeout: `${3 * activeWaitSeconds + 5}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
    ...waitWhenCancelled,
  });
}

/**
 * Compensations, and the final "mark ERROR" of a failed flow: database and compute steps alike, as
 * activities (visible, and retried for longer than a local activity would be), then the flow records
 * the leftover (ERROR) for housekeeping. Flows run them in a non-cancellable scope.
 */
export const undo = proxyActivities<DatabaseActivities & ComputeSteps & NetworkActivities>({
  ...workerLost,
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});

/**
 * Compute calls of housekeeping and the liveness monitor (stuck amphorae, zombies): a few attempts;
 * what still fails is tried again at the next run or check, which must not wait behind it.
 */
export const sweep = proxyActivities<ComputeSteps>({
  ...workerLost,
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
});

/**
 * Replay only: createLoadBalancer flows started before the patch 'server-group-compute-step' created
 * the server group through the database proxy (a local activity). Remove it with that patch's
 * deprecated branch once no such flow runs.
 */
export const legacyServerGroup = uncancellable(proxyLocalActivities<Pick<ComputeActivities, 'ensureServerGroup'>>(databasePolicy));

/**
 * Calls an activity with a summary the Web UI shows beside its type (ActivityOptions.summary): what it
 * acts on, and "undo: ..." for a compensation. The summary is metadata of the ScheduleActivityTask
 * command that replay does not compare (only the activity's id and type are), so adding one needs no
 * patch. Ordinary activities only: database steps are local activities, named well enough by type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function said<F extends (...args: any[]) => Promise<any>>(summary: string, step: ActivityFunctionWithOptions<F>, ...args: Parameters<F>): ReturnType<F> {
  return step.executeWithOptions({ summary }, args) as ReturnType<F>;
}
