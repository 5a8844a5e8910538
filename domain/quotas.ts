/**
 * Octavia's quotas: per-project limits on how many objects of each kind may exist, with deployment
 * defaults from the configuration (DEFAULT_LOAD_BALANCER_QUOTA, ...; -1 is unlimited) where a
 * project has no quota of its own.
 *
 * Enforcement is `enforceQuota(tx, projectId, resource)`, called inside the transaction that writes
 * the new object, before the write. It is race-free: when the limit is not unlimited, it takes a
 * transaction-scoped advisory lock on the project (so the quota checks of one project run one at a
 * time, and each counts after the previous one has committed or rolled back), then counts what
 * exists and refuses with Octavia's 403 `Quota has been met for resources: <Resource>`. Since the
 * check throws inside the transaction, a refused request writes nothing.
 *
 * Unlike Octavia (which skips quota checks in `noauth` mode), quotas are enforced in every auth mode:
 * the defaults are unlimited, so nothing changes until an operator sets a limit.
 */
import { ProvisioningStatus } from '../common/status';
import { config as processConfig, type Config } from '../config';
import type { Quota } from '../generated/prisma/client';
import type { ChildResource } from '../common/resources';
import { childTable, type Tx } from '../db/children';
import { QuotaExceeded } from '../common/errors';

/** The quota kinds, as Octavia names them on the wire (quota API and messages). */
export const quotaResources = ['load_balancer', 'listener', 'pool', 'health_monitor', 'member', 'l7policy', 'l7rule'] as const;
export type QuotaResource = (typeof quotaResources)[number];

/** Every quota kind has a table to count. */
export type EnforcedResource = QuotaResource;

export type QuotaDefaults = Config['quotas'];
type Column = keyof QuotaDefaults;

export const quotaColumns: Record<QuotaResource, Column> = {
  load_balancer: 'loadBalancer',
  listener: 'listener',
  pool: 'pool',
  health_monitor: 'healthMonitor',
  member: 'member',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
};

/** Octavia's data model names (`_name()`), as its quota message shows them. */
const displayNames: Record<QuotaResource, string> = {
  load_balancer: 'Load Balancer',
  listener: 'Listener',
  pool: 'Pool',
  health_monitor: 'Health Monitor',
  member: 'Member',
  l7policy: 'L7 Policy',
  l7rule: 'L7 Rule',
};

export const UNLIMITED = -1;
/** Octavia's MIN_QUOTA / MAX_QUOTA. */
export const MIN_QUOTA = -1;
export const MAX_QUOTA = 2000000000;

let defaults: QuotaDefaults = processConfig.quotas;

/** The deployment defaults in force; createApp sets them from its configuration. */
export function setQuotaDefaults(d: QuotaDefaults): void {
  defaults = d;
}

export function quotaDefaults(): QuotaDefaults {
  return defaults;
}

/** A project's quotas with the defaults filled in where it has none of its own. */
export function effectiveQuotas(row: Quota | null): QuotaDefaults {
  const out = { ...defaults };
  if (!row) return out;
  for (const column of Object.values(quotaColumns)) {
    const own = row[column];
    if (own !== null) out[column] = own;
  }
  return out;
}

/** Arbitrary, fixed: the class of our advisory locks, so they cannot meet anyone else's. */
const QUOTA_LOCK_CLASS = 0x0c7a;

/** The quota kind of each of a load balancer's children (whose tables db/children.ts names). */
export const childQuota: Record<ChildResource, QuotaResource> = {
  listener: 'listener',
  pool: 'pool',
  member: 'member',
  healthmonitor: 'health_monitor',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
};

/** How many `resource` objects the project holds (deleted load balancers do not count). */
async function countInUse(tx: Tx, projectId: string, resource: EnforcedResource): Promise<number> {
  if (resource === 'load_balancer') {
    return tx.loadBalancer.count({ where: { projectId, provisioningStatus: { not: ProvisioningStatus.DELETED } } });
  }
  const child = (Object.keys(childQuota) as ChildResource[]).find((c) => childQuota[c] === resource)!;
  return childTable(tx, child).count({ where: { projectId } });
}

/**
 * Refuses (403, nothing written) when creating `count` more `resource` objects would exceed the
 * project's quota. Call it inside the creating transaction, before the insert; the lock it may take
 * is held until that transaction ends.
 */
export async function enforceQuota(tx: Tx, projectId: string, resource: EnforcedResource, count = 1): Promise<void> {
  const column = quotaColumns[resource];
  const limitNow = async () => effectiveQuotas(await tx.quota.findUnique({ where: { projectId } }))[column];
  if ((await limitNow()) === UNLIMITED) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${QUOTA_LOCK_CLASS}::int4, hashtext(${projectId}))`;
  // Read again under the lock: the limit may have changed while we waited.
  const limit = await limitNow();
  if (limit === UNLIMITED) return;
  if ((await countInUse(tx, projectId, resource)) + count > limit) throw new QuotaExceeded(displayNames[resource]);
}
