/**
 * What one amphora heartbeat changes in the database (Octavia's UpdateHealthDb and update_db
 * statistics driver), in one transaction:
 *
 *   - amphora_health: the amphora's last heartbeat, and the end of a failover claim (busy): an amphora
 *     that answers again is watched again. Recorded for every amphora the database knows, a DELETED one
 *     included (a zombie: the health monitor deletes its instance);
 *   - listener_statistics: the reported statistics of every listener the database knows
 *     (domain/listener-statistics.ts);
 *   - the operating statuses the heartbeat reports, rolled up by domain/operating-status.ts, when the
 *     amphora serves a load balancer (ALLOCATED); only what changed is written.
 *
 * The receiver (platform/heartbeat-receiver.ts) decodes the datagram; this module sees only its meaning.
 */
import { AmphoraStatus, ProvisioningStatus } from '../common/status';
import type { ReportedListenerStats, ReportedStats } from '../domain/listener-statistics';
import { rollUp, type HealthReport, type StatusChanges } from '../domain/operating-status';
import { Prisma } from '../generated/prisma/client';
import type { Db } from './prisma';

export interface HeartbeatRecord {
  amphoraId: string;
  report: HealthReport;
  stats: ReportedStats;
}

/** `unknown_amphora`: no amphora has the id (never made, or purged): nothing is written. */
export type RecordOutcome = 'recorded' | 'unknown_amphora';

const loadBalancerSnapshot = {
  select: {
    enabled: true,
    operatingStatus: true,
    provisioningStatus: true,
    listeners: { select: { id: true, operatingStatus: true } },
    pools: { select: { id: true, operatingStatus: true, members: { select: { id: true, operatingStatus: true } } } },
  },
} as const;

export async function recordHeartbeat(db: Db, beat: HeartbeatRecord, now: Date = new Date()): Promise<RecordOutcome> {
  const { amphoraId } = beat;
  const amphora = await db.amphora.findUnique({
    where: { id: amphoraId },
    select: { status: true, loadBalancerId: true, loadBalancer: loadBalancerSnapshot },
  });
  if (!amphora) return 'unknown_amphora';

  const writes: Prisma.PrismaPromise<unknown>[] = [
    db.amphoraHealth.upsert({
      where: { amphoraId },
      create: { amphoraId, lastUpdate: now, busy: false },
      update: { lastUpdate: now, busy: false },
    }),
    ...statisticsWrites(db, amphoraId, beat.stats),
  ];
  const lb = amphora.loadBalancer;
  if (amphora.status === AmphoraStatus.ALLOCATED && amphora.loadBalancerId && lb && lb.provisioningStatus !== ProvisioningStatus.DELETED) {
    writes.push(...statusWrites(db, amphora.loadBalancerId, rollUp(lb, beat.report)));
  }
  try {
    await db.$transaction(writes);
  } catch (err) {
    // A foreign key refused a row: the amphora was purged since it was read (or a listener was deleted,
    // which the caller's next attempt leaves out).
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003' && !(await db.amphora.findUnique({ where: { id: amphoraId }, select: { id: true } }))) {
      return 'unknown_amphora';
    }
    throw err;
  }
  return 'recorded';
}

/**
 * One upsert per kind of report (deltas are added, absolute values replace), of the listeners that
 * exist: an amphora may still report a listener that was just deleted.
 */
function statisticsWrites(db: Db, amphoraId: string, stats: ReportedStats): Prisma.PrismaPromise<number>[] {
  const byKind = new Map<boolean, (ReportedListenerStats & { listenerId: string })[]>();
  for (const [listenerId, s] of stats) byKind.set(s.deltas, [...(byKind.get(s.deltas) ?? []), { ...s, listenerId }]);
  return [...byKind].map(([deltas, rows]) => {
    const values = JSON.stringify(
      rows.map((r) => ({
        listener_id: r.listenerId,
        bytes_in: r.bytesIn,
        bytes_out: r.bytesOut,
        active_connections: r.activeConnections,
        total_connections: r.totalConnections,
        request_errors: r.requestErrors,
      })),
    );
    const update = deltas
      ? Prisma.sql`"bytes_in" = "listener_statistics"."bytes_in" + EXCLUDED."bytes_in",
          "bytes_out" = "listener_statistics"."bytes_out" + EXCLUDED."bytes_out",
          "total_connections" = "listener_statistics"."total_connections" + EXCLUDED."total_connections",
          "request_errors" = "listener_statistics"."request_errors" + EXCLUDED."request_errors",
          "active_connections" = EXCLUDED."active_connections"`
      : Prisma.sql`"bytes_in" = EXCLUDED."bytes_in", "bytes_out" = EXCLUDED."bytes_out",
          "total_connections" = EXCLUDED."total_connections", "request_errors" = EXCLUDED."request_errors",
          "active_connections" = EXCLUDED."active_connections"`;
    return db.$executeRaw`
      INSERT INTO "listener_statistics"
        ("listener_id", "amphora_id", "bytes_in", "bytes_out", "active_connections", "total_connections", "request_errors")
      SELECT s.listener_id, ${amphoraId}::uuid, s.bytes_in, s.bytes_out, s.active_connections, s.total_connections, s.request_errors
      FROM jsonb_to_recordset(${values}::jsonb) AS s(listener_id uuid, bytes_in bigint, bytes_out bigint,
        active_connections integer, total_connections bigint, request_errors bigint)
      WHERE EXISTS (SELECT 1 FROM "listener" l WHERE l.id = s.listener_id)
      ON CONFLICT ("listener_id", "amphora_id") DO UPDATE SET ${update}`;
  });
}

function statusWrites(db: Db, loadBalancerId: string, changes: StatusChanges): Prisma.PrismaPromise<unknown>[] {
  const byStatus = (m: Map<string, string>) => {
    const groups = new Map<string, string[]>();
    for (const [id, status] of m) groups.set(status, [...(groups.get(status) ?? []), id]);
    return [...groups] as [never, string[]][];
  };
  return [
    ...byStatus(changes.members).map(([operatingStatus, ids]) => db.member.updateMany({ where: { id: { in: ids } }, data: { operatingStatus } })),
    ...byStatus(changes.pools).map(([operatingStatus, ids]) => db.pool.updateMany({ where: { id: { in: ids }, loadBalancerId }, data: { operatingStatus } })),
    ...byStatus(changes.listeners).map(([operatingStatus, ids]) =>
      db.listener.updateMany({ where: { id: { in: ids }, loadBalancerId }, data: { operatingStatus } }),
    ),
    ...(changes.loadBalancer
      ? [db.loadBalancer.updateMany({ where: { id: loadBalancerId, provisioningStatus: { not: ProvisioningStatus.DELETED } }, data: { operatingStatus: changes.loadBalancer } })]
      : []),
  ];
}
