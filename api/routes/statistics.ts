/**
 * Read-only views of what runs (Octavia api-ref: the load balancer status tree and statistics,
 * listener statistics, amphora statistics and configuration):
 *   GET /v2/lbaas/loadbalancers/{id}/status   the status tree (lb_status_tree*.json)
 *   GET /v2/lbaas/loadbalancers/{id}/stats    summed over the load balancer's listeners
 *   GET /v2/lbaas/listeners/{id}/stats        summed over the amphorae that served the listener
 *   GET /v2/octavia/amphorae/{id}/stats       per listener, what the amphora reported
 *   PUT /v2/octavia/amphorae/{id}/config      Octavia's "update amphora agent configuration"
 *
 * Statistics are what the amphorae's heartbeats accumulated in listener_statistics (db/heartbeats.ts),
 * summed by Octavia's rules (domain/listener-statistics.ts); a read asks no amphora.
 */
import { Router, type Request } from 'express';
import { AmphoraStatus, ProvisioningStatus } from '../../common/status';
import { sumListenerRows, zeroStats, type ListenerStats } from '../../domain/listener-statistics';
import type { ListenerStatistics } from '../../generated/prisma/client';
import { projectScope } from '../context';
import type { ApiDeps } from '../deps';
import { findOr404 } from '../lifecycle';
import { NotFound } from '../../common/errors';

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

/** Octavia's statistics object, in its key order. */
const statsView = (s: ListenerStats) => ({
  bytes_in: s.bytesIn,
  bytes_out: s.bytesOut,
  active_connections: s.activeConnections,
  total_connections: s.totalConnections,
  request_errors: s.requestErrors,
});

/** A row's counters (BIGINT columns: far below 2^53 for any real load balancer's life). */
const rowStats = (r: ListenerStatistics): ListenerStats => ({
  bytesIn: Number(r.bytesIn),
  bytesOut: Number(r.bytesOut),
  activeConnections: r.activeConnections,
  totalConnections: Number(r.totalConnections),
  requestErrors: Number(r.requestErrors),
});

/** The statistics of these listeners together (Octavia's get_listener_stats, summed). */
async function listenerStats({ db }: ApiDeps, listenerIds: string[]): Promise<ListenerStats> {
  if (listenerIds.length === 0) return zeroStats();
  const rows = await db.listenerStatistics.findMany({ where: { listenerId: { in: listenerIds } } });
  const allocated = new Set(
    (
      await db.amphora.findMany({
        where: { id: { in: [...new Set(rows.map((r) => r.amphoraId))] }, status: AmphoraStatus.ALLOCATED },
        select: { id: true },
      })
    ).map((a) => a.id),
  );
  return sumListenerRows(rows.map((r) => ({ stats: rowStats(r), serving: allocated.has(r.amphoraId) || r.amphoraId === r.listenerId })));
}

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
    res.json({ stats: statsView(await listenerStats(deps, lb.listeners.map((l) => l.id))) });
  });

  return router;
}

export function listenerStatsRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();

  router.get('/:id/stats', async (req, res) => {
    const listener = await findOr404('Listener', req.params.id, (id) => db.listener.findFirst({ where: { id, ...projectScope(req) } }));
    res.json({ stats: statsView(await listenerStats(deps, [listener.id])) });
  });

  return router;
}

export function amphoraStatsRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string) =>
    findOr404('Amphora', id, (i) => db.amphora.findFirst({ where: { id: i, status: { not: AmphoraStatus.DELETED } } }));

  /** Per listener, what the amphora's heartbeats reported; one that never reported any has none (404, as Octavia). */
  router.get('/:id/stats', async (req, res) => {
    const amphora = await find(req.params.id);
    const rows = await db.listenerStatistics.findMany({
      where: { amphoraId: amphora.id },
      orderBy: [{ listener: { createdAt: 'asc' } }, { listenerId: 'asc' }],
    });
    if (rows.length === 0) throw new NotFound('Amphora stats for', amphora.id);
    res.json({
      amphora_stats: rows.map((r) => {
        const s = rowStats(r);
        return {
          id: amphora.id,
          listener_id: r.listenerId,
          loadbalancer_id: amphora.loadBalancerId,
          active_connections: s.activeConnections,
          bytes_in: s.bytesIn,
          bytes_out: s.bytesOut,
          request_errors: s.requestErrors,
          total_connections: s.totalConnections,
        };
      }),
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
