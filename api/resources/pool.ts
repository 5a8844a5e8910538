/** The pool (Octavia's PoolResponse). */
import { z } from 'zod';
import { LbAlgorithm, PoolProtocol } from '../../common/status';
import { Prisma, type Pool } from '../../generated/prisma/client';
import type { SessionPersistenceFields } from '../../domain/validate';
import { newChild, type Tx } from '../lifecycle';
import { body, computed, resource, stored } from '../resource';
import { poolCreateRoot, poolUpdateRoot, type PoolSingleCreate } from '../schemas/pool';
import { absent, absentTlsLists, objectFields, refsOf, refTo, text } from './common';

const byCreation = [{ createdAt: 'asc' }, { id: 'asc' }] satisfies Prisma.ListenerOrderByWithRelationInput[];

/** What a pool view needs besides the row: its listeners, members and monitor. */
export const poolInclude = {
  listeners: { select: { id: true }, orderBy: byCreation },
  members: { select: { id: true }, orderBy: byCreation },
  healthMonitor: { select: { id: true } },
} satisfies Prisma.PoolInclude;

export type PoolRow = Pool & {
  listeners: { id: string }[];
  members: { id: string }[];
  healthMonitor: { id: string } | null;
};

/**
 * A pool row with what its view shows, read one query after the other: inside a transaction (one
 * connection) Prisma would otherwise run an `include`'s queries concurrently on it.
 */
export async function withPoolInclude(tx: Tx, pool: Pool): Promise<PoolRow> {
  const listeners = await tx.listener.findMany({ where: { defaultPoolId: pool.id }, select: { id: true }, orderBy: byCreation });
  const members = await tx.member.findMany({ where: { poolId: pool.id }, select: { id: true }, orderBy: byCreation });
  const healthMonitor = await tx.healthMonitor.findUnique({ where: { poolId: pool.id }, select: { id: true } });
  return { ...pool, listeners, members, healthMonitor };
}

/** The stored session persistence: always the four keys Octavia shows. */
export const sessionPersistenceSchema = z.object({
  type: z.string(),
  cookie_name: z.string().nullable(),
  persistence_timeout: z.number().int().nullable(),
  persistence_granularity: z.string().nullable(),
});
export type SessionPersistence = z.infer<typeof sessionPersistenceSchema>;

export function sessionPersistenceOf(sp: unknown): SessionPersistence | null {
  if (!sp || typeof sp !== 'object') return null;
  const s = sp as Partial<SessionPersistence>;
  return {
    type: s.type ?? '',
    cookie_name: s.cookie_name ?? null,
    persistence_timeout: s.persistence_timeout ?? null,
    persistence_granularity: s.persistence_granularity ?? null,
  };
}

const loadBalancerId = stored(z.guid(), { column: 'loadBalancerId' });

export const pools = resource<PoolRow>()({
  model: 'pool',
  name: 'Pool',
  singular: 'pool',
  plural: 'pools',
  fields: {
    ...objectFields,
    name: text(),
    description: text(),
    protocol: stored(z.enum(PoolProtocol)),
    lb_algorithm: stored(z.enum(LbAlgorithm)),
    // Written by the pool routes themselves: a cleared one is a database NULL, which the flow's update list cannot carry.
    session_persistence: stored(sessionPersistenceSchema.nullable(), { readOnly: true, show: sessionPersistenceOf }),
    loadbalancers: refTo('loadBalancerId'),
    listeners: refsOf('listeners'),
    // Octavia leaves the key out altogether until the pool has a monitor.
    healthmonitor_id: computed(z.guid().optional(), (p: PoolRow) => p.healthMonitor?.id, {
      filter: { kind: 'uuid', match: (id) => ({ healthMonitor: { is: { id } } }) },
    }),
    members: refsOf('members'),
    tls_container_ref: absent(),
    ca_tls_container_ref: absent(),
    crl_container_ref: absent(),
    tls_enabled: stored(z.boolean()),
    ...absentTlsLists,
  },
  filters: {
    loadbalancer_id: loadBalancerId,
    load_balancer_id: loadBalancerId,
    listener_id: stored(z.guid(), { column: null, filter: { kind: 'uuid', match: (id) => ({ listeners: { some: { id } } }) } }),
  },
  bodies: {
    create: body(poolCreateRoot, 'pool_'),
    update: body(poolUpdateRoot, 'pool_'),
  },
});

/**
 * The row of a new pool of a load balancer (its POST, or a single-call create), PENDING_CREATE; its
 * session persistence stored with all four keys, as the response shows it.
 */
export function newPool(pool: PoolSingleCreate & { protocol: string; lb_algorithm: string }, lb: { id: string; projectId: string }) {
  const sp = pool.session_persistence as (SessionPersistenceFields & { type: string }) | null | undefined;
  return {
    ...(pools.toColumns(pool) as Pick<Prisma.PoolUncheckedCreateInput, 'protocol' | 'lbAlgorithm'>),
    ...newChild(lb.projectId),
    loadBalancerId: lb.id,
    sessionPersistence: sp ? (sessionPersistenceOf(sp) as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
  };
}
