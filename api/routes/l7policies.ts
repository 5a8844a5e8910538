/**
 * /v2/lbaas/l7policies (Octavia api-ref: L7 Policies). A policy belongs to an HTTP or TERMINATED_HTTPS
 * listener; its change moves the listener's load balancer through PENDING_UPDATE like every child.
 *
 * Positions are 1-based and contiguous per listener, as Octavia's ordering list keeps them: a new
 * policy goes last unless it names a position, and then shifts the ones at and after it down; a moved
 * policy shifts the ones between its old and new place. Both are written in the locking transaction
 * (the load balancer is PENDING_UPDATE, so nothing else moves meanwhile) and undone with it if the flow
 * cannot start. A deleted policy closes its gap when its flow removes the row (finishChildChanges).
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import type { ChildChange } from '../../common/resources';
import type { Listener, Prisma } from '../../generated/prisma/client';
import { toColumns, mergeView, type ColumnMap } from '../columns';
import { projectScope } from '../context';
import type { ApiDeps } from '../deps';
import { findOr404, markChild, mutateChildren, type Tx } from '../lifecycle';
import { FilterSpec, listPage, selectOne, objectFilters, nameFilter, descriptionFilter } from '../listing';
import { enforceQuota } from '../../domain/quotas';
import { l7PolicyActions, l7PolicyCreateRoot, l7PolicyUpdateRoot, MAX_POLICY_POSITION, type L7PolicyActionName } from '../schemas/l7policy';
import { parseBody } from '../validation';
import { l7PolicyRefs, l7PolicyView } from '../views-children';
import { checkRule, l7RuleColumns } from './l7rules';
import { InvalidL7PolicyArgs, NotFound, ValidationFailure } from '../../common/errors';

const columns: ColumnMap = {
  name: 'name',
  description: 'description',
  admin_state_up: 'enabled',
  action: 'action',
  redirect_pool_id: 'redirectPoolId',
  redirect_url: 'redirectUrl',
  redirect_prefix: 'redirectPrefix',
  redirect_http_code: 'redirectHttpCode',
  tags: 'tags',
};

const filters: FilterSpec = {
  ...objectFilters,
  ...nameFilter,
  ...descriptionFilter,
  listener_id: { column: 'listenerId', kind: 'uuid' },
  action: { column: 'action', kind: { enum: Object.fromEntries(l7PolicyActions.map((a) => [a, a])) } },
  position: { column: 'position', kind: 'int' },
  redirect_pool_id: { column: 'redirectPoolId', kind: 'uuid' },
  redirect_url: { column: 'redirectUrl', kind: 'string' },
  redirect_prefix: { column: 'redirectPrefix', kind: 'string' },
  redirect_http_code: { column: 'redirectHttpCode', kind: 'int' },
};

/** The listener protocols L7 policies apply to (haproxy's HTTP mode). */
const L7_LISTENER_PROTOCOLS: readonly string[] = ['HTTP', 'TERMINATED_HTTPS'];
/** Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP for those listeners (both the same). */
const L7_POOL_PROTOCOLS: readonly string[] = ['HTTP', 'PROXY', 'PROXYV2'];

const invalidArgs = (msg: string) => new InvalidL7PolicyArgs(msg);

interface RedirectFields {
  action?: L7PolicyActionName;
  redirect_pool_id?: string | null;
  redirect_url?: string | null;
  redirect_prefix?: string | null;
  redirect_http_code?: number | null;
}

/**
 * Octavia's validate.sanitize_l7policy_api_args: the action needs its target, and a target given alone
 * decides the action (a redirect_url makes the policy REDIRECT_TO_URL, ...); redirects default to 302.
 * Works on the fields the request sent; returns them with what they imply.
 */
export function sanitizeRedirect<T extends RedirectFields>(input: T): T {
  const p: RedirectFields = { ...input };
  switch (p.action) {
    case undefined:
      break;
    case 'REJECT':
      p.redirect_url = null;
      p.redirect_pool_id = null;
      break;
    case 'REDIRECT_TO_URL':
      if (!p.redirect_url) throw invalidArgs('redirect_url must not be None');
      p.redirect_pool_id = null;
      break;
    case 'REDIRECT_TO_POOL':
      if (!p.redirect_pool_id) throw invalidArgs('redirect_pool_id or redirect_pool must not be None');
      p.redirect_url = null;
      break;
    case 'REDIRECT_PREFIX':
      if (!p.redirect_prefix) throw invalidArgs('redirect_prefix must not be None');
      break;
  }
  if (p.redirect_pool_id && (p.redirect_url || p.redirect_prefix)) {
    throw invalidArgs('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
  }
  if (p.redirect_pool_id) Object.assign(p, { action: 'REDIRECT_TO_POOL', redirect_url: null, redirect_prefix: null, redirect_http_code: null });
  if (p.redirect_url) Object.assign(p, { action: 'REDIRECT_TO_URL', redirect_pool_id: null, redirect_prefix: null, redirect_http_code: p.redirect_http_code || 302 });
  if (p.redirect_prefix) Object.assign(p, { action: 'REDIRECT_PREFIX', redirect_pool_id: null, redirect_url: null, redirect_http_code: p.redirect_http_code || 302 });
  return p as T;
}

/**
 * What the policy holds once `action` is in force: the targets of the other actions are cleared, so a
 * stored policy never carries a stale redirect (Octavia keeps them; it never uses them).
 */
function clearedFor(action: L7PolicyActionName): Partial<Record<keyof Omit<RedirectFields, 'action'>, null>> {
  switch (action) {
    case 'REJECT':
      return { redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null };
    case 'REDIRECT_TO_POOL':
      return { redirect_url: null, redirect_prefix: null, redirect_http_code: null };
    case 'REDIRECT_TO_URL':
      return { redirect_pool_id: null, redirect_prefix: null };
    case 'REDIRECT_PREFIX':
      return { redirect_pool_id: null, redirect_url: null };
  }
}

/** Moves the policies of a listener to make room at `position` (+1) or to close the gap after it (-1). */
async function shift(tx: Tx, listenerId: string, from: number, to: number, by: 1 | -1): Promise<void> {
  if (from > to) return;
  await tx.l7Policy.updateMany({
    where: { listenerId, position: { gte: from, lte: to } },
    data: { position: by === 1 ? { increment: 1 } : { decrement: 1 } },
  });
}

/** Moves one policy from `from` to `to` among its listener's policies, the others shifting around it. */
async function move(tx: Tx, policyId: string, listenerId: string, from: number, to: number): Promise<void> {
  if (from === to) return;
  // Out of the way first, so the shifted range never includes it.
  await tx.l7Policy.update({ where: { id: policyId }, data: { position: 0 } });
  if (to < from) await shift(tx, listenerId, to, from - 1, 1);
  else await shift(tx, listenerId, from + 1, to, -1);
  await tx.l7Policy.update({ where: { id: policyId }, data: { position: to } });
}

export function l7PolicyRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string, req: Request) =>
    findOr404('L7 Policy', id, (i) => db.l7Policy.findFirst({ where: { id: i, ...projectScope(req) }, include: l7PolicyRefs }));
  const listenerOf = (id: string, req: Request) => findOr404('Listener', id, (i) => db.listener.findFirst({ where: { id: i, ...projectScope(req) } }));

  /** A redirect pool must exist, be on the listener's load balancer and take the listener's traffic. */
  async function checkRedirectPool(poolId: string | null | undefined, listener: Listener, req: Request) {
    if (!poolId) return;
    const pool = await db.pool.findFirst({ where: { id: poolId, ...projectScope(req) } });
    if (!pool) throw new NotFound('Pool', poolId);
    if (pool.loadBalancerId !== listener.loadBalancerId) {
      throw new ValidationFailure(`Pool ${poolId} is not on Load Balancer ${listener.loadBalancerId}.`);
    }
    if (!L7_POOL_PROTOCOLS.includes(pool.protocol)) {
      throw new ValidationFailure(`The pool protocol '${pool.protocol}' is invalid while the listener protocol is '${listener.protocol}'.`);
    }
  }

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      base: projectScope(req),
      findMany: (args) => db.l7Policy.findMany({ ...args, include: l7PolicyRefs }),
      findById: (id) => db.l7Policy.findUnique({ where: { id } }),
      view: l7PolicyView,
    });
    res.json({ l7policies: page.items, l7policies_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ l7policy: selectOne(req, l7PolicyView(await find(req.params.id, req))) });
  });

  router.post('/', async (req, res) => {
    const parsed = parseBody(l7PolicyCreateRoot, req.body, 'l7policy_').l7policy;
    const body = sanitizeRedirect(parsed);
    const rules = parsed.rules ?? [];
    for (const r of rules) checkRule(r);
    const listener = await listenerOf(body.listener_id, req);
    if (!L7_LISTENER_PROTOCOLS.includes(listener.protocol)) {
      throw new ValidationFailure(
        `L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners; listener ${listener.id} is ${listener.protocol}.`,
      );
    }
    await checkRedirectPool(body.redirect_pool_id, listener, req);
    const values = { ...body, ...clearedFor(body.action) };

    const policy = await mutateChildren(deps, {
      loadBalancerId: listener.loadBalancerId,
      write: async (tx) => {
        await enforceQuota(tx, listener.projectId, 'l7policy');
        if (rules.length > 0) await enforceQuota(tx, listener.projectId, 'l7rule', rules.length);
        const count = await tx.l7Policy.count({ where: { listenerId: listener.id } });
        const position = Math.min(body.position ?? MAX_POLICY_POSITION, count + 1);
        await shift(tx, listener.id, position, count, 1);
        const id = randomUUID();
        await tx.l7Policy.create({
          data: {
            ...(toColumns(values, columns) as Partial<Prisma.L7PolicyUncheckedCreateInput>),
            id,
            projectId: listener.projectId,
            listenerId: listener.id,
            action: body.action,
            position,
            provisioningStatus: ProvisioningStatus.PENDING_CREATE,
            operatingStatus: OperatingStatus.OFFLINE,
          },
        });
        for (const r of rules) {
          await tx.l7Rule.create({
            data: {
              ...(toColumns(r, l7RuleColumns) as Partial<Prisma.L7RuleUncheckedCreateInput>),
              id: randomUUID(),
              projectId: listener.projectId,
              l7PolicyId: id,
              type: r.type,
              compareType: r.compare_type,
              value: r.value,
              invert: r.invert ?? false,
              provisioningStatus: ProvisioningStatus.PENDING_CREATE,
              operatingStatus: OperatingStatus.OFFLINE,
            },
          });
        }
        const row = await tx.l7Policy.findUniqueOrThrow({ where: { id }, include: l7PolicyRefs });
        // One change: the policy's flow settles the rules created with it (finishChildChanges).
        const changes: ChildChange[] = [{ resource: 'l7policy', id, operation: 'create' }];
        return { result: row, changes };
      },
      revert: async (tx, row) => {
        await tx.l7Policy.delete({ where: { id: row.id } });
        await shift(tx, row.listenerId, row.position + 1, MAX_POLICY_POSITION, -1);
      },
    });
    res.status(201).json({ l7policy: l7PolicyView(policy) });
  });

  router.put('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    const parsed = parseBody(l7PolicyUpdateRoot, req.body, 'l7policy_').l7policy;
    if (Object.keys(parsed).length === 0) throw invalidArgs('Invalid update options');
    const body = sanitizeRedirect(parsed);
    const listener = await listenerOf(current.listenerId, req);
    await checkRedirectPool(body.redirect_pool_id, listener, req);
    const values: Record<string, unknown> = { ...body, ...(body.action ? clearedFor(body.action) : {}) };
    delete values.position;
    const { position } = body;
    const marked = markChild('l7policy', current, 'update', toColumns(values, columns));

    interface Moved {
      row: typeof current;
      from: number;
      to: number;
    }
    const updated = await mutateChildren<Moved>(deps, {
      loadBalancerId: listener.loadBalancerId,
      write: async (tx) => {
        const { result, changes } = await marked.write(tx);
        let to = current.position;
        if (position !== undefined) {
          const count = await tx.l7Policy.count({ where: { listenerId: current.listenerId } });
          to = Math.min(position, count);
          await move(tx, current.id, current.listenerId, current.position, to);
        }
        return { result: { row: { ...current, ...result, position: to }, from: current.position, to }, changes };
      },
      revert: async (tx, moved) => {
        await move(tx, current.id, current.listenerId, moved.to, moved.from);
        await marked.revert(tx, moved.row);
      },
    });
    const shown: Record<string, unknown> = { ...values };
    if (body.name === null) shown.name = '';
    if (body.description === null) shown.description = '';
    if (body.tags !== undefined) shown.tags = [...(body.tags ?? [])].sort();
    res.json({ l7policy: mergeView(l7PolicyView(updated.row), shown) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    await mutateChildren(deps, { loadBalancerId: (await listenerOf(current.listenerId, req)).loadBalancerId, ...markChild('l7policy', current, 'delete') });
    res.status(204).end();
  });

  return router;
}
