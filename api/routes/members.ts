/**
 * /v2/lbaas/pools/{pool_id}/members (Octavia api-ref: Members), mounted with the pool id in the path.
 * A member change moves its pool's load balancer through PENDING_UPDATE; Octavia names the pool in
 * the 409 it gives meanwhile (`Pool <id> is immutable and cannot be updated.`).
 */
import { randomUUID } from 'node:crypto';
import { projectScope } from '../context';
import { enforceQuota } from '../../domain/quotas';
import { Router, type Response } from 'express';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import type { ChildChange } from '../../common/resources';
import { Prisma, type Pool } from '../../generated/prisma/client';
import { toColumns, mergeView, type ColumnMap } from '../columns';
import type { ApiDeps } from '../deps';
import { markChild, mutateChildren } from '../lifecycle';
import { FilterSpec, isUuid, listPage, selectOne, objectFilters, nameFilter } from '../listing';
import { memberCreateRoot, memberUpdateRoot, membersBatchRoot, type MemberCreate } from '../schemas/member';
import { parseBody } from '../validation';
import { memberView } from '../views-children';
import { ApiFault, DuplicateMember, ImmutableObject, InvalidOption, NotFound } from '../../common/errors';


const columns: ColumnMap = {
  name: 'name',
  admin_state_up: 'enabled',
  weight: 'weight',
  backup: 'backup',
  subnet_id: 'subnetId',
  monitor_address: 'monitorAddress',
  monitor_port: 'monitorPort',
  tags: 'tags',
};

const filters: FilterSpec = {
  ...objectFilters,
  ...nameFilter,
  // openstacksdk's find_member adds ?pool_id=; the pool in the path decides anyway.
  pool_id: { column: 'poolId', kind: 'uuid' },
  address: { column: 'ipAddress', kind: 'string' },
  protocol_port: { column: 'protocolPort', kind: 'int' },
  weight: { column: 'weight', kind: 'int' },
  backup: { column: 'backup', kind: 'bool' },
  subnet_id: { column: 'subnetId', kind: 'string' },
  monitor_address: { column: 'monitorAddress', kind: 'string' },
  monitor_port: { column: 'monitorPort', kind: 'int' },
};

/** Octavia's [networking] reserved_ips default: the metadata service is never a member. */
const RESERVED_IPS = new Set(['169.254.169.254']);

function checkNotReserved(address: string) {
  if (RESERVED_IPS.has(address)) throw new InvalidOption(address, 'member address');
}

const duplicate = (address: string, port: number) => new DuplicateMember(address, port);

/** The unique (pool, address, port) constraint refused the write. */
const refusedAs = (fault: () => ApiFault) => (err: unknown) =>
  err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002' ? fault() : undefined;

/** Octavia refuses member changes while the pool is not ACTIVE (PENDING_*, or ERROR). */
function checkPoolMutable(pool: Pool) {
  if (pool.provisioningStatus !== ProvisioningStatus.ACTIVE) throw new ImmutableObject('Pool', pool.id);
}

const poolOf = (res: Response) => res.locals.pool as Pool;

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

export function memberRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router({ mergeParams: true });

  // Every member route needs its pool; an unknown pool is a 404 in the web framework's format, as in
  // Octavia (whose pool controller looks the pool up before routing to the members).
  router.use(async (req, res, next) => {
    const poolId = String(req.params.poolId ?? '');
    const pool = isUuid(poolId) ? await db.pool.findFirst({ where: { id: poolId, ...projectScope(req) } }) : null;
    if (!pool) {
      res.status(404).json({ code: 404, title: 'Bad Request', description: `Pool ${poolId} not found.` });
      return;
    }
    res.locals.pool = pool;
    next();
  });

  const find = async (pool: Pool, id: string) => {
    const member = isUuid(id) ? await db.member.findFirst({ where: { id, poolId: pool.id } }) : null;
    if (!member) throw new NotFound('Member', id);
    return member;
  };

  router.get('/', async (req, res) => {
    const pool = poolOf(res);
    const page = await listPage(req, filters, {
      base: { poolId: pool.id },
      findMany: (args) => db.member.findMany(args),
      findById: (id) => db.member.findFirst({ where: { id, poolId: pool.id } }),
      view: memberView,
    });
    res.json({ members: page.items, members_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ member: selectOne(req, memberView(await find(poolOf(res), req.params.id))) });
  });

  router.post('/', async (req, res) => {
    const pool = poolOf(res);
    const body = parseBody(memberCreateRoot, req.body, 'member_').member;
    checkNotReserved(body.address);
    checkPoolMutable(pool);
    const member = await mutateChildren(deps, {
      loadBalancerId: pool.loadBalancerId,
      lockedName: { resource: 'Pool', id: pool.id },
      write: async (tx) => {
        await enforceQuota(tx, pool.projectId, 'member');
        const row = await tx.member.create({
          data: {
            ...(toColumns(body, columns) as Partial<Prisma.MemberUncheckedCreateInput>),
            weight: body.weight ?? 1,
            backup: body.backup ?? false,
            id: randomUUID(),
            projectId: pool.projectId,
            poolId: pool.id,
            ipAddress: body.address,
            protocolPort: body.protocol_port,
            provisioningStatus: ProvisioningStatus.PENDING_CREATE,
            // Octavia shows NO_MONITOR until an amphora reports the member's health.
            operatingStatus: OperatingStatus.NO_MONITOR,
          },
        });
        return { result: row, changes: [{ resource: 'member', id: row.id, operation: 'create' }] };
      },
      revert: async (tx, row) => {
        await tx.member.delete({ where: { id: row.id } });
      },
      refused: refusedAs(() => duplicate(body.address, body.protocol_port)),
    });
    res.status(201).json({ member: memberView(member) });
  });

  /** Batch update: the request is the pool's new member list (Octavia's MembersController.put). */
  router.put('/', async (req, res) => {
    const pool = poolOf(res);
    const members = parseBody(membersBatchRoot, req.body, 'members_').members;
    const additiveOnly = req.query.additive_only !== undefined && truthy(req.query.additive_only);
    const key = (address: string, port: number) => `${address} ${port}`;
    const seen = new Set<string>();
    for (const m of members) {
      const k = key(m.address, m.protocol_port);
      if (seen.has(k)) throw duplicate(m.address, m.protocol_port);
      seen.add(k);
      checkNotReserved(m.address);
    }
    checkPoolMutable(pool);

    interface Written {
      created: string[];
      touched: { id: string; provisioningStatus: ProvisioningStatus; updatedAt: Date | null }[];
    }
    await mutateChildren<Written>(deps, {
      loadBalancerId: pool.loadBalancerId,
      lockedName: { resource: 'Pool', id: pool.id },
      batchPoolId: pool.id,
      write: async (tx) => {
        const old = await tx.member.findMany({ where: { poolId: pool.id } });
        const oldByKey = new Map(old.map((m) => [key(m.ipAddress, m.protocolPort), m]));
        // Octavia counts only the members the batch adds.
        await enforceQuota(tx, pool.projectId, 'member', members.filter((m) => !oldByKey.has(key(m.address, m.protocol_port))).length);
        const changes: ChildChange[] = [];
        const written: Written = { created: [], touched: [] };
        const now = new Date();
        for (const m of members) {
          const existing = oldByKey.get(key(m.address, m.protocol_port));
          if (existing) {
            await tx.member.update({ where: { id: existing.id }, data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: now } });
            written.touched.push(existing);
            changes.push({ resource: 'member', id: existing.id, operation: 'update', updates: batchUpdates(m) });
          } else {
            const id = randomUUID();
            await tx.member.create({
              data: {
                ...(toColumns(m, columns) as Partial<Prisma.MemberUncheckedCreateInput>),
                weight: m.weight ?? 1,
                backup: m.backup ?? false,
                id,
                projectId: pool.projectId,
                poolId: pool.id,
                ipAddress: m.address,
                protocolPort: m.protocol_port,
                provisioningStatus: ProvisioningStatus.PENDING_CREATE,
                operatingStatus: OperatingStatus.NO_MONITOR,
              },
            });
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

  router.put('/:id', async (req, res) => {
    const pool = poolOf(res);
    const current = await find(pool, req.params.id);
    const body = parseBody(memberUpdateRoot, req.body, 'member_').member;
    // Octavia resets these to their defaults when null is sent.
    const values = { ...body, ...(body.weight === null ? { weight: 1 } : {}), ...(body.backup === null ? { backup: false } : {}) };
    checkPoolMutable(pool);
    const updated = await mutateChildren(deps, {
      loadBalancerId: pool.loadBalancerId,
      lockedName: { resource: 'Pool', id: pool.id },
      ...markChild('member', current, 'update', toColumns(values, columns)),
    });
    const shown: Record<string, unknown> = { ...values };
    if (body.name === null) shown.name = '';
    if (body.tags !== undefined) shown.tags = [...(body.tags ?? [])].sort();
    res.json({ member: mergeView(memberView(updated), shown) });
  });

  router.delete('/:id', async (req, res) => {
    const pool = poolOf(res);
    const current = await find(pool, req.params.id);
    checkPoolMutable(pool);
    await mutateChildren(deps, {
      loadBalancerId: pool.loadBalancerId,
      lockedName: { resource: 'Pool', id: pool.id },
      ...markChild('member', current, 'delete'),
    });
    res.status(204).end();
  });

  return router;
}
