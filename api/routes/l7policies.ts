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
import type { Listener } from '../../generated/prisma/client';
import { authorize } from '../context';
import { collection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { childRoutes, findOr404, markChild, mutateChildren, type Tx } from '../lifecycle';
import { enforceQuota } from '../../domain/quotas';
import {
  checkL7Listener,
  checkL7PolicyUpdate,
  checkListenerPoolProtocol,
  l7PolicyTargetsCleared,
  l7ruleData,
  sanitizeL7PolicyApiArgs,
} from '../../domain/validate';
import { l7Policies, l7PolicyInclude, newL7Policy } from '../resources/l7policy';
import { newRule } from '../resources/l7rule';
import { MAX_POLICY_POSITION } from '../schemas/l7policy';
import { NotFound, ValidationFailure } from '../../common/errors';

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

export function l7PolicyRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const all = collection(deps, l7Policies, { rbac: 'l7policy', include: l7PolicyInclude });
  const listenerOf = (id: string) => findOr404('Listener', id, (i) => db.listener.findFirst({ where: { id: i } }));
  all.routes(routes);

  /** A redirect pool must exist, be on the listener's load balancer and take the listener's traffic. */
  async function checkRedirectPool(poolId: string | null | undefined, listener: Listener) {
    if (!poolId) return;
    const pool = await db.pool.findFirst({ where: { id: poolId } });
    if (!pool) throw new NotFound('Pool', poolId);
    if (pool.loadBalancerId !== listener.loadBalancerId) {
      throw new ValidationFailure(`Pool ${poolId} is not on Load Balancer ${listener.loadBalancerId}.`);
    }
    checkListenerPoolProtocol(listener.protocol, pool.protocol);
  }

  routes.post('/', { summary: 'Create an L7 policy', body: l7Policies.bodies.create, response: l7Policies.showSchema }, async (req, res, body) => {
    const parsed = body().l7policy;
    const policy = sanitizeL7PolicyApiArgs(parsed);
    const rules = parsed.rules ?? [];
    for (const r of rules) l7ruleData(r);
    const listener = await listenerOf(policy.listener_id);
    authorize(req, 'l7policy:post', listener.projectId);
    checkL7Listener(listener);
    await checkRedirectPool(policy.redirect_pool_id, listener);
    const values = { ...policy, ...l7PolicyTargetsCleared(policy.action) };

    const row = await mutateChildren(deps, {
      loadBalancerId: listener.loadBalancerId,
      write: async (tx) => {
        await enforceQuota(tx, listener.projectId, 'l7policy');
        if (rules.length > 0) await enforceQuota(tx, listener.projectId, 'l7rule', rules.length);
        const count = await tx.l7Policy.count({ where: { listenerId: listener.id } });
        const position = Math.min(policy.position ?? MAX_POLICY_POSITION, count + 1);
        await shift(tx, listener.id, position, count, 1);
        const { id } = await tx.l7Policy.create({ data: newL7Policy(values, listener, position) });
        for (const r of rules) await tx.l7Rule.create({ data: newRule(r, { id, projectId: listener.projectId }) });
        const created = await tx.l7Policy.findUniqueOrThrow({ where: { id }, include: l7PolicyInclude });
        // One change: the policy's flow settles the rules created with it (finishChildChanges).
        return { result: created, changes: [{ resource: 'l7policy', id, operation: 'create' }] };
      },
      revert: async (tx, created) => {
        await tx.l7Policy.delete({ where: { id: created.id } });
        await shift(tx, created.listenerId, created.position + 1, MAX_POLICY_POSITION, -1);
      },
    });
    res.status(201).json({ l7policy: l7Policies.view(row) });
  });

  routes.put('/:id', { summary: 'Update an L7 policy', body: l7Policies.bodies.update, response: l7Policies.showSchema }, async (req, res, body) => {
    const current = await all.find(req, res);
    authorize(req, 'l7policy:put', current.projectId);
    const parsed = body().l7policy;
    checkL7PolicyUpdate(parsed);
    const policy = sanitizeL7PolicyApiArgs(parsed);
    const listener = await listenerOf(current.listenerId);
    await checkRedirectPool(policy.redirect_pool_id, listener);
    // The position is no column the flow writes: the policy is moved here, in the locking transaction.
    const { position, ...rest } = { ...policy, ...(policy.action ? l7PolicyTargetsCleared(policy.action) : {}) };
    const updates = l7Policies.toColumns(rest);
    const marked = markChild('l7policy', current, 'update', updates);

    interface Moved {
      row: typeof current;
      from: number;
      to: number;
    }
    const moved = await mutateChildren<Moved>(deps, {
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
      revert: async (tx, m) => {
        await move(tx, current.id, current.listenerId, m.to, m.from);
        await marked.revert(tx, m.row);
      },
    });
    res.json({ l7policy: l7Policies.preview(moved.row, updates) });
  });

  childRoutes(deps, routes, all, {
    child: 'l7policy',
    lock: async (current) => ({ loadBalancerId: (await listenerOf(current.listenerId)).loadBalancerId }),
  });
  return routes;
}
