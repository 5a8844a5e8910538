/**
 * /v2/lbaas/pools/{pool_id}/members (Octavia api-ref: Members), mounted with the pool id in the path.
 * A member change moves its pool's load balancer through PENDING_UPDATE; Octavia names the pool in
 * the 409 it gives meanwhile (`Pool <id> is immutable and cannot be updated.`).
 */
import { z } from 'zod';
import { authorize } from '../context';
import { enforceQuota } from '../../domain/quotas';
import { checkMemberSubnets, ipNotReserved } from '../../domain/validate';
import { ProvisioningStatus } from '../../common/status';
import type { ChildChange } from '../../common/resources';
import type { Pool } from '../../generated/prisma/client';
import { nestedCollection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { childRoutes, mutateChildren, refusedAs, type Tx } from '../lifecycle';
import { members, newMember } from '../resources/member';
import type { MemberCreate } from '../schemas/member';
import { DuplicateMember, ImmutableObject } from '../../common/errors';

/** Octavia refuses member changes while the pool is not ACTIVE (PENDING_*, or ERROR). */
function checkPoolMutable(pool: Pool) {
  if (pool.provisioningStatus !== ProvisioningStatus.ACTIVE) throw new ImmutableObject('Pool', pool.id);
}

/** A member change locks the pool's load balancer; Octavia's 409 meanwhile names the pool. */
function poolLock(pool: Pool) {
  checkPoolMutable(pool);
  return { loadBalancerId: pool.loadBalancerId, projectId: pool.projectId, lockedName: { resource: 'Pool', id: pool.id } };
}

/** A new member row of the pool. */
const createMember = (tx: Tx, pool: Pool, m: MemberCreate) => tx.member.create({ data: newMember(m, pool) });

/** What a batch update writes for a member it keeps: the request's values, Octavia's defaults for the rest. */
function batchUpdates(m: MemberCreate): Record<string, unknown> {
  return {
    enabled: m.admin_state_up ?? true,
    weight: m.weight ?? 1,
    backup: m.backup ?? false,
    monitorAddress: m.monitor_address ?? null,
    monitorPort: m.monitor_port ?? null,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.subnet_id !== undefined ? { subnetId: m.subnet_id } : {}),
    ...(m.tags !== undefined ? { tags: m.tags ?? [] } : {}),
  };
}

/** oslo's strutils.bool_from_string. */
const truthy = (v: unknown) => ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(v).toLowerCase());

const batchQuery = z.object({ additive_only: z.string().optional().meta({ description: 'Keep the members the list does not name.' }) });

export function memberRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter({ mergeParams: true });

  const all = nestedCollection(deps, routes, members, 'member', {
    param: 'poolId',
    load: (id) => db.pool.findFirst({ where: { id } }),
    name: 'Pool',
    children: (pool) => ({ poolId: pool.id }),
    lock: poolLock,
  });
  const poolOf = all.parentOf;

  all.create('Create a member', members.bodies.create, async ({ member }, pool) => {
    ipNotReserved(member.address);
    await checkMemberSubnets(deps.network, [member.subnet_id]);
    return {
      create: (tx) => createMember(tx, pool, member),
      refused: refusedAs('P2002', () => new DuplicateMember(member.address, member.protocol_port)),
    };
  });

  /** Batch update: the request is the pool's new member list (Octavia's MembersController.put). */
  routes.put('/', { summary: "Replace the pool's members", query: batchQuery, body: members.bodies.batch, status: 202 }, async (req, res, body) => {
    const pool = poolOf(res);
    const list = body().members;
    const additiveOnly = req.query.additive_only !== undefined && truthy(req.query.additive_only);
    // Octavia asks for each of what a batch does: create, update, and (unless additive only) delete.
    for (const action of ['member:post', 'member:put', ...(additiveOnly ? [] : ['member:delete' as const])] as const) {
      authorize(req, action, pool.projectId);
    }
    const key = (address: string, port: number) => `${address} ${port}`;
    const seen = new Set<string>();
    for (const m of list) {
      const k = key(m.address, m.protocol_port);
      if (seen.has(k)) throw new DuplicateMember(m.address, m.protocol_port);
      seen.add(k);
      ipNotReserved(m.address);
    }
    await checkMemberSubnets(deps.network, list.map((m) => m.subnet_id));

    interface Written {
      created: string[];
      touched: { id: string; provisioningStatus: ProvisioningStatus; updatedAt: Date | null }[];
    }
    await mutateChildren<Written>(deps, {
      ...poolLock(poolOf(res)),
      batchPoolId: pool.id,
      write: async (tx) => {
        const old = await tx.member.findMany({ where: { poolId: pool.id } });
        const oldByKey = new Map(old.map((m) => [key(m.ipAddress, m.protocolPort), m]));
        // Octavia counts only the members the batch adds.
        await enforceQuota(tx, pool.projectId, 'member', list.filter((m) => !oldByKey.has(key(m.address, m.protocol_port))).length);
        const changes: ChildChange[] = [];
        const written: Written = { created: [], touched: [] };
        const now = new Date();
        for (const m of list) {
          const existing = oldByKey.get(key(m.address, m.protocol_port));
          if (existing) {
            await tx.member.update({ where: { id: existing.id }, data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: now } });
            written.touched.push(existing);
            changes.push({ resource: 'member', id: existing.id, operation: 'update', updates: batchUpdates(m) });
          } else {
            const { id } = await createMember(tx, pool, m);
            written.created.push(id);
            changes.push({ resource: 'member', id, operation: 'create' });
          }
        }
        if (!additiveOnly) {
          for (const m of old) {
            if (seen.has(key(m.ipAddress, m.protocolPort))) continue;
            await tx.member.update({ where: { id: m.id }, data: { provisioningStatus: ProvisioningStatus.PENDING_DELETE } });
            written.touched.push(m);
            changes.push({ resource: 'member', id: m.id, operation: 'delete' });
          }
        }
        return { result: written, changes };
      },
      revert: async (tx, written) => {
        await tx.member.deleteMany({ where: { id: { in: written.created } } });
        for (const m of written.touched) {
          await tx.member.update({ where: { id: m.id }, data: { provisioningStatus: m.provisioningStatus, updatedAt: m.updatedAt } });
        }
      },
    });
    res.status(202).end();
  });

  childRoutes(deps, routes, all, {
    child: 'member',
    lock: all.lock,
    update: async (_current, body) => {
      const update = body().member;
      // Octavia resets these to their defaults when null is sent.
      return members.toColumns(update);
    },
  });
  return routes;
}
