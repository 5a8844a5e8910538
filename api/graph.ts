/**
 * Octavia's single-call create (load_balancer.py `_graph_create`): a load balancer POST whose body nests
 * its `listeners` (each with its `default_pool`, its `l7policies` and their `rules`) and `pools` (each
 * with its `healthmonitor` and `members`) writes the whole tree PENDING_CREATE in the load balancer's
 * own transaction, and the load balancer's create flow builds it at once (its configuration push
 * carries every child; its last step settles them with the load balancer; a failed create leaves them
 * ERROR with it, and the cascade delete removes them).
 *
 * Pools are defined once and referenced by name elsewhere in the request: a listener's `default_pool`
 * or a policy's `redirect_pool` that holds more than a name (Octavia counts `admin_state_up` and
 * `tls_enabled`, which its types default, as part of a reference) is a definition moved to the pools;
 * a bare name must name a pool defined somewhere in the request.
 *
 * Every nested object is checked as when it is created alone (domain/validate.ts, the provider's
 * support, the resources' schemas through api/schemas), with the checks that need its parent made
 * against the parent in the request; the quota of every kind is enforced for all it adds, in the
 * transaction that writes them. `planGraph` runs before anything is allocated: a refused request
 * changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { OperatingStatus } from '../common/status';
import type { Db } from '../db/prisma';
import { enforceQuota } from '../domain/quotas';
import {
  checkAlgorithm,
  checkCidrsMatchVip,
  checkInsertHeaders,
  checkL7Listener,
  checkListenerDefaultPool,
  checkListenerPoolProtocol,
  checkListenerPortFree,
  checkListenerTls,
  checkMemberSubnets,
  checkMonitorDomainName,
  checkMonitorHttpFields,
  checkMonitorTypeForPool,
  checkPoolTls,
  checkSessionPersistence,
  ipNotReserved,
  l7PolicyTargetsCleared,
  l7ruleData,
  MAX_L7RULES_PER_L7POLICY,
  normalizeCidr,
  sanitizeL7PolicyApiArgs,
} from '../domain/validate';
import {
  DuplicateMember,
  ListenerNoChildren,
  NotFound,
  pyRepr,
  SingleCreateDetailsMissing,
  TooManyRules,
  ValidationFailure,
} from '../common/errors';
import type { ApiDeps } from './deps';
import type { Tx } from './lifecycle';
import { checkListenerSupported, checkPoolSupported } from './provider-support';
import { healthMonitors, newHealthMonitor } from './resources/healthmonitor';
import { l7Policies, l7PolicyInclude, newL7Policy } from './resources/l7policy';
import { l7Rules, newRule } from './resources/l7rule';
import { listenerInclude, listeners, newListener } from './resources/listener';
import { loadBalancerInclude, loadBalancers } from './resources/loadbalancer';
import { members, newMember } from './resources/member';
import { newPool, poolInclude, pools } from './resources/pool';
import type { L7PolicySingleCreate } from './schemas/l7policy';
import type { ListenerSingleCreate } from './schemas/listener';
import type { LoadBalancerCreate } from './schemas/loadbalancer';
import { MAX_POLICY_POSITION } from './schemas/l7policy';
import type { PoolSingleCreate } from './schemas/pool';

type DefinedPool = PoolSingleCreate & { protocol: string; lb_algorithm: string };

interface PlannedPool {
  id: string;
  body: DefinedPool;
}

interface PlannedPolicy {
  id: string;
  /** The policy's values as its POST would store them (targets sanitised, the redirect pool's id). */
  values: Record<string, unknown>;
  rules: NonNullable<L7PolicySingleCreate['rules']>;
}

interface PlannedListener {
  id: string;
  body: ListenerSingleCreate;
  defaultPoolId: string | null;
  /** In evaluation order: position n is index n - 1. */
  policies: PlannedPolicy[];
}

/** The tree of a single-call create, checked, with the ids its rows get. */
export interface GraphPlan {
  pools: PlannedPool[];
  listeners: PlannedListener[];
}

const POOLS_NAMED = 'Pools must be named when creating a fully populated loadbalancer.';

/** What Octavia's types give every pool, so that a reference by name holds them too (its `len(pool) > 3`). */
const REFERENCE_KEYS = new Set(['name', 'admin_state_up', 'tls_enabled']);

/** A pool named in a listener or a policy: a definition (moved to the pools), or a reference by name. */
function poolMention(pool: PoolSingleCreate | null | undefined, pools: PoolSingleCreate[], required: Set<string>): string | null {
  if (!pool) return null;
  if (!pool.name) throw new ValidationFailure(POOLS_NAMED);
  const defines = Object.entries(pool).some(([k, v]) => v !== undefined && !REFERENCE_KEYS.has(k));
  if (defines) pools.push(pool);
  else required.add(pool.name);
  return pool.name;
}

/**
 * Checks the tree of a load balancer POST (400s, 404s, 409s and the provider's 501s; nothing is
 * written, only the network driver is asked about member subnets) and gives every object its id.
 * Null when the request has no tree.
 */
export async function planGraph(deps: ApiDeps, lb: LoadBalancerCreate): Promise<GraphPlan | null> {
  const listenerBodies = lb.listeners ?? [];
  const poolBodies: PoolSingleCreate[] = [...(lb.pools ?? [])];
  if (listenerBodies.length === 0 && poolBodies.length === 0) return null;

  // Pool definitions and references, in Octavia's order.
  const required = new Set<string>();
  const defaultPoolNames = listenerBodies.map((l) => poolMention(l.default_pool, poolBodies, required));
  const redirectPoolNames = listenerBodies.map((l) => (l.l7policies ?? []).map((p) => poolMention(p.redirect_pool, poolBodies, required)));
  const names = poolBodies.map((p) => p.name);
  if (new Set(names).size !== names.length) {
    throw new ValidationFailure('Pool names must be unique when creating a fully populated loadbalancer.');
  }
  for (const name of required) {
    if (!names.includes(name)) throw new ValidationFailure(`Pool '${name}' was referenced but no full definition was found.`);
  }

  // Each pool as a pool POST checks it, with its monitor and members as theirs do.
  const pools = poolBodies.map((body): PlannedPool => {
    for (const attr of ['protocol', 'lb_algorithm'] as const) {
      if (!body[attr]) throw new ValidationFailure(`Pool definition for '${body.name}' missing required attribute: ${attr}`);
    }
    const pool = body as DefinedPool;
    checkSessionPersistence(pool.protocol, pool.session_persistence);
    checkPoolTls(pool);
    checkPoolSupported(deps, pool);
    checkAlgorithm(pool.lb_algorithm);
    const monitor = pool.healthmonitor;
    if (monitor) {
      checkMonitorTypeForPool(pool.protocol, monitor.type, monitor.delay);
      checkMonitorHttpFields(monitor.type, monitor);
      checkMonitorDomainName(monitor.domain_name, monitor.http_version);
    }
    const seen = new Set<string>();
    for (const m of pool.members ?? []) {
      ipNotReserved(m.address);
      const key = `${m.address} ${m.protocol_port}`;
      if (seen.has(key)) throw new DuplicateMember(m.address, m.protocol_port);
      seen.add(key);
    }
    return { id: randomUUID(), body: pool };
  });
  // The members' subnets exist (the network driver's look-up, as a member POST makes it).
  await checkMemberSubnets(deps.network, pools.flatMap((p) => (p.body.members ?? []).map((m) => m.subnet_id)));
  const byName = new Map(pools.map((p) => [p.body.name, p]));
  const poolNamed = (name: string) => {
    const pool = byName.get(name);
    if (!pool) throw new SingleCreateDetailsMissing('Pool', name);
    return pool;
  };

  // Each listener as a listener POST checks it, with its policies and rules as theirs do.
  const onPorts = new Map<number, { protocol: string }[]>();
  const listeners = listenerBodies.map((request, i): PlannedListener => {
    const id = randomUUID();
    // Allowed CIDRs are stored as a listener POST stores them: network address and prefix length.
    const body = request.allowed_cidrs ? { ...request, allowed_cidrs: request.allowed_cidrs.map(normalizeCidr) } : request;
    checkListenerSupported(deps, body);
    const policies = body.l7policies ?? [];
    const defaultPoolName = defaultPoolNames[i];
    if (body.protocol === 'PROMETHEUS' && (defaultPoolName || body.default_pool_id || policies.length > 0)) {
      throw new ListenerNoChildren(body.protocol);
    }
    // No pool of a load balancer that does not exist yet can have this id (Octavia's _validate_pool).
    if (body.default_pool_id) throw new NotFound('Pool', body.default_pool_id);
    const defaultPool = defaultPoolName ? poolNamed(defaultPoolName) : null;
    if (defaultPool) checkListenerDefaultPool(body.protocol, defaultPool.body.protocol);
    // Octavia's _validate_create_listener, in its order (the VIP's IP version when the VIP is known: writeGraph).
    if (body.insert_headers && Object.keys(body.insert_headers).length > 0) {
      checkInsertHeaders(body.protocol, Object.keys(body.insert_headers), (names) => `dict_keys(${pyRepr(names)})`);
    }
    checkListenerTls(body.protocol, body);
    const onPort = onPorts.get(body.protocol_port) ?? [];
    checkListenerPortFree(body.protocol, body.protocol_port, onPort);
    onPorts.set(body.protocol_port, [...onPort, { protocol: body.protocol }]);

    const ordered: PlannedPolicy[] = [];
    policies.forEach((p, j) => {
      const policyId = randomUUID();
      const redirectName = redirectPoolNames[i]![j];
      const redirectPool = redirectName ? poolNamed(redirectName) : null;
      const { redirect_pool: _pool, rules = [], ...fields } = p;
      const policy = sanitizeL7PolicyApiArgs({ ...fields, redirect_pool_id: redirectPool?.id ?? null });
      for (const r of rules ?? []) l7ruleData(r);
      checkL7Listener({ id, protocol: body.protocol });
      if (redirectPool) checkListenerPoolProtocol(body.protocol, redirectPool.body.protocol);
      if ((rules ?? []).length > MAX_L7RULES_PER_L7POLICY) throw new TooManyRules(policyId);
      // Placed as consecutive policy POSTs place them: at its position, or last.
      const position = Math.min(policy.position ?? MAX_POLICY_POSITION, ordered.length + 1);
      const { position: _position, ...values } = { ...policy, ...l7PolicyTargetsCleared(policy.action) };
      ordered.splice(position - 1, 0, { id: policyId, values, rules: rules ?? [] });
    });
    return { id, body, defaultPoolId: defaultPool?.id ?? null, policies: ordered };
  });
  return { pools, listeners };
}

/**
 * Writes the planned tree under the new load balancer (PENDING_CREATE), within the quotas of its
 * project, once its listeners' allowed CIDRs are known to be of its VIP's IP version.
 */
export async function writeGraph(tx: Tx, plan: GraphPlan, lb: { id: string; projectId: string; vipAddress: string | null }): Promise<void> {
  const { projectId } = lb;
  for (const l of plan.listeners) checkCidrsMatchVip(lb.vipAddress, l.body.allowed_cidrs);
  const policies = plan.listeners.flatMap((l) => l.policies);
  const counts = [
    ['pool', plan.pools.length],
    ['health_monitor', plan.pools.filter((p) => p.body.healthmonitor).length],
    ['member', plan.pools.reduce((n, p) => n + (p.body.members?.length ?? 0), 0)],
    ['listener', plan.listeners.length],
    ['l7policy', policies.length],
    ['l7rule', policies.reduce((n, p) => n + p.rules.length, 0)],
  ] as const;
  for (const [resource, count] of counts) if (count > 0) await enforceQuota(tx, projectId, resource, count);

  for (const { id, body } of plan.pools) {
    await tx.pool.create({ data: { ...newPool(body, lb), id } });
    const pool = { id, projectId };
    if (body.healthmonitor) await tx.healthMonitor.create({ data: newHealthMonitor(body.healthmonitor, pool) });
    // Octavia's graph shows the members of a monitored pool OFFLINE until the monitor reports.
    const status = body.healthmonitor ? OperatingStatus.OFFLINE : OperatingStatus.NO_MONITOR;
    for (const m of body.members ?? []) await tx.member.create({ data: newMember(m, pool, status) });
  }
  for (const l of plan.listeners) {
    await tx.listener.create({ data: { ...newListener(l.body, lb), id: l.id, defaultPoolId: l.defaultPoolId } });
    for (const [i, p] of l.policies.entries()) {
      await tx.l7Policy.create({ data: { ...newL7Policy(p.values, { id: l.id, projectId }, i + 1), id: p.id } });
      for (const r of p.rules) await tx.l7Rule.create({ data: newRule(r, { id: p.id, projectId }) });
    }
  }
}

// --- the 201 body: Octavia's LoadBalancerFullResponse ------------------------------------------------

const ruleFull = l7Rules.schema;
const policyFull = l7Policies.schema.extend({ rules: z.array(ruleFull) });
const listenerFull = listeners.schema.omit({ loadbalancers: true }).extend({ l7policies: z.array(policyFull) });
const poolFull = pools.schema
  .omit({ loadbalancers: true, healthmonitor_id: true })
  .extend({ members: z.array(members.schema), healthmonitor: healthMonitors.schema.nullable() });

/** A load balancer POST's answer: the load balancer with its listeners and pools in full. */
export const loadBalancerFullSchema = z.object({
  loadbalancer: loadBalancers.schema.extend({ listeners: z.array(listenerFull), pools: z.array(poolFull) }),
});

const byCreation = [{ createdAt: 'asc' }, { id: 'asc' }] as const;

/**
 * The load balancer and its whole tree as Octavia's POST answers it: listeners without their
 * `loadbalancers`, with their policies and rules in full; pools without `loadbalancers`, with their
 * members in full. Octavia 11 renders each pool's `healthmonitor` from the pool's flat dictionary, where
 * the monitor is not expanded, so it always shows null there (the monitor is in GET /healthmonitors).
 */
export async function loadBalancerFullView(db: Db, id: string): Promise<z.infer<typeof loadBalancerFullSchema>> {
  const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id }, include: loadBalancerInclude });
  // A load balancer created bare (the common case) has nothing below it: no query for what is not there.
  const hasListeners = lb.listeners.length > 0;
  const hasPools = lb.pools.length > 0;
  const [lbListeners, lbPolicies, lbRules] = hasListeners
    ? await Promise.all([
        db.listener.findMany({ where: { loadBalancerId: id }, include: listenerInclude, orderBy: [...byCreation] }),
        db.l7Policy.findMany({ where: { listener: { loadBalancerId: id } }, include: l7PolicyInclude, orderBy: [{ position: 'asc' }, ...byCreation] }),
        db.l7Rule.findMany({ where: { l7Policy: { listener: { loadBalancerId: id } } }, orderBy: [...byCreation] }),
      ])
    : [[], [], []];
  const [lbPools, lbMembers] = hasPools
    ? await Promise.all([
        db.pool.findMany({ where: { loadBalancerId: id }, include: poolInclude, orderBy: [...byCreation] }),
        db.member.findMany({ where: { pool: { loadBalancerId: id } }, orderBy: [...byCreation] }),
      ])
    : [[], []];

  const listenerViews = lbListeners.map((l) => {
    const { loadbalancers: _lbs, ...view } = listeners.view(l);
    const policies = lbPolicies
      .filter((p) => p.listenerId === l.id)
      .map((p) => ({ ...l7Policies.view(p), rules: lbRules.filter((r) => r.l7PolicyId === p.id).map((r) => l7Rules.view(r)) }));
    return { ...view, l7policies: policies };
  });
  const poolViews = lbPools.map((p) => {
    const { loadbalancers: _lbs, healthmonitor_id: _hm, ...view } = pools.view(p);
    return { ...view, members: lbMembers.filter((m) => m.poolId === p.id).map((m) => members.view(m)), healthmonitor: null };
  });
  return { loadbalancer: { ...loadBalancers.view(lb), listeners: listenerViews, pools: poolViews } };
}
