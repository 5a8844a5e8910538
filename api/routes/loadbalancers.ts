/** /v2/lbaas/loadbalancers (Octavia api-ref: Load Balancers). */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { loadBalancerFlows, type FlowName, type FlowRequest } from '../../common/flows';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import { deleteLoadBalancerChildren } from '../../db/children';
import { lockLoadBalancer, releaseLoadBalancer } from '../../db/loadbalancers';
import { Prisma } from '../../generated/prisma/client';
import { collection } from '../collection';
import { authorize, projectForCreate } from '../context';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { startOrRevert } from '../lifecycle';
import { loadBalancerFullSchema, loadBalancerFullView, planGraph, writeGraph } from '../graph';
import { checkAvailabilityZone, loadBalancerPlacement } from '../../domain/loadbalancer-flavor';
import { enforceQuota } from '../../domain/quotas';
import { validateVipRequest } from '../../domain/validate';
import { loadBalancerInclude, loadBalancers } from '../resources/loadbalancer';
import { InvalidFilter, InvalidState, ValidationFailure } from '../../common/errors';

/** DELETED rows are history, never shown (as in Octavia). */
const visible = { provisioningStatus: { not: ProvisioningStatus.DELETED } };

const deleteQuery = z.object({ cascade: z.enum(['true', 'false', 'True', 'False']).optional().meta({ description: 'Delete the children too.' }) });

export function loadBalancerRoutes(deps: ApiDeps): ApiRouter {
  const { db, config } = deps;
  const routes = new ApiRouter();
  const lbs = collection(deps, loadBalancers, { rbac: 'loadbalancer', scope: () => visible, include: loadBalancerInclude });
  const find = (req: Request, res: Response) => lbs.find(req, res);
  lbs.routes(routes);

  routes.post('/', { summary: 'Create a load balancer', body: loadBalancers.bodies.create, response: loadBalancerFullSchema }, async (req, res, body) => {
    const lb = body().loadbalancer;
    const projectId = projectForCreate(req, lb);
    // The flavor (enabled, of the provider) chooses the topology (domain/loadbalancer-flavor.ts).
    const { provider, topology } = await loadBalancerPlacement(db, config, lb);
    // A single-call create's tree is checked whole before anything is allocated (api/graph.ts).
    const graph = await planGraph(deps, lb);
    // The VIP is allocated in the request, as Octavia 11 does, so the 201 carries the real address; from
    // here on every failure releases it again before it is answered (nothing half-made).
    // Octavia's VIP checks through the network driver (domain/validate.ts): unknown ids are 400s, and
    // what the request left out (the subnet of a port or network, ...) is filled in.
    const asked = await validateVipRequest(
      deps.network,
      { subnetId: lb.vip_subnet_id, networkId: lb.vip_network_id, portId: lb.vip_port_id, ipAddress: lb.vip_address, qosPolicyId: lb.vip_qos_policy_id },
      topology,
    );
    const id = randomUUID();
    const vip = await deps.network.allocateVip({ loadBalancerId: id, projectId, ...asked });
    const releaseVip = () => deps.network.deallocateVip(id, vip);
    // One transaction: the quota (403), the availability zone (exists, enabled, share-locked) and the row.
    const row = await db.$transaction(async (tx) => {
      await enforceQuota(tx, projectId, 'load_balancer');
      await checkAvailabilityZone(tx, lb.availability_zone);
      const created = await tx.loadBalancer.create({
        data: {
          id,
          projectId,
          name: lb.name,
          description: lb.description,
          enabled: lb.admin_state_up ?? true,
          provisioningStatus: ProvisioningStatus.PENDING_CREATE,
          operatingStatus: OperatingStatus.OFFLINE,
          provider,
          topology,
          flavorId: lb.flavor_id,
          availabilityZone: lb.availability_zone,
          vipAddress: vip.ipAddress,
          vipPortId: vip.portId,
          vipSubnetId: vip.subnetId,
          vipNetworkId: vip.networkId,
          vipQosPolicyId: vip.qosPolicyId ?? null,
          tags: lb.tags ?? [],
        },
      });
      // The tree, PENDING_CREATE, within the quotas: its load balancer's flow builds it with it.
      if (graph) await writeGraph(tx, graph, created);
      return created;
    }).catch(async (err: unknown) => {
      await releaseVip();
      // The flavor was deleted meanwhile (its foreign key refused the row).
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') throw new ValidationFailure('Invalid flavor_id.');
      throw err;
    });
    // Read before the flow starts: the answer shows the tree PENDING_CREATE, as Octavia's does.
    const view = await loadBalancerFullView(db, row.id);
    // Without its flow the load balancer would wait in PENDING_CREATE forever: it is removed instead,
    // with its tree.
    await startOrRevert(deps, loadBalancerFlows.create(row, config), async () => {
      await db.$transaction(async (tx) => {
        await deleteLoadBalancerChildren(tx, row.id);
        await tx.loadBalancer.delete({ where: { id: row.id } });
      });
      await releaseVip();
    });
    res.status(201).json(view);
  });

  /**
   * PUT, failover and delete share one shape: the load balancer's lock (from one of `from` to
   * `pending`; anything else is Octavia's "Invalid state"), the flow, and the state given back if the
   * flow cannot start.
   */
  async function lockAndStart(
    req: Request,
    res: Response,
    action: 'loadbalancer:put' | 'loadbalancer:put_failover' | 'loadbalancer:delete',
    from: ProvisioningStatus[],
    pending: ProvisioningStatus,
    flow: (lb: { id: string; projectId: string; name?: string | null; topology?: string | null }) => FlowRequest<FlowName>,
    check?: (lb: Awaited<ReturnType<typeof find>>) => void,
  ) {
    const lb = await find(req, res);
    authorize(req, action, lb.projectId);
    check?.(lb);
    if (!(await lockLoadBalancer(db, lb.id, from, pending))) throw new InvalidState('loadbalancer', lb.id, (await find(req, res)).provisioningStatus);
    await startOrRevert(deps, flow(lb), () => releaseLoadBalancer(db, lb.id, pending, lb.provisioningStatus));
    return lb;
  }

  routes.put('/:id', { summary: 'Update a load balancer', body: loadBalancers.bodies.update, response: loadBalancers.showSchema }, async (req, res, body) => {
    const updates = loadBalancers.toColumns(body().loadbalancer);
    const lb = await lockAndStart(req, res, 'loadbalancer:put', [ProvisioningStatus.ACTIVE], ProvisioningStatus.PENDING_UPDATE, (l) =>
      loadBalancerFlows.update(l, config, updates, randomUUID().slice(0, 8)),
    );
    res.json({ loadbalancer: loadBalancers.preview({ ...lb, provisioningStatus: ProvisioningStatus.PENDING_UPDATE }, updates) });
  });

  /** Load balancer failover: every amphora replaced. Allowed from ERROR too: that is what it is for. */
  routes.put('/:id/failover', { summary: 'Fail a load balancer over', status: 202 }, async (req, res) => {
    await lockAndStart(req, res, 'loadbalancer:put_failover', [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR], ProvisioningStatus.PENDING_UPDATE, (l) =>
      loadBalancerFlows.failover(l, config, randomUUID().slice(0, 8)),
    );
    res.status(202).end();
  });

  routes.delete('/:id', { summary: 'Delete a load balancer', query: deleteQuery }, async (req, res) => {
    if (Object.keys(req.query).some((k) => k !== 'cascade')) throw new InvalidFilter();
    const cascade = String(req.query.cascade ?? 'false').toLowerCase() === 'true';
    // The state change is one conditional update: two concurrent deletes cannot both pass.
    await lockAndStart(
      req,
      res,
      'loadbalancer:delete',
      [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR],
      ProvisioningStatus.PENDING_DELETE,
      (l) => loadBalancerFlows.delete(l, config),
      (lb) => {
        if (!cascade && (lb.listeners.length > 0 || lb.pools.length > 0)) {
          throw new ValidationFailure(`Cannot delete Load Balancer ${lb.id} - it has children`);
        }
      },
    );
    res.status(204).end();
  });

  return routes;
}
