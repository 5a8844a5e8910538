/**
 * Activity proxies with retry policies matched to the fault. Which errors are final is decided by the
 * activity (common/failures.ts marks validation / not-found / rejected-build failures non-retryable),
 * so these policies only say how patiently to retry the transient ones.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Database steps: quick and idempotent, so they run as local activities — in the worker, inside the
 * workflow task, with no round trip through the Temporal server each (the Web UI shows them as
 * local-activity markers). A blip (connection reset, failover) is retried fast.
 */
export const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 20 },
});

/** Compute calls: the service may be slow or briefly failing; its 429 Retry-After is honoured. */
export const compute = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

/** Amphora agent calls (configuration pushes): an amphora briefly unreachable is retried. */
export const agent = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 8 },
});

/**
 * Waiting for an instance to boot: one long activity that heartbeats while it polls. The boot timeout
 * bounds it; a worker that dies mid-wait is noticed within the heartbeat timeout and the wait resumes
 * on another worker.
 */
export function bootWait(bootTimeoutSeconds: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: `${bootTimeoutSeconds}s`,
    heartbeatTimeout: '10s',
    retry: { initialInterval: '1s', maximumAttempts: 3 },
  });
}

/** Compensations: retried for a while, then the flow records the leftover (ERROR) for housekeeping. */
export const undo = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});
