/**
 * Read-only views of what runs (Octavia api-ref: the load balancer status tree and statistics,
 * listener statistics, amphora statistics and configuration):
 *   GET /v2/lbaas/loadbalancers/{id}/status   the status tree (lb_status_tree*.json)
 *   GET /v2/lbaas/loadbalancers/{id}/stats    summed over the load balancer's amphorae
 *   GET /v2/lbaas/listeners/{id}/stats        summed over the amphorae serving the listener
 *   GET /v2/octavia/amphorae/{id}/stats       per listener, as the amphora reports it
 *   PUT /v2/octavia/amphorae/{id}/config      Octavia's "update amphora agent configuration"
 *
 * Statistics come from the amphora driver (AmphoraDriver.getStats) at the time of the request rather
 * than from a statistics table fed by heartbeats (Octavia's health manager): an amphora that does not
 * answer is left out of the sum (and logged), so one unreachable amphora of a pair does not fail the
 * read.
 */
import { Router, type Request } from 'express';
import type { ListenerStats } from '../../drivers/amphora/port';
import { AmphoraStatus, ProvisioningStatus } from '../../common/status';
import type { Amphora } from '../../generated/prisma/client';
import { projectScope } from '../context';
import type { ApiDeps } from '../deps';
import { findOr404 } from '../lifecycle';
import { NotFound, ServiceUnavailable } from '../../common/errors';

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

interface StatsSum {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

function sum(stats: ListenerStats[]): StatsSum {
  const total: StatsSum = { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 };
  for (const s of stats) {
    total.bytes_in += s.bytesIn;
    total.bytes_out += s.bytesOut;
    total.active_connections += s.activeConnections;
    total.total_connections += s.totalConnections;
    total.request_errors += s.requestErrors;
  }
  return total;
}

const target = (a: Amphora) => ({ amphoraId: a.id, lbNetworkIp: a.lbNetworkIp, role: a.role });

/** Load balancer, listener and amphora statistics and the status tree. */
export function loadBalancerStatusRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();

  const findLoadBalancer = (req: Request) =>
    findOr404('Load Balancer', req.params.id as string, (id) =>
      db.loadBalancer.findFirst({ where: { id, provisioningStatus: { not: ProvisioningStatus.DELETED }, ...projectScope(req) }, include: statusTreeInclude }),
    );

  router.get('/:id/status', async (req, res) => {
    const lb = await findLoadBalancer(req);
    res.json({
      statuses: {
        loadbalancer: {
          id: lb.id,
          name: lb.name ?? '',
          operating_status: lb.operatingStatus,
          provisioning_status: lb.provisioningStatus,
          listeners: lb.listeners.map((l) => ({
            id: l.id,
            name: l.name ?? '',
            operating_status: l.operatingStatus,
            provisioning_status: l.provisioningStatus,
            pools: listenerPools(l).map((p) => ({
              id: p.id,
              name: p.name ?? '',
              provisioning_status: p.provisioningStatus,
              operating_status: p.operatingStatus,
              // As in Octavia, the key is there only when the pool has a monitor.
              ...(p.healthMonitor
                ? {
                    health_monitor: {
                      id: p.healthMonitor.id,
                      name: p.healthMonitor.name ?? '',
                      type: p.healthMonitor.type,
                      provisioning_status: p.healthMonitor.provisioningStatus,
                      operating_status: p.healthMonitor.operatingStatus,
                    },
                  }
                : {}),
              members: p.members.map((m) => ({
                id: m.id,
                name: m.name ?? '',
                operating_status: m.operatingStatus,
                provisioning_status: m.provisioningStatus,
                address: m.ipAddress,
                protocol_port: m.protocolPort,
              })),
            })),
          })),
        },
      },
    });
  });

  router.get('/:id/stats', async (req, res) => {
    const lb = await findLoadBalancer(req);
    res.json({ stats: sum(await loadBalancerStats(deps, lb.id)) });
  });

  return router;
}

/** The statistics every serving amphora of a load balancer reports; silent amphorae are left out. */
async function loadBalancerStats(deps: ApiDeps, loadBalancerId: string): Promise<ListenerStats[]> {
  const amphorae = await deps.db.amphora.findMany({ where: { loadBalancerId, status: AmphoraStatus.ALLOCATED }, orderBy: { id: 'asc' } });
  const reports = await Promise.allSettled(amphorae.map((a) => deps.amphoraDriver.getStats(target(a))));
  return reports.flatMap((r, i) => {
    if (r.status === 'fulfilled') return r.value;
    deps.log.warn({ err: r.reason, amphoraId: amphorae[i]?.id, loadBalancerId }, 'An amphora did not report its statistics');
    return [];
  });
}

export function listenerStatsRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/:id/stats', async (req, res) => {
    const listener = await findOr404('Listener', req.params.id, (id) => db.listener.findFirst({ where: { id, ...projectScope(req) } }));
    const stats = await loadBalancerStats(deps, listener.loadBalancerId);
    res.json({ stats: sum(stats.filter((s) => s.listenerId === listener.id)) });
  });

  return router;
}

export function amphoraStatsRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string) =>
    findOr404('Amphora', id, (i) => db.amphora.findFirst({ where: { id: i, status: { not: AmphoraStatus.DELETED } } }));

  /** Per listener, as the amphora reports it; an amphora that serves no listener has none (404, as Octavia). */
  router.get('/:id/stats', async (req, res) => {
    const amphora = await find(req.params.id);
    let stats: ListenerStats[];
    try {
      stats = await deps.amphoraDriver.getStats(target(amphora));
    } catch (err) {
      deps.log.warn({ err, amphoraId: amphora.id }, 'The amphora did not report its statistics');
      throw new ServiceUnavailable('The amphora');
    }
    if (stats.length === 0) throw new NotFound('Amphora stats for', amphora.id);
    res.json({
      amphora_stats: stats.map((s) => ({
        id: amphora.id,
        listener_id: s.listenerId,
        loadbalancer_id: amphora.loadBalancerId,
        active_connections: s.activeConnections,
        bytes_in: s.bytesIn,
        bytes_out: s.bytesOut,
        request_errors: s.requestErrors,
        total_connections: s.totalConnections,
      })),
    });
  });

  /**
   * Octavia's "update the amphora agent configuration": the controller re-renders the agent's own
   * settings (amphora-agent.conf: heartbeat targets, logging) and has the agent reload them. Here an
   * amphora has no agent settings apart from its load balancer's configuration, which every flow
   * already pushes whole; so the request is validated (the amphora exists and is not deleted) and
   * accepted, and nothing else happens. A real amphora agent driver would start its flow here.
   */
  router.put('/:id/config', async (req, res) => {
    await find(req.params.id);
    res.status(202).end();
  });

  return router;
}
