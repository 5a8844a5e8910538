/** /v2/octavia/amphorae (Octavia api-ref: Amphorae; admin only). */
import { ImmutableObject, LoadBalancerLocked } from '../../common/errors';
import { lockAndStartAmphoraFailover } from '../failover';
import { AmphoraStatus } from '../../common/status';
import { collection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { authorize } from '../context';
import { startOrRevert } from '../lifecycle';
import { amphorae } from '../resources/amphora';

/** DELETED rows are history, never shown. */
const visible = { status: { not: AmphoraStatus.DELETED } };

export function amphoraRoutes(deps: ApiDeps): ApiRouter {
  const routes = new ApiRouter();
  // Amphorae are the operator's (admin only); Octavia finds one first, then checks the caller.
  const all = collection(deps, amphorae, { rbac: 'amphora', scope: () => visible, projectOf: () => undefined });
  all.routes(routes);

  /**
   * Fails one amphora over. Its load balancer is locked (ACTIVE or ERROR -> PENDING_UPDATE) as for any
   * change; a spare has no load balancer and is simply replaced.
   */
  routes.put('/:id/failover', { summary: 'Fail an amphora over', status: 202 }, async (req, res) => {
    const amphora = await all.find(req, res);
    authorize(req, 'amphora:put_failover');
    try {
      await lockAndStartAmphoraFailover(deps, amphora, (flow, revert) => startOrRevert(deps, flow, revert));
    } catch (err) {
      if (err instanceof LoadBalancerLocked) throw new ImmutableObject('Load Balancer', err.loadBalancerId);
      throw err;
    }
    res.status(202).end();
  });

  return routes;
}
