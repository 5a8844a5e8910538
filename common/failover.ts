/**
 * Starting an amphora failover, the one way both the API (PUT /v2/octavia/amphorae/{id}/failover) and
 * the health monitor do it: the amphora's load balancer is locked first (ACTIVE or ERROR ->
 * PENDING_UPDATE, one conditional UPDATE, as for any change), then `failoverAmphora` is started under
 * the amphora's own workflow id (`amphora-<id>-failover`, conflict policy FAIL: never two at once). If
 * the flow cannot be started, the lock is undone. A spare has no load balancer and nothing to lock.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/prisma';
import type { Config } from '../config';
import { LoadBalancerLocked } from './errors';
import { amphoraFailoverFlow, startFlow, type FlowName, type FlowRequest } from './flows';
import { ProvisioningStatus } from './status';

/** Starts the flow; on failure undoes the lock (`revert`) and rethrows. The API maps errors to faults here. */
export type StartWithRevert = (flow: FlowRequest<FlowName>, revert: () => Promise<unknown>) => Promise<void>;

export interface FailoverStartDeps {
  db: Db;
  temporal: Client;
  config: Config;
}

export async function lockAndStartAmphoraFailover(
  deps: FailoverStartDeps,
  amphora: { id: string; loadBalancerId: string | null },
  start?: StartWithRevert,
): Promise<void> {
  const { db, config } = deps;
  let projectId: string | undefined;
  let previous: ProvisioningStatus | undefined;
  if (amphora.loadBalancerId) {
    const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id: amphora.loadBalancerId } });
    const { count } = await db.loadBalancer.updateMany({
      where: { id: lb.id, provisioningStatus: { in: [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR] } },
      data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: new Date() },
    });
    if (count === 0) throw new LoadBalancerLocked(lb.id, lb.provisioningStatus);
    projectId = lb.projectId;
    previous = lb.provisioningStatus;
  }
  const revert = async () => {
    if (amphora.loadBalancerId && previous) {
      await db.loadBalancer.updateMany({
        where: { id: amphora.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_UPDATE },
        data: { provisioningStatus: previous },
      });
    }
  };
  const run: StartWithRevert =
    start ??
    (async (flow, undo) => {
      try {
        await startFlow(deps.temporal, config.temporal.taskQueue, flow);
      } catch (err) {
        await undo();
        throw err;
      }
    });
  await run(amphoraFailoverFlow(amphora, projectId, config), revert);
}
