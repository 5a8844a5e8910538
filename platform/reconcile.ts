/**
 * Start-up reconciliation: the API writes an object's PENDING_* state and then starts its flow. If the
 * process died between the two, the object would wait forever; this finds such objects and starts
 * their flow. Create and delete flow ids are deterministic, so for an object whose flow is running the
 * start is refused (already started) and nothing happens.
 *
 * A load balancer left PENDING_UPDATE (a child change, an update or a failover whose flow never
 * started) has no deterministic flow to restart; when no flow of it is running (and it has waited
 * longer than a flow start can take), its pending children go to ERROR and it goes back to ACTIVE, as
 * a failed flow would have left them.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../db/prisma';
import { loadBalancerFlows, startFlow } from '../common/flows';
import type { Logger } from '../common/logger';
import { ProvisioningStatus } from '../common/status';
import type { Config } from '../config';
import { LoadBalancerId } from '../common/search-attributes';

export async function reconcilePendingFlows(db: Db, client: Client, config: Config, log: Logger): Promise<number> {
  const pending = await db.loadBalancer.findMany({
    where: { provisioningStatus: { in: [ProvisioningStatus.PENDING_CREATE, ProvisioningStatus.PENDING_DELETE] } },
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
  return pending.length + (await settleOrphanedUpdates(db, client, log));
}

const ORPHAN_AGE_MS = 60_000;
const PENDING_CHILD = [ProvisioningStatus.PENDING_CREATE, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.PENDING_DELETE];

async function settleOrphanedUpdates(db: Db, client: Client, log: Logger): Promise<number> {
  const stale = await db.loadBalancer.findMany({
    where: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: { lt: new Date(Date.now() - ORPHAN_AGE_MS) } },
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
