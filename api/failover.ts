/**
 * The API's amphora failover (PUT /v2/octavia/amphorae/{id}/failover): the amphora's load balancer is
 * locked first (ACTIVE or ERROR -> PENDING_UPDATE, one conditional UPDATE, as for any change), then
 * `failoverAmphora` is started under the amphora's own workflow id (`amphora-<id>-failover`, conflict
 * policy FAIL: never two at once). If the flow cannot be started, the lock is undone. A spare has no
 * load balancer and nothing to lock. The health monitor does the same in workflow code
 * (workflows/liveness.ts), starting the flow as a child workflow.
 */
import { LoadBalancerLocked } from '../common/errors';
import { amphoraFailoverFlow, bootSettings, type FlowName, type FlowRequest } from '../common/flows';
import { ProvisioningStatus } from '../common/status';
import type { Config } from '../config';
import { lockLoadBalancer, releaseLoadBalancer } from '../db/loadbalancers';
import type { Db } from '../db/prisma';

/** Starts the flow; on failure undoes the lock (`revert`) and rethrows (api/lifecycle.ts startOrRevert, which maps errors to faults). */
export type StartWithRevert = (flow: FlowRequest<FlowName>, revert: () => Promise<unknown>) => Promise<void>;

export async function lockAndStartAmphoraFailover(
  { db, config }: { db: Db; config: Config },
  amphora: { id: string; loadBalancerId: string | null },
  start: StartWithRevert,
): Promise<void> {
  let projectId: string | undefined;
  let previous: ProvisioningStatus | undefined;
  if (amphora.loadBalancerId) {
    const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id: amphora.loadBalancerId } });
    if (!(await lockLoadBalancer(db, lb.id, [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR], ProvisioningStatus.PENDING_UPDATE))) {
      throw new LoadBalancerLocked(lb.id, lb.provisioningStatus);
    }
    projectId = lb.projectId;
    previous = lb.provisioningStatus;
  }
  const revert = async () => {
    if (amphora.loadBalancerId && previous) await releaseLoadBalancer(db, amphora.loadBalancerId, ProvisioningStatus.PENDING_UPDATE, previous);
  };
  await start(amphoraFailoverFlow(amphora, projectId, bootSettings(config)), revert);
}
