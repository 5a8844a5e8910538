/** /v2/octavia/amphorae (Octavia api-ref: Amphorae; admin only). */
import { Router } from 'express';
import { ImmutableObject, LoadBalancerLocked } from '../../common/errors';
import { lockAndStartAmphoraFailover } from '../failover';
import { AmphoraStatus } from '../../common/status';
import type { ApiDeps } from '../deps';
import { findOr404, startOrRevert } from '../lifecycle';
import { FilterSpec, listPage } from '../listing';
import { amphoraView } from '../views';

const filters: FilterSpec = {
  id: { column: 'id', kind: 'uuid' },
  loadbalancer_id: { column: 'loadBalancerId', kind: 'uuid' },
  compute_id: { column: 'computeId', kind: 'string' },
  lb_network_ip: { column: 'lbNetworkIp', kind: 'string' },
  role: { column: 'role', kind: { enum: { STANDALONE: 'STANDALONE', MASTER: 'MASTER', BACKUP: 'BACKUP' } } },
  status: { column: 'status', kind: { enum: AmphoraStatus } },
  cached_zone: { column: 'cachedZone', kind: 'string' },
  image_id: { column: 'imageId', kind: 'string' },
  compute_flavor: { column: 'computeFlavor', kind: 'string' },
};

const visible = { status: { not: AmphoraStatus.DELETED } };

export function amphoraRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string) => findOr404('Amphora', id, (i) => db.amphora.findFirst({ where: { id: i, ...visible } }));

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      base: visible,
      findMany: (args) => db.amphora.findMany(args),
      findById: (id) => db.amphora.findUnique({ where: { id } }),
      view: amphoraView,
    });
    res.json({ amphorae: page.items, amphorae_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ amphora: amphoraView(await find(req.params.id)) });
  });

  /**
   * Fails one amphora over. Its load balancer is locked (ACTIVE or ERROR -> PENDING_UPDATE) as for any
   * change; a spare has no load balancer and is simply replaced.
   */
  router.put('/:id/failover', async (req, res) => {
    const amphora = await find(req.params.id);
    try {
      await lockAndStartAmphoraFailover(deps, amphora, (flow, revert) => startOrRevert(deps, flow, revert));
    } catch (err) {
      if (err instanceof LoadBalancerLocked) throw new ImmutableObject('Load Balancer', err.loadBalancerId);
      throw err;
    }
    res.status(202).end();
  });

  return router;
}
