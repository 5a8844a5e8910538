/**
 * What the status gauges of /metrics read at scrape time: objects by provisioning and operating status
 * (one statement over every table) and spare amphorae by status.
 */
import type { ObjectCount, SpareCounts } from '../common/metrics';
import type { Db } from './prisma';

/** Octavia's resource names (as the API and the metrics' `resource` label spell them) and their tables. */
const tables = [
  ['loadbalancer', 'load_balancer'],
  ['listener', 'listener'],
  ['pool', 'pool'],
  ['member', 'member'],
  ['healthmonitor', 'health_monitor'],
  ['l7policy', 'l7policy'],
  ['l7rule', 'l7rule'],
] as const;

const statement = tables
  .map(
    ([resource, table]) =>
      `SELECT '${resource}' AS resource, provisioning_status::text AS p, operating_status::text AS o, count(*)::int AS n FROM "${table}" GROUP BY 2, 3`,
  )
  .join(' UNION ALL ');

export async function countObjectsByStatus(db: Db): Promise<ObjectCount[]> {
  const rows = await db.$queryRawUnsafe<{ resource: string; p: string; o: string; n: number }[]>(statement);
  return rows.map((r) => ({ resource: r.resource, provisioningStatus: r.p, operatingStatus: r.o, count: r.n }));
}

export async function countSpares(db: Db, poolSize: number): Promise<SpareCounts> {
  const groups = await db.amphora.groupBy({ by: ['status'], where: { loadBalancerId: null }, _count: { _all: true } });
  return { byStatus: Object.fromEntries(groups.map((g) => [g.status, g._count._all])), poolSize };
}
