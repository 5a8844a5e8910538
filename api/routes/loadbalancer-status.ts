/**
 * GET /v2/lbaas/loadbalancers/{id}/status (Octavia api-ref: Get the Load Balancer status tree;
 * lb_status_tree*.json): the load balancer, its listeners, their pools, each pool's monitor and
 * members, with their statuses. Each node is its resource's own view (api/resources/), cut to the keys
 * Octavia's tree shows, in its order.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { ProvisioningStatus } from '../../common/status';
import { authorize } from '../context';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { findOr404 } from '../lifecycle';
import type { Resource } from '../resource';
import { healthMonitors } from '../resources/healthmonitor';
import { listeners } from '../resources/listener';
import { loadBalancers } from '../resources/loadbalancer';
import { members } from '../resources/member';
import { pools } from '../resources/pool';

const byCreation = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];

const poolStatusInclude = { include: { members: { orderBy: byCreation }, healthMonitor: true } } as const;

/**
 * A listener's pools in the tree are Octavia's `listener.pools`: its default pool and the pools its L7
 * policies redirect to (in policy order, each once). Octavia's tree shows no policies or rules.
 */
const statusTreeInclude = {
  listeners: {
    orderBy: byCreation,
    include: {
      defaultPool: poolStatusInclude,
      l7Policies: { orderBy: { position: 'asc' as const }, include: { redirectPool: poolStatusInclude } },
    },
  },
} as const;

function listenerPools<P extends { id: string }>(l: { defaultPool: P | null; l7Policies: { redirectPool: P | null }[] }): P[] {
  const pools = new Map<string, P>();
  for (const p of [l.defaultPool, ...l.l7Policies.map((r) => r.redirectPool)]) if (p && !pools.has(p.id)) pools.set(p.id, p);
  return [...pools.values()];
}

/** A node of the tree: these keys of the resource's view, in this order; and its schema. */
function node<R>(resource: Resource<R>, keys: string[]) {
  return {
    of: (row: R) => {
      const view = resource.view(row) as Record<string, unknown>;
      return Object.fromEntries(keys.map((k) => [k, view[k]]));
    },
    schema: z.object(Object.fromEntries(keys.map((k) => [k, resource.schema.shape[k]!]))),
  };
}

const lbNode = node(loadBalancers, ['id', 'name', 'operating_status', 'provisioning_status']);
const listenerNode = node(listeners, ['id', 'name', 'operating_status', 'provisioning_status']);
const poolNode = node(pools, ['id', 'name', 'provisioning_status', 'operating_status']);
const monitorNode = node(healthMonitors, ['id', 'name', 'type', 'provisioning_status', 'operating_status']);
const memberNode = node(members, ['id', 'name', 'operating_status', 'provisioning_status', 'address', 'protocol_port']);

const statusTreeSchema = z.object({
  statuses: z.object({
    loadbalancer: lbNode.schema.extend({
      listeners: z.array(
        listenerNode.schema.extend({
          // As in Octavia, health_monitor is there only when the pool has a monitor.
          pools: z.array(poolNode.schema.extend({ health_monitor: monitorNode.schema.optional(), members: z.array(memberNode.schema) })),
        }),
      ),
    }),
  }),
});

export function loadBalancerStatusRoutes({ db }: ApiDeps): ApiRouter {
  const routes = new ApiRouter();

  routes.get('/:id/status', { summary: "A load balancer's status tree", response: statusTreeSchema }, async (req: Request, res) => {
    const lb = await findOr404('Load Balancer', String(req.params.id), (id) =>
      db.loadBalancer.findFirst({ where: { id, provisioningStatus: { not: ProvisioningStatus.DELETED } }, include: statusTreeInclude }),
    );
    authorize(req, 'loadbalancer:get_status', lb.projectId);
    res.json({
      statuses: {
        loadbalancer: {
          ...lbNode.of({ ...lb, pools: [] }),
          listeners: lb.listeners.map((l) => ({
            ...listenerNode.of(l),
            pools: listenerPools(l).map((p) => ({
              ...poolNode.of({ ...p, listeners: [] }),
              ...(p.healthMonitor ? { health_monitor: monitorNode.of(p.healthMonitor) } : {}),
              members: p.members.map((m) => memberNode.of(m)),
            })),
          })),
        },
      },
    });
  });

  return routes;
}
