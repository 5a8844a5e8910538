/**
 * Octavia's RBAC: its default policy (Octavia 11's policies/*.py), one table of actions, each with the
 * rule that decides it and the request it documents, and the rules themselves.
 *
 * An action is checked against a target project, as Octavia's `_auth_validate_action` does: the project
 * of the object the request acts on (or creates under), the caller's own for what belongs to no project
 * (flavors, providers, amphorae), the path's project for quotas. So another project's object is refused
 * (403) once it is found; only what exists nowhere is a 404.
 *
 * Octavia 11 runs oslo.policy with `enforce_new_defaults = False`: each rule's deprecated check is OR'd
 * with its new one, so `load-balancer_observer`/`_member` need no `reader`/`member` role beside them,
 * and `admin` (any scope) is an admin like `load-balancer_admin`.
 */

/** Octavia's named rules (`rule:load-balancer:<name>`). */
export type Rule = 'read' | 'read-global' | 'write' | 'admin' | 'read-quota' | 'read-quota-global' | 'write-quota';

export interface Policy {
  rule: Rule;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path Octavia documents it with (`{...}`: a path parameter). */
  path: string;
}

const p = (rule: Rule, method: Policy['method'], path: string): Policy => ({ rule, method, path });

const LB = '/v2/lbaas/loadbalancers';
const LISTENER = '/v2/lbaas/listeners';
const POOL = '/v2/lbaas/pools';
const MEMBER = '/v2/lbaas/pools/{pool_id}/members';
const HM = '/v2/lbaas/healthmonitors';
const L7POLICY = '/v2/lbaas/l7policies';
const L7RULE = '/v2/lbaas/l7policies/{l7policy_id}/rules';
const QUOTA = '/v2/lbaas/quotas';
const AMPHORA = '/v2/octavia/amphorae';

/**
 * The policy table, named as Octavia names its policies (without the `os_load-balancer_api:` prefix).
 * `<resource>:get_all-global` is what lets a caller list every project's objects.
 */
export const policies = {
  'loadbalancer:get_all': p('read', 'GET', LB),
  'loadbalancer:get_all-global': p('read-global', 'GET', LB),
  'loadbalancer:post': p('write', 'POST', LB),
  'loadbalancer:get_one': p('read', 'GET', `${LB}/{loadbalancer_id}`),
  'loadbalancer:put': p('write', 'PUT', `${LB}/{loadbalancer_id}`),
  'loadbalancer:delete': p('write', 'DELETE', `${LB}/{loadbalancer_id}`),
  'loadbalancer:get_stats': p('read', 'GET', `${LB}/{loadbalancer_id}/stats`),
  'loadbalancer:get_status': p('read', 'GET', `${LB}/{loadbalancer_id}/status`),
  'loadbalancer:put_failover': p('admin', 'PUT', `${LB}/{loadbalancer_id}/failover`),

  'listener:get_all': p('read', 'GET', LISTENER),
  'listener:get_all-global': p('read-global', 'GET', LISTENER),
  'listener:post': p('write', 'POST', LISTENER),
  'listener:get_one': p('read', 'GET', `${LISTENER}/{listener_id}`),
  'listener:put': p('write', 'PUT', `${LISTENER}/{listener_id}`),
  'listener:delete': p('write', 'DELETE', `${LISTENER}/{listener_id}`),
  'listener:get_stats': p('read', 'GET', `${LISTENER}/{listener_id}/stats`),

  'pool:get_all': p('read', 'GET', POOL),
  'pool:get_all-global': p('read-global', 'GET', POOL),
  'pool:post': p('write', 'POST', POOL),
  'pool:get_one': p('read', 'GET', `${POOL}/{pool_id}`),
  'pool:put': p('write', 'PUT', `${POOL}/{pool_id}`),
  'pool:delete': p('write', 'DELETE', `${POOL}/{pool_id}`),

  'member:get_all': p('read', 'GET', MEMBER),
  'member:post': p('write', 'POST', MEMBER),
  'member:get_one': p('read', 'GET', `${MEMBER}/{member_id}`),
  'member:put': p('write', 'PUT', `${MEMBER}/{member_id}`),
  'member:delete': p('write', 'DELETE', `${MEMBER}/{member_id}`),

  'healthmonitor:get_all': p('read', 'GET', HM),
  'healthmonitor:get_all-global': p('read-global', 'GET', HM),
  'healthmonitor:post': p('write', 'POST', HM),
  'healthmonitor:get_one': p('read', 'GET', `${HM}/{healthmonitor_id}`),
  'healthmonitor:put': p('write', 'PUT', `${HM}/{healthmonitor_id}`),
  'healthmonitor:delete': p('write', 'DELETE', `${HM}/{healthmonitor_id}`),

  'l7policy:get_all': p('read', 'GET', L7POLICY),
  'l7policy:get_all-global': p('read-global', 'GET', L7POLICY),
  'l7policy:post': p('write', 'POST', L7POLICY),
  'l7policy:get_one': p('read', 'GET', `${L7POLICY}/{l7policy_id}`),
  'l7policy:put': p('write', 'PUT', `${L7POLICY}/{l7policy_id}`),
  'l7policy:delete': p('write', 'DELETE', `${L7POLICY}/{l7policy_id}`),

  'l7rule:get_all': p('read', 'GET', L7RULE),
  'l7rule:post': p('write', 'POST', L7RULE),
  'l7rule:get_one': p('read', 'GET', `${L7RULE}/{l7rule_id}`),
  'l7rule:put': p('write', 'PUT', `${L7RULE}/{l7rule_id}`),
  'l7rule:delete': p('write', 'DELETE', `${L7RULE}/{l7rule_id}`),

  'provider:get_all': p('read', 'GET', '/v2/lbaas/providers'),
  'provider-flavor:get_all': p('admin', 'GET', '/v2/lbaas/providers/{provider}/flavor_capabilities'),
  'provider-availability-zone:get_all': p('admin', 'GET', '/v2/lbaas/providers/{provider}/availability_zone_capabilities'),

  'flavor:get_all': p('read', 'GET', '/v2.0/lbaas/flavors'),
  'flavor:post': p('admin', 'POST', '/v2.0/lbaas/flavors'),
  'flavor:get_one': p('read', 'GET', '/v2.0/lbaas/flavors/{flavor_id}'),
  'flavor:put': p('admin', 'PUT', '/v2.0/lbaas/flavors/{flavor_id}'),
  'flavor:delete': p('admin', 'DELETE', '/v2.0/lbaas/flavors/{flavor_id}'),

  'flavor-profile:get_all': p('admin', 'GET', '/v2.0/lbaas/flavorprofiles'),
  'flavor-profile:post': p('admin', 'POST', '/v2.0/lbaas/flavorprofiles'),
  'flavor-profile:get_one': p('admin', 'GET', '/v2.0/lbaas/flavorprofiles/{flavor_profile_id}'),
  'flavor-profile:put': p('admin', 'PUT', '/v2.0/lbaas/flavorprofiles/{flavor_profile_id}'),
  'flavor-profile:delete': p('admin', 'DELETE', '/v2.0/lbaas/flavorprofiles/{flavor_profile_id}'),

  'availability-zone:get_all': p('read', 'GET', '/v2.0/lbaas/availabilityzones'),
  'availability-zone:post': p('admin', 'POST', '/v2.0/lbaas/availabilityzones'),
  'availability-zone:get_one': p('read', 'GET', '/v2.0/lbaas/availabilityzones/{availability_zone_id}'),
  'availability-zone:put': p('admin', 'PUT', '/v2.0/lbaas/availabilityzones/{availability_zone_id}'),
  'availability-zone:delete': p('admin', 'DELETE', '/v2.0/lbaas/availabilityzones/{availability_zone_id}'),

  'availability-zone-profile:get_all': p('admin', 'GET', '/v2.0/lbaas/availabilityzoneprofiles'),
  'availability-zone-profile:post': p('admin', 'POST', '/v2.0/lbaas/availabilityzoneprofiles'),
  'availability-zone-profile:get_one': p('admin', 'GET', '/v2.0/lbaas/availabilityzoneprofiles/{availability_zone_profile_id}'),
  'availability-zone-profile:put': p('admin', 'PUT', '/v2.0/lbaas/availabilityzoneprofiles/{availability_zone_profile_id}'),
  'availability-zone-profile:delete': p('admin', 'DELETE', '/v2.0/lbaas/availabilityzoneprofiles/{availability_zone_profile_id}'),

  'quota:get_all': p('read-quota', 'GET', QUOTA),
  'quota:get_all-global': p('read-quota-global', 'GET', QUOTA),
  'quota:get_one': p('read-quota', 'GET', `${QUOTA}/{project_id}`),
  'quota:put': p('write-quota', 'PUT', `${QUOTA}/{project_id}`),
  'quota:delete': p('write-quota', 'DELETE', `${QUOTA}/{project_id}`),
  'quota:get_defaults': p('read-quota', 'GET', `${QUOTA}/{project_id}/default`),

  'amphora:get_all': p('admin', 'GET', AMPHORA),
  'amphora:get_one': p('admin', 'GET', `${AMPHORA}/{amphora_id}`),
  'amphora:delete': p('admin', 'DELETE', `${AMPHORA}/{amphora_id}`),
  'amphora:put_config': p('admin', 'PUT', `${AMPHORA}/{amphora_id}/config`),
  'amphora:put_failover': p('admin', 'PUT', `${AMPHORA}/{amphora_id}/failover`),
  'amphora:get_stats': p('admin', 'GET', `${AMPHORA}/{amphora_id}/stats`),

  // Not Octavia's: the openstack flavors API of this deployment, the operator's like flavor profiles.
  'openstack-flavor:get_all': p('admin', 'GET', '/v1/openstack_flavors'),
  'openstack-flavor:post': p('admin', 'POST', '/v1/openstack_flavors'),
  'openstack-flavor:get_one': p('admin', 'GET', '/v1/openstack_flavors/{openstack_flavor_id}'),
  'openstack-flavor:delete': p('admin', 'DELETE', '/v1/openstack_flavors/{openstack_flavor_id}'),
  'openstack-flavor:post_register': p('admin', 'POST', '/v1/openstack_flavors/{openstack_flavor_id}/register'),
} as const satisfies Record<string, Policy>;

export type Action = keyof typeof policies;

/** The policies that are this deployment's own, not Octavia's. */
export const ownPolicies: readonly Action[] = (Object.keys(policies) as Action[]).filter((a) => a.startsWith('openstack-flavor:'));

/** The resources whose lists have Octavia's `get_all` / `get_all-global` pair. */
export type ListedResource = {
  [A in Action]: A extends `${infer R}:get_all-global` ? R : never;
}[Action];

/** Who asks: the token's project (none for a system-scoped token) and roles. */
export interface Credentials {
  projectId: string | undefined;
  roles: readonly string[];
  /** A system-scoped token (`system: {all: true}`). */
  system?: boolean;
  /** Every request is an admin (Octavia's `is_admin:True`, which noauth mode sets). */
  isAdmin: boolean;
}

/** Roles that make a caller an admin (`context_is_admin`, its deprecated `role:admin` included). */
export const ADMIN_ROLES: readonly string[] = ['admin', 'load-balancer_admin'];

/** Whether `rule` lets `who` act on an object of `targetProject`. */
export function ruleAllows(rule: Rule, who: Credentials, targetProject: string | undefined): boolean {
  const has = (role: string) => who.roles.includes(role);
  const owner = who.projectId !== undefined && who.projectId === targetProject;
  const admin = who.isAdmin || who.roles.some((r) => ADMIN_ROLES.includes(r));
  const globalObserver = has('load-balancer_global_observer') || (has('reader') && who.system === true);
  const observerAndOwner = has('load-balancer_observer') && owner;
  const memberAndOwner = has('load-balancer_member') && owner;
  const quotaAdmin = has('load-balancer_quota_admin');
  switch (rule) {
    case 'read':
      return observerAndOwner || globalObserver || memberAndOwner || admin;
    case 'read-global':
      return globalObserver || admin;
    case 'write':
      return memberAndOwner || admin;
    case 'admin':
      return admin;
    case 'read-quota':
      return observerAndOwner || globalObserver || memberAndOwner || quotaAdmin || admin;
    case 'read-quota-global':
      return globalObserver || quotaAdmin || admin;
    case 'write-quota':
      return quotaAdmin || admin;
  }
}

export const allows = (action: Action, who: Credentials, targetProject: string | undefined): boolean =>
  ruleAllows(policies[action].rule, who, targetProject);
