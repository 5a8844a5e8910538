/** /v2/lbaas/loadbalancers (Octavia api-ref: Load Balancers). */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { loadBalancerFlows, type FlowName, type FlowRequest } from '../../common/flows';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import { Prisma } from '../../generated/prisma/client';
import { projectForCreate, projectScope, requestContext } from '../context';
import type { ApiDeps } from '../deps';
import { startOrRevert } from '../lifecycle';
import { checkAvailabilityZone, loadBalancerPlacement } from '../../domain/loadbalancer-flavor';
import { enforceQuota } from '../../domain/quotas';
import { FilterSpec, isUuid, listPage, objectFilters, nameFilter, descriptionFilter } from '../listing';
import { loadBalancerCreateRoot, loadBalancerUpdateRoot } from '../schemas/loadbalancer';
import { mergeView, toColumns } from '../columns';
import { parseBody } from '../validation';
import { loadBalancerView } from '../views';
import { InvalidFilter, InvalidState, NotFound, ValidationFailure } from '../../common/errors';

const children = { listeners: { select: { id: true } }, pools: { select: { id: true } } } as const;

const filters: FilterSpec = {
  ...objectFilters,
  ...nameFilter,
  ...descriptionFilter,
  vip_address: { column: 'vipAddress', kind: 'string' },
  vip_port_id: { column: 'vipPortId', kind: 'string' },
  vip_subnet_id: { column: 'vipSubnetId', kind: 'string' },
  vip_network_id: { column: 'vipNetworkId', kind: 'string' },
  vip_qos_policy_id: { column: 'vipQosPolicyId', kind: 'string' },
  provider: { column: 'provider', kind: 'string' },
  flavor_id: { column: 'flavorId', kind: 'uuid' },
  availability_zone: { column: 'availabilityZone', kind: 'string' },
};

/** DELETED rows are history, never shown (as in Octavia). */
const visible = { provisioningStatus: { not: ProvisioningStatus.DELETED } };

const updatable = {
  name: 'name',
  description: 'description',
  admin_state_up: 'enabled',
  vip_qos_policy_id: 'vipQosPolicyId',
  tags: 'tags',
};

export function loadBalancerRoutes(deps: ApiDeps): Router {
  const { db, config } = deps;
  const router = Router();

  async function findVisible(id: string, req: Request) {
    const lb = isUuid(id) ? await db.loadBalancer.findFirst({ where: { id, ...visible, ...projectScope(req) }, include: children }) : null;
    if (!lb) throw new NotFound('Load Balancer', id);
    return lb;
  }

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      base: { ...visible, ...projectScope(req) },
      findMany: (args) => db.loadBalancer.findMany({ ...args, include: children }),
      findById: (id) => db.loadBalancer.findUnique({ where: { id } }),
      view: loadBalancerView,
    });
    res.json({ loadbalancers: page.items, loadbalancers_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ loadbalancer: loadBalancerView(await findVisible(req.params.id, req)) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(loadBalancerCreateRoot, req.body, 'load_balancer').loadbalancer;
    const projectId = projectForCreate(requestContext(req), body);
    // The flavor (enabled, of the provider) chooses the topology (domain/loadbalancer-flavor.ts).
    const { provider, topology } = await loadBalancerPlacement(db, config, body);
    // The VIP is allocated in the request, as Octavia 11 does, so the 201 carries the real address; from
    // here on every failure releases it again before it is answered (nothing half-made).
    const id = randomUUID();
    const vip = await deps.network.allocateVip({
      loadBalancerId: id,
      projectId,
      subnetId: body.vip_subnet_id,
      networkId: body.vip_network_id,
      portId: body.vip_port_id,
      ipAddress: body.vip_address,
      qosPolicyId: body.vip_qos_policy_id,
    });
    const releaseVip = () => deps.network.deallocateVip(id, vip);
    // One transaction: the quota (403), the availability zone (exists, enabled, share-locked) and the row.
    const lb = await db.$transaction(async (tx) => {
      await enforceQuota(tx, projectId, 'load_balancer');
      await checkAvailabilityZone(tx, body.availability_zone);
      return tx.loadBalancer.create({
        data: {
          id,
          projectId,
          name: body.name,
          description: body.description,
          enabled: body.admin_state_up ?? true,
          provisioningStatus: ProvisioningStatus.PENDING_CREATE,
          operatingStatus: OperatingStatus.OFFLINE,
          provider,
          topology,
          flavorId: body.flavor_id,
          availabilityZone: body.availability_zone,
          vipAddress: vip.ipAddress,
          vipPortId: vip.portId,
          vipSubnetId: vip.subnetId,
          vipNetworkId: vip.networkId,
          vipQosPolicyId: vip.qosPolicyId ?? null,
          tags: body.tags ?? [],
        },
        include: children,
      });
    }).catch(async (err: unknown) => {
      await releaseVip();
      // The flavor was deleted meanwhile (its foreign key refused the row).
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') throw new ValidationFailure('Invalid flavor_id.');
      throw err;
    });
    // Without its flow the load balancer would wait in PENDING_CREATE forever: it is removed instead.
    await startOrRevert(deps, loadBalancerFlows.create(lb, config), async () => {
      await db.loadBalancer.delete({ where: { id: lb.id } });
      await releaseVip();
    });
    res.status(201).json({ loadbalancer: loadBalancerView(lb) });
  });

  /**
   * PUT and failover share one shape: a conditional update ACTIVE -> PENDING_UPDATE (anything else:
   * Octavia's "Invalid state"), the flow, and the state restored if the flow cannot start.
   */
  async function lockAndStart(req: Request, from: ProvisioningStatus[], flow: (lb: { id: string; projectId: string }) => FlowRequest<FlowName>) {
    const lb = await findVisible(req.params.id as string, req);
    const { count } = await db.loadBalancer.updateMany({
      where: { id: lb.id, provisioningStatus: { in: from } },
      data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: new Date() },
    });
    if (count === 0) throw new InvalidState('loadbalancer', lb.id, (await findVisible(lb.id, req)).provisioningStatus);
    await startOrRevert(deps, flow(lb), () =>
      db.loadBalancer.updateMany({
        where: { id: lb.id, provisioningStatus: ProvisioningStatus.PENDING_UPDATE },
        data: { provisioningStatus: lb.provisioningStatus },
      }),
    );
    return lb;
  }

  router.put('/:id', async (req, res) => {
    const body = parseBody(loadBalancerUpdateRoot, req.body, 'load_balancer').loadbalancer;
    const updates = toColumns(body, updatable);
    const lb = await lockAndStart(req, [ProvisioningStatus.ACTIVE], (l) =>
      loadBalancerFlows.update(l, config, updates, randomUUID().slice(0, 8)),
    );
    res.json({ loadbalancer: mergeView(loadBalancerView({ ...lb, provisioningStatus: ProvisioningStatus.PENDING_UPDATE }), body) });
  });

  /** Load balancer failover: every amphora replaced. Allowed from ERROR too: that is what it is for. */
  router.put('/:id/failover', async (req, res) => {
    await lockAndStart(req, [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR], (l) =>
      loadBalancerFlows.failover(l, config, randomUUID().slice(0, 8)),
    );
    res.status(202).end();
  });

  router.delete('/:id', async (req, res) => {
    const unknown = Object.keys(req.query).filter((k) => k !== 'cascade');
    if (unknown.length > 0) throw new InvalidFilter();
    const cascade = String(req.query.cascade ?? 'false').toLowerCase() === 'true';
    const lb = await findVisible(req.params.id, req);
    if (!cascade && (lb.listeners.length > 0 || lb.pools.length > 0)) {
      throw new ValidationFailure(`Cannot delete Load Balancer ${lb.id} - it has children`);
    }
    // The state change is one conditional update: two concurrent deletes cannot both pass.
    const from = [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR];
    const { count } = await db.loadBalancer.updateMany({
      where: { id: lb.id, provisioningStatus: { in: from } },
      data: { provisioningStatus: ProvisioningStatus.PENDING_DELETE, updatedAt: new Date() },
    });
    if (count === 0) {
      const now = await findVisible(lb.id, req);
      throw new InvalidState('loadbalancer', lb.id, now.provisioningStatus);
    }
    await startOrRevert(deps, loadBalancerFlows.delete(lb, config), () =>
      db.loadBalancer.updateMany({
        where: { id: lb.id, provisioningStatus: ProvisioningStatus.PENDING_DELETE },
        data: { provisioningStatus: lb.provisioningStatus },
      }),
    );
    res.status(204).end();
  });

  return router;
}
