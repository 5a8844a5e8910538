/**
 * Start-up reconciliation: the API writes an object's PENDING_* state and then starts its flow. If the
 * process died between the two, the object would wait forever; this finds such objects and starts
 * their flow. Create and delete flow ids are deterministic, so for an object whose flow is running the
 * start is refused (already started) and nothing happens.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../activities/db/prisma';
import { loadBalancerFlows, startFlow } from '../common/flows';
import type { Logger } from '../common/logger';
import { ProvisioningStatus } from '../common/status';
import type { Config } from '../config';

export async function reconcilePendingFlows(db: Db, client: Client, config: Config, log: Logger): Promise<number> {
  const pending = await db.loadBalancer.findMany({
    where: { provisioningStatus: { in: [ProvisioningStatus.PENDING_CREATE, ProvisioningStatus.PENDING_DELETE] } },
    select: { id: true, projectId: true, provisioningStatus: true },
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
  return pending.length;
}
