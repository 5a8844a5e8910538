/**
 * The health manager's HTTP side, outside the Octavia API (no Keystone token: amphorae have none):
 *
 *   POST /internal/amphorae/{amphora_id}/heartbeat   an amphora's heartbeat (Octavia's v3 message:
 *        {"id", "seq", "ver": 3, "listeners": {id: {"status": "OPEN"|"FULL", "stats": {...}}},
 *         "pools": {"<pool id>:<listener id>": {"status": "UP"|"DOWN", "members": {id: "UP"|...}}}})
 *        -> 204. Records the heartbeat (amphora_health.last_update) and rolls the member statuses up to
 *        pools, listeners and the load balancer (domain/operating-status.ts). Unknown (or purged)
 *        amphorae get 404, never a 500. With HEARTBEAT_KEY set, the body must be signed:
 *        X-Heartbeat-Signature = hex HMAC-SHA256(key, body), else 401.
 *   GET /metrics   Prometheus metrics of the process (common/metrics.ts registry).
 *
 * Mounted before the request logger: heartbeats arrive every HEARTBEAT_INTERVAL from every amphora.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import { setFailoverStoppedSource } from '../../common/liveness-metrics';
import { registry } from '../../common/metrics';
import { AmphoraStatus, ProvisioningStatus } from '../../common/status';
import { Prisma } from '../../generated/prisma/client';
import { heartbeatSignature } from '../../drivers/amphora/noop';
import type { ApiDeps } from '../deps';
import { isUuid } from '../listing';
import { normaliseReport, rollUp, type StatusChanges } from '../../domain/operating-status';
import { ApiFault, MalformedJson, NotFound } from '../../common/errors';

const poolReport = z.looseObject({ status: z.string().optional(), members: z.record(z.string(), z.string()).optional() });
const heartbeat = z.looseObject({
  id: z.string().optional(),
  seq: z.number().optional(),
  ver: z.number().optional(),
  listeners: z.record(z.string(), z.looseObject({ status: z.string().optional(), pools: z.record(z.string(), poolReport).optional() })).optional(),
  pools: z.record(z.string(), poolReport).optional(),
});
type Heartbeat = z.infer<typeof heartbeat>;

export function healthManagerRoutes(deps: ApiDeps): Router {
  const { db, config } = deps;
  const router = Router();
  setFailoverStoppedSource(() => db.amphora.count({ where: { status: AmphoraStatus.FAILOVER_STOPPED } }));

  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  router.post('/internal/amphorae/:id/heartbeat', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const id = req.params.id;
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const key = config.health.heartbeatKey?.reveal();
    if (key) {
      const given = Buffer.from(String(req.headers['x-heartbeat-signature'] ?? ''), 'utf8');
      const expected = Buffer.from(heartbeatSignature(key, raw), 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new ApiFault(401, 'The heartbeat signature does not match HEARTBEAT_KEY.');
      }
    }
    let message: Heartbeat = {};
    if (raw.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new MalformedJson();
      }
      const checked = heartbeat.safeParse(parsed);
      if (!checked.success) throw new ApiFault(400, `Invalid heartbeat: ${checked.error.issues[0]?.message ?? 'malformed'}`);
      message = checked.data;
    }
    if (!isUuid(id) || (message.id !== undefined && message.id !== id)) throw new NotFound('Amphora', id);
    await recordHeartbeat(deps, id, message);
    res.status(204).end();
  });

  return router;
}

/** Records the heartbeat, then the operating statuses it reports. */
async function recordHeartbeat(d: ApiDeps, amphoraId: string, message: Heartbeat): Promise<void> {
  const { db, log } = d;
  const amphora = await db.amphora.findUnique({ where: { id: amphoraId }, select: { status: true, loadBalancerId: true } });
  if (!amphora) {
    log.warn({ amphoraId }, 'Heartbeat from an amphora the database does not know (purged?): its compute instance, if any, must be deleted by hand');
    throw new NotFound('Amphora', amphoraId);
  }
  const now = new Date();
  try {
    // A heartbeat also ends a failover claim (busy): an amphora that answers again is watched again.
    await db.amphoraHealth.upsert({
      where: { amphoraId },
      create: { amphoraId, lastUpdate: now, busy: false },
      update: { lastUpdate: now, busy: false },
    });
  } catch (err) {
    // Purged between the read and the write: the foreign key refuses the row.
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') throw new NotFound('Amphora', amphoraId);
    throw err;
  }
  // A DELETED amphora that heartbeats is a zombie: the health monitor deletes its instance.
  if (amphora.status !== AmphoraStatus.ALLOCATED || !amphora.loadBalancerId || message.listeners === undefined) return;
  const lb = await db.loadBalancer.findUnique({
    where: { id: amphora.loadBalancerId },
    select: {
      enabled: true,
      operatingStatus: true,
      provisioningStatus: true,
      listeners: { select: { id: true, operatingStatus: true } },
      pools: { select: { id: true, operatingStatus: true, members: { select: { id: true, operatingStatus: true } } } },
    },
  });
  if (!lb || lb.provisioningStatus === ProvisioningStatus.DELETED) return;
  const changes = rollUp(lb, normaliseReport(message));
  await applyStatusChanges(d, amphora.loadBalancerId, changes);
}

async function applyStatusChanges(deps: ApiDeps, loadBalancerId: string, changes: StatusChanges): Promise<void> {
  const { db } = deps;
  const byStatus = (m: Map<string, string>) => {
    const groups = new Map<string, string[]>();
    for (const [id, status] of m) groups.set(status, [...(groups.get(status) ?? []), id]);
    return [...groups] as [never, string[]][];
  };
  const writes = [
    ...byStatus(changes.members).map(([operatingStatus, ids]) => db.member.updateMany({ where: { id: { in: ids } }, data: { operatingStatus } })),
    ...byStatus(changes.pools).map(([operatingStatus, ids]) => db.pool.updateMany({ where: { id: { in: ids }, loadBalancerId }, data: { operatingStatus } })),
    ...byStatus(changes.listeners).map(([operatingStatus, ids]) =>
      db.listener.updateMany({ where: { id: { in: ids }, loadBalancerId }, data: { operatingStatus } }),
    ),
    ...(changes.loadBalancer
      ? [db.loadBalancer.updateMany({ where: { id: loadBalancerId, provisioningStatus: { not: ProvisioningStatus.DELETED } }, data: { operatingStatus: changes.loadBalancer } })]
      : []),
  ];
  if (writes.length > 0) await db.$transaction(writes);
}
