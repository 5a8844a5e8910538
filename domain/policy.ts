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

/** The five actions of a collection, named as Octavia names them. */
type Crud = 'get_all' | 'post' | 'get_one' | 'put' | 'delete';

/**
 * A collection's five policies: `get_all` and `get_one` by `read`, `post`, `put` and `delete` by `write`
 * (its path, and its object's `{<resource>_id}`). `global`: its list has Octavia's `get_all-global`, by
 * `read-global`, which lets a caller list every project's objects.
 */
function crud<R extends string, G extends boolean = false>(resource: R, path: string, rules: { read: Rule; write: Rule; global?: G }) {
  const one = `${path}/{${resource.replaceAll('-', '_')}_id}`;
  return {
    [`${resource}:get_all`]: p(rules.read, 'GET', path),
    ...(rules.global ? { [`${resource}:get_all-global`]: p('read-global', 'GET', path) } : {}),
    [`${resource}:post`]: p(rules.write, 'POST', path),
    [`${resource}:get_one`]: p(rules.read, 'GET', one),
    [`${resource}:put`]: p(rules.write, 'PUT', one),
    [`${resource}:delete`]: p(rules.write, 'DELETE', one),
  } as Record<`${R}:${Crud}` | (G extends true ? `${R}:get_all-global` : never), Policy>;
}

/** A load balancer's object: the project's own (`read`, `write`), listed per project or globally. */
const owned = { read: 'read', write: 'write', global: true } as const;
/** What the operator keeps (flavors, availability zones): every caller reads it, admins write it. */
const operators = { read: 'read', write: 'admin' } as const;
/** What only admins see and change (profiles: which provider does what). */
const adminOnly = { read: 'admin', write: 'admin' } as const;

const LB = '/v2/lbaas/loadbalancers';
const LISTENER = '/v2/lbaas/listeners';
const QUOTA = '/v2/lbaas/quotas';
const AMPHORA = '/v2/octavia/amphorae';

/**
 * The policy table, named as Octavia names its policies (without the `os_load-balancer_api:` prefix).
 * `<resource>:get_all-global` is what lets a caller list every project's objects.
 */
export const policies = {
  ...crud('loadbalancer', LB, owned),
  'loadbalancer:get_stats': p('read', 'GET', `${LB}/{loadbalancer_id}/stats`),
  'loadbalancer:get_status': p('read', 'GET', `${LB}/{loadbalancer_id}/status`),
  'loadbalancer:put_failover': p('admin', 'PUT', `${LB}/{loadbalancer_id}/failover`),

  ...crud('listener', LISTENER, owned),
  'listener:get_stats': p('read', 'GET', `${LISTENER}/{listener_id}/stats`),

  ...crud('pool', '/v2/lbaas/pools', owned),
  ...crud('member', '/v2/lbaas/pools/{pool_id}/members', { read: 'read', write: 'write' }),
  ...crud('healthmonitor', '/v2/lbaas/healthmonitors', owned),
  ...crud('l7policy', '/v2/lbaas/l7policies', owned),
  ...crud('l7rule', '/v2/lbaas/l7policies/{l7policy_id}/rules', { read: 'read', write: 'write' }),

  'provider:get_all': p('read', 'GET', '/v2/lbaas/providers'),
  'provider-flavor:get_all': p('admin', 'GET', '/v2/lbaas/providers/{provider}/flavor_capabilities'),
  'provider-availability-zone:get_all': p('admin', 'GET', '/v2/lbaas/providers/{provider}/availability_zone_capabilities'),

  ...crud('flavor', '/v2.0/lbaas/flavors', operators),
  ...crud('flavor-profile', '/v2.0/lbaas/flavorprofiles', adminOnly),
  ...crud('availability-zone', '/v2.0/lbaas/availabilityzones', operators),
  ...crud('availability-zone-profile', '/v2.0/lbaas/availabilityzoneprofiles', adminOnly),

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
