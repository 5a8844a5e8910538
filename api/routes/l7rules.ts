/**
 * /v2/lbaas/l7policies/{l7policy_id}/rules (Octavia api-ref: L7 Rules), mounted with the policy id in
 * the path. A rule change moves the policy's load balancer through PENDING_UPDATE; Octavia also
 * refuses it while the policy itself is not ACTIVE (`L7Policy <id> is immutable ...`).
 */
import { ProvisioningStatus } from '../../common/status';
import type { L7Policy } from '../../generated/prisma/client';
import { nestedCollection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { childRoutes } from '../lifecycle';
import { l7ruleData, MAX_L7RULES_PER_L7POLICY } from '../../domain/validate';
import { l7Rules, newRule } from '../resources/l7rule';
import { ImmutableObject, TooManyRules } from '../../common/errors';

type Policy = L7Policy & { listener: { loadBalancerId: string } };

/** A rule change locks the policy's load balancer, and only while the policy is ACTIVE (not PENDING_*, not ERROR). */
function policyLock(policy: Policy) {
  if (policy.provisioningStatus !== ProvisioningStatus.ACTIVE) throw new ImmutableObject('L7Policy', policy.id);
  return { loadBalancerId: policy.listener.loadBalancerId, projectId: policy.projectId };
}

export function l7RuleRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter({ mergeParams: true });

  // Octavia's L7PolicyController._lookup: `L7Policy <id> not found.`
  const all = nestedCollection(deps, routes, l7Rules, 'l7rule', {
    param: 'l7policyId',
    load: (id): Promise<Policy | null> => db.l7Policy.findFirst({ where: { id }, include: { listener: { select: { loadBalancerId: true } } } }),
    name: 'L7Policy',
    children: (policy) => ({ l7PolicyId: policy.id }),
    lock: policyLock,
  });

  all.create('Create an L7 rule', l7Rules.bodies.create, ({ rule }, policy) => {
    l7ruleData(rule);
    return {
      create: (tx) => tx.l7Rule.create({ data: newRule(rule, policy) }),
      check: async (tx) => {
        if ((await tx.l7Rule.count({ where: { l7PolicyId: policy.id } })) >= MAX_L7RULES_PER_L7POLICY) throw new TooManyRules(policy.id);
      },
    };
  });

  childRoutes(deps, routes, all, {
    child: 'l7rule',
    lock: all.lock,
    update: async (current, body) => {
      const update = body().rule;
      // The rule as it will be, checked whole (Octavia merges the update into the stored rule).
      l7ruleData({
        type: update.type ?? current.type,
        compare_type: update.compare_type ?? current.compareType,
        key: update.key !== undefined ? update.key : current.key,
        value: update.value ?? current.value,
      });
      return l7Rules.toColumns({ ...update, ...(update.invert === null ? { invert: false } : {}) });
    },
  });
  return routes;
}
