/**
 * Start-up reconciliation: the API writes an object's PENDING_* state and then starts its flow. If the
 * process died between the two, the object would wait forever; this finds such objects and starts
 * their flow. Create and delete flow ids are deterministic, so for an object whose flow is running the
 * start is refused (already started) and nothing happens.
 *
 * A load balancer left PENDING_UPDATE (a child change, an update or a failover whose flow never
 * started) has no deterministic flow to restart; when no flow of it is running, its pending children
 * go to ERROR and it goes back to ACTIVE, as a failed flow would have left them.
 *
 * Only objects pending for longer than FLOW_START_GRACE_MS are touched: a younger one may be a live API
 * request's, between its write and its own start of the flow. Starting that flow here would make the
 * request's start fail (already started), and the request undo its write (a 409 to the client, the row
 * deleted) while the flow runs. With several processes a worker starts while the API takes requests,
 * so this happens (cluster.test.ts met it). The objects too young for the start-up pass get a second
 * one once they are old enough (reconcileAtStart).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../db/prisma';
import { loadBalancerFlows, startFlow } from '../common/flows';
import type { Logger } from '../common/logger';
import { ProvisioningStatus } from '../common/status';
import type { Config } from '../config';
import { LoadBalancerId } from '../common/search-attributes';

/** Longer than an API request takes from writing a PENDING state to starting its flow. */
export const FLOW_START_GRACE_MS = 60_000;

const PENDING_CHILD = [ProvisioningStatus.PENDING_CREATE, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.PENDING_DELETE];

/** Load balancers whose last write (the lock's updated_at; a create's created_at) is before `cutoff`, or from it on. */
const lastWritten = (cutoff: Date, before: boolean) => {
  const at = before ? { lt: cutoff } : { gte: cutoff };
  return { OR: [{ updatedAt: at }, { updatedAt: null, createdAt: at }] };
};

export interface Reconciliation {
  /** Pending objects handled: their flow started (or found running), or settled. */
  handled: number;
  /** Pending too recently to be touched (their API request may be starting the flow). */
  deferred: number;
}

/** One pass over the load balancers pending for longer than FLOW_START_GRACE_MS before `now`. */
export async function reconcilePendingFlows(db: Db, client: Client, config: Config, log: Logger, now = new Date()): Promise<Reconciliation> {
  const cutoff = new Date(now.getTime() - FLOW_START_GRACE_MS);
  const pending = await db.loadBalancer.findMany({
    where: { provisioningStatus: { in: [ProvisioningStatus.PENDING_CREATE, ProvisioningStatus.PENDING_DELETE] }, ...lastWritten(cutoff, true) },
    select: { id: true, projectId: true, provisioningStatus: true, name: true, topology: true },
  });
  for (const lb of pending) {
    const flow = lb.provisioningStatus === ProvisioningStatus.PENDING_CREATE ? loadBalancerFlows.create : loadBalancerFlows.delete;
    try {
      const handle = await startFlow(client, config.temporal.taskQueue, flow(lb, config));
      log.warn({ workflowId: handle.workflowId }, 'Started the missing flow of a pending load balancer');
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  const handled = pending.length + (await settleOrphanedUpdates(db, client, log, cutoff));
  const deferred = await db.loadBalancer.count({ where: { provisioningStatus: { in: PENDING_CHILD }, ...lastWritten(cutoff, false) } });
  return { handled, deferred };
}

/**
 * The worker's start-up pass, and when it left objects for being too recently pending, one more once
 * they are old enough (in the background, unless `signal` aborts first: the worker stops).
 */
export async function reconcileAtStart(db: Db, client: Client, config: Config, log: Logger, signal: AbortSignal): Promise<Reconciliation> {
  const first = await reconcilePendingFlows(db, client, config, log);
  if (first.deferred > 0) {
    sleep(FLOW_START_GRACE_MS, undefined, { signal, ref: false })
      .then(() => reconcilePendingFlows(db, client, config, log))
      .catch((err) => {
        if (!signal.aborted) log.warn({ err }, 'The second reconciliation pass failed: pending objects wait for the next worker start');
      });
  }
  return first;
}

async function settleOrphanedUpdates(db: Db, client: Client, log: Logger, cutoff: Date): Promise<number> {
  const stale = await db.loadBalancer.findMany({
    where: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, ...lastWritten(cutoff, true) },
    select: { id: true },
  });
  let settled = 0;
  for (const { id } of stale) {
    const running = await client.workflow.count(`${LoadBalancerId.name} = "${id}" AND ExecutionStatus = "Running"`);
    if (running.count > 0) continue;
    const pendingChild = { loadBalancerId: id, provisioningStatus: { in: PENDING_CHILD } };
    const toError = { provisioningStatus: ProvisioningStatus.ERROR };
    await db.$transaction([
      db.listener.updateMany({ where: pendingChild, data: toError }),
      db.pool.updateMany({ where: pendingChild, data: toError }),
      db.member.updateMany({ where: { pool: { loadBalancerId: id }, provisioningStatus: { in: PENDING_CHILD } }, data: toError }),
      db.healthMonitor.updateMany({ where: { pool: { loadBalancerId: id }, provisioningStatus: { in: PENDING_CHILD } }, data: toError }),
      db.l7Policy.updateMany({ where: { listener: { loadBalancerId: id }, provisioningStatus: { in: PENDING_CHILD } }, data: toError }),
      db.l7Rule.updateMany({ where: { l7Policy: { listener: { loadBalancerId: id } }, provisioningStatus: { in: PENDING_CHILD } }, data: toError }),
      db.loadBalancer.updateMany({ where: { id, provisioningStatus: ProvisioningStatus.PENDING_UPDATE }, data: { provisioningStatus: ProvisioningStatus.ACTIVE } }),
    ]);
    log.warn({ loadBalancerId: id }, 'Settled a load balancer left PENDING_UPDATE without a flow');
    settled++;
  }
  return settled;
}
