/**
 * Read-only views of what runs (Octavia api-ref: load balancer, listener and amphora statistics,
 * amphora configuration; the status tree is routes/loadbalancer-status.ts):
 *   GET /v2/lbaas/loadbalancers/{id}/stats    summed over the load balancer's listeners
 *   GET /v2/lbaas/listeners/{id}/stats        summed over the amphorae that served the listener
 *   GET /v2/octavia/amphorae/{id}/stats       per listener, what the amphora reported
 *   PUT /v2/octavia/amphorae/{id}/config      Octavia's "update amphora agent configuration"
 *
 * Statistics are what the amphorae's heartbeats accumulated in listener_statistics (db/heartbeats.ts),
 * summed by Octavia's rules (domain/listener-statistics.ts); a read asks no amphora.
 */
import { z } from 'zod';
import { AmphoraStatus, ProvisioningStatus } from '../../common/status';
import { sumListenerRows, zeroStats, type ListenerStats } from '../../domain/listener-statistics';
import type { ListenerStatistics } from '../../generated/prisma/client';
import { authorize } from '../context';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { findOr404 } from '../lifecycle';
import { NotFound } from '../../common/errors';

const counters = {
  bytes_in: z.number().int(),
  bytes_out: z.number().int(),
  active_connections: z.number().int(),
  total_connections: z.number().int(),
  request_errors: z.number().int(),
};
const statsSchema = z.object({ stats: z.object(counters) });
const amphoraStatsSchema = z.object({
  amphora_stats: z.array(z.object({ id: z.guid(), listener_id: z.guid(), loadbalancer_id: z.guid().nullable(), ...counters })),
});

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

export function loadBalancerStatsRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();

  routes.get('/:id/stats', { summary: "A load balancer's statistics", response: statsSchema }, async (req, res) => {
    const lb = await findOr404('Load Balancer', req.params.id as string, (id) =>
      db.loadBalancer.findFirst({
        where: { id, provisioningStatus: { not: ProvisioningStatus.DELETED } },
        include: { listeners: { select: { id: true } } },
      }),
    );
    authorize(req, 'loadbalancer:get_stats', lb.projectId);
    res.json({ stats: statsView(await listenerStats(deps, lb.listeners.map((l) => l.id))) });
  });

  return routes;
}

export function listenerStatsRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();

  routes.get('/:id/stats', { summary: "A listener's statistics", response: statsSchema }, async (req, res) => {
    const listener = await findOr404('Listener', req.params.id as string, (id) => db.listener.findFirst({ where: { id } }));
    authorize(req, 'listener:get_stats', listener.projectId);
    res.json({ stats: statsView(await listenerStats(deps, [listener.id])) });
  });

  return routes;
}

export function amphoraStatsRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const find = (id: string) =>
    findOr404('Amphora', id, (i) => db.amphora.findFirst({ where: { id: i, status: { not: AmphoraStatus.DELETED } } }));

  /** Per listener, what the amphora's heartbeats reported; one that never reported any has none (404, as Octavia). */
  routes.get('/:id/stats', { summary: "An amphora's statistics, per listener", response: amphoraStatsSchema }, async (req, res) => {
    authorize(req, 'amphora:get_stats');
    const amphora = await find(req.params.id as string);
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
  routes.put('/:id/config', { summary: "Update an amphora agent's configuration", status: 202 }, async (req, res) => {
    await find(req.params.id as string);
    authorize(req, 'amphora:put_config');
    res.status(202).end();
  });

  return routes;
}
