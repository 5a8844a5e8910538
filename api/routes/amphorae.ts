/** /v2/octavia/amphorae (Octavia api-ref: Amphorae; admin only). */
import { Router } from 'express';
import { amphoraFailoverFlow } from '../../common/flows';
import { AmphoraStatus, ProvisioningStatus } from '../../common/status';
import type { ApiDeps } from '../deps';
import { ImmutableObject } from '../errors';
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
  const { db, config } = deps;
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
    let projectId: string | undefined;
    let previous: ProvisioningStatus | undefined;
    if (amphora.loadBalancerId) {
      const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id: amphora.loadBalancerId } });
      const { count } = await db.loadBalancer.updateMany({
        where: { id: lb.id, provisioningStatus: { in: [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR] } },
        data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: new Date() },
      });
      if (count === 0) throw new ImmutableObject('Load Balancer', lb.id);
      projectId = lb.projectId;
      previous = lb.provisioningStatus;
    }
    await startOrRevert(deps, amphoraFailoverFlow(amphora, projectId, config), async () => {
      if (amphora.loadBalancerId && previous) {
        await db.loadBalancer.updateMany({
          where: { id: amphora.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_UPDATE },
          data: { provisioningStatus: previous },
        });
      }
    });
    res.status(202).end();
  });

  return router;
}
