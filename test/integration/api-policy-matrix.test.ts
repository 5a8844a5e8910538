/**
 * Persona × action × project, generated from the policy table (domain/policy.ts, Octavia 11's
 * defaults: test/unit/policy.test.ts): every action of the table is requested by every persona, on an
 * object of the persona's own project and on one of another project, in keystone mode against the
 * Keystone emulator. What each persona may do under each of Octavia's rules is written out below, from
 * Octavia's persona documentation (not from the code): a refused request is Octavia's 403, an allowed
 * one gets past the policy. A rule changed in the table changes what is expected here.
 *
 * So that allowed writes change nothing, both projects' load balancers are held PENDING_UPDATE: every
 * write the policy lets through is then Octavia's 409 (the check of the load balancer's state comes
 * after the policy's, as in Octavia), and what is deleted is made for the purpose.
 */
import { randomUUID } from 'node:crypto';
import { policies, type Action, type Rule } from '../../domain/policy';
import { ProvisioningStatus } from '../../common/status';
import { awaitFlow, VIP_SUBNET } from '../support/fixtures';
import { startKeystoneSystem, type KeystoneSystem, type Persona } from '../support/keystone';
import type { TestSystem } from '../support/system';

let ks: KeystoneSystem;
let sys: TestSystem;

/** The personas asked, each a user of project 'demo' (the emulator's; 'lb-other' owns the other project's objects). */
const askers = ['lb-observer', 'lb-global-observer', 'lb-member', 'lb-admin', 'os-admin', 'lb-quota-admin', 'no-lb-role'] as const satisfies Persona[];
type Asker = (typeof askers)[number];

/** Octavia's personas under each rule: 'own' = objects of its project, 'all' = any project's, 'none'. */
const grants: Record<Rule, Record<Asker, 'own' | 'all' | 'none'>> = {
  read: { 'lb-observer': 'own', 'lb-global-observer': 'all', 'lb-member': 'own', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'none', 'no-lb-role': 'none' },
  'read-global': { 'lb-observer': 'none', 'lb-global-observer': 'all', 'lb-member': 'none', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'none', 'no-lb-role': 'none' },
  write: { 'lb-observer': 'none', 'lb-global-observer': 'none', 'lb-member': 'own', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'none', 'no-lb-role': 'none' },
  admin: { 'lb-observer': 'none', 'lb-global-observer': 'none', 'lb-member': 'none', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'none', 'no-lb-role': 'none' },
  'read-quota': { 'lb-observer': 'own', 'lb-global-observer': 'all', 'lb-member': 'own', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'all', 'no-lb-role': 'none' },
  'read-quota-global': { 'lb-observer': 'none', 'lb-global-observer': 'all', 'lb-member': 'none', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'all', 'no-lb-role': 'none' },
  'write-quota': { 'lb-observer': 'none', 'lb-global-observer': 'none', 'lb-member': 'none', 'lb-admin': 'all', 'os-admin': 'all', 'lb-quota-admin': 'all', 'no-lb-role': 'none' },
};

interface Tree {
  project: string;
  lb: string;
  listener: string;
  pool: string;
  member: string;
  hm: string;
  l7policy: string;
  l7rule: string;
}
let trees: Record<'own' | 'other', Tree>;
let catalog: { flavorProfile: string; flavor: string; azProfile: string; az: string; amphora: string; osFlavor: string };

interface Call {
  method: string;
  path: string;
  body?: unknown;
  /** What an allowed request answers (default by method: GET 200; POST 201/409; PUT 200/202/409; DELETE 204/400/409). */
  allowed?: number[];
}
type Make = (t: Tree) => Call | Promise<Call>;

const LB = '/v2/lbaas/loadbalancers';
const unique = () => `m-${randomUUID().slice(0, 8)}`;
const list = (path: string) => (t: Tree) => ({ method: 'GET', path: `${path}?project_id=${t.project}` });

/** How each action of the table is asked for, on a tree of objects of one project. */
const calls: Record<Exclude<Action, `${string}:get_all-global`>, Make | 'not served'> = {
  'loadbalancer:get_all': list(LB),
  'loadbalancer:post': (t) => ({ method: 'POST', path: LB, body: { loadbalancer: { vip_subnet_id: VIP_SUBNET, project_id: t.project } }, allowed: [201] }),
  'loadbalancer:get_one': (t) => ({ method: 'GET', path: `${LB}/${t.lb}` }),
  'loadbalancer:put': (t) => ({ method: 'PUT', path: `${LB}/${t.lb}`, body: { loadbalancer: { name: 'x' } }, allowed: [409] }),
  // It has children: Octavia's 400 comes after the policy.
  'loadbalancer:delete': (t) => ({ method: 'DELETE', path: `${LB}/${t.lb}`, allowed: [400] }),
  'loadbalancer:get_stats': (t) => ({ method: 'GET', path: `${LB}/${t.lb}/stats` }),
  'loadbalancer:get_status': (t) => ({ method: 'GET', path: `${LB}/${t.lb}/status` }),
  'loadbalancer:put_failover': (t) => ({ method: 'PUT', path: `${LB}/${t.lb}/failover`, allowed: [409] }),

  'listener:get_all': list('/v2/lbaas/listeners'),
  'listener:post': (t) => ({ method: 'POST', path: '/v2/lbaas/listeners', body: { listener: { loadbalancer_id: t.lb, protocol: 'TCP', protocol_port: 8080 } }, allowed: [409] }),
  'listener:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/listeners/${t.listener}` }),
  'listener:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/listeners/${t.listener}`, body: { listener: { name: 'x' } }, allowed: [409] }),
  'listener:delete': (t) => ({ method: 'DELETE', path: `/v2/lbaas/listeners/${t.listener}`, allowed: [409] }),
  'listener:get_stats': (t) => ({ method: 'GET', path: `/v2/lbaas/listeners/${t.listener}/stats` }),

  'pool:get_all': list('/v2/lbaas/pools'),
  'pool:post': (t) => ({ method: 'POST', path: '/v2/lbaas/pools', body: { pool: { loadbalancer_id: t.lb, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } }, allowed: [409] }),
  'pool:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/pools/${t.pool}` }),
  'pool:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/pools/${t.pool}`, body: { pool: { name: 'x' } }, allowed: [409] }),
  'pool:delete': (t) => ({ method: 'DELETE', path: `/v2/lbaas/pools/${t.pool}`, allowed: [409] }),

  'member:get_all': (t) => ({ method: 'GET', path: `/v2/lbaas/pools/${t.pool}/members` }),
  'member:post': (t) => ({ method: 'POST', path: `/v2/lbaas/pools/${t.pool}/members`, body: { member: { address: '10.0.0.9', protocol_port: 80 } }, allowed: [409] }),
  'member:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/pools/${t.pool}/members/${t.member}` }),
  'member:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/pools/${t.pool}/members/${t.member}`, body: { member: { name: 'x' } }, allowed: [409] }),
  'member:delete': (t) => ({ method: 'DELETE', path: `/v2/lbaas/pools/${t.pool}/members/${t.member}`, allowed: [409] }),

  'healthmonitor:get_all': list('/v2/lbaas/healthmonitors'),
  'healthmonitor:post': (t) => ({
    method: 'POST',
    path: '/v2/lbaas/healthmonitors',
    body: { healthmonitor: { pool_id: t.pool, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 } },
    allowed: [409],
  }),
  'healthmonitor:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/healthmonitors/${t.hm}` }),
  'healthmonitor:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/healthmonitors/${t.hm}`, body: { healthmonitor: { name: 'x' } }, allowed: [409] }),
  'healthmonitor:delete': (t) => ({ method: 'DELETE', path: `/v2/lbaas/healthmonitors/${t.hm}`, allowed: [409] }),

  'l7policy:get_all': list('/v2/lbaas/l7policies'),
  'l7policy:post': (t) => ({ method: 'POST', path: '/v2/lbaas/l7policies', body: { l7policy: { listener_id: t.listener, action: 'REJECT' } }, allowed: [409] }),
  'l7policy:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/l7policies/${t.l7policy}` }),
  'l7policy:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/l7policies/${t.l7policy}`, body: { l7policy: { name: 'x' } }, allowed: [409] }),
  'l7policy:delete': (t) => ({ method: 'DELETE', path: `/v2/lbaas/l7policies/${t.l7policy}`, allowed: [409] }),

  'l7rule:get_all': (t) => ({ method: 'GET', path: `/v2/lbaas/l7policies/${t.l7policy}/rules` }),
  'l7rule:post': (t) => ({
    method: 'POST',
    path: `/v2/lbaas/l7policies/${t.l7policy}/rules`,
    body: { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } },
    allowed: [409],
  }),
  'l7rule:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/l7policies/${t.l7policy}/rules/${t.l7rule}` }),
  'l7rule:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/l7policies/${t.l7policy}/rules/${t.l7rule}`, body: { rule: { value: '/y' } }, allowed: [409] }),
  'l7rule:delete': (t) => ({ method: 'DELETE', path: `/v2/lbaas/l7policies/${t.l7policy}/rules/${t.l7rule}`, allowed: [409] }),

  'provider:get_all': () => ({ method: 'GET', path: '/v2/lbaas/providers' }),
  'provider-flavor:get_all': () => ({ method: 'GET', path: '/v2/lbaas/providers/amphora/flavor_capabilities' }),
  'provider-availability-zone:get_all': () => ({ method: 'GET', path: '/v2/lbaas/providers/amphora/availability_zone_capabilities' }),

  'flavor:get_all': () => ({ method: 'GET', path: '/v2/lbaas/flavors' }),
  'flavor:post': () => ({ method: 'POST', path: '/v2/lbaas/flavors', body: { flavor: { name: unique(), flavor_profile_id: catalog.flavorProfile } } }),
  'flavor:get_one': () => ({ method: 'GET', path: `/v2/lbaas/flavors/${catalog.flavor}` }),
  'flavor:put': () => ({ method: 'PUT', path: `/v2/lbaas/flavors/${catalog.flavor}`, body: { flavor: { description: 'x' } } }),
  'flavor:delete': async () => {
    const { id } = await sys.db.flavor.create({ data: { id: randomUUID(), name: unique(), flavorProfileId: catalog.flavorProfile } });
    return { method: 'DELETE', path: `/v2/lbaas/flavors/${id}` };
  },

  'flavor-profile:get_all': () => ({ method: 'GET', path: '/v2/lbaas/flavorprofiles' }),
  'flavor-profile:post': () => ({ method: 'POST', path: '/v2/lbaas/flavorprofiles', body: { flavorprofile: { name: unique(), provider_name: 'amphora', flavor_data: '{}' } } }),
  'flavor-profile:get_one': () => ({ method: 'GET', path: `/v2/lbaas/flavorprofiles/${catalog.flavorProfile}` }),
  'flavor-profile:put': () => ({ method: 'PUT', path: `/v2/lbaas/flavorprofiles/${catalog.flavorProfile}`, body: { flavorprofile: { name: 'x' } } }),
  'flavor-profile:delete': async () => {
    const { id } = await sys.db.flavorProfile.create({ data: { id: randomUUID(), name: unique(), providerName: 'amphora', flavorData: '{}' } });
    return { method: 'DELETE', path: `/v2/lbaas/flavorprofiles/${id}` };
  },

  'availability-zone:get_all': () => ({ method: 'GET', path: '/v2/lbaas/availabilityzones' }),
  'availability-zone:post': () => ({
    method: 'POST',
    path: '/v2/lbaas/availabilityzones',
    body: { availability_zone: { name: unique(), availability_zone_profile_id: catalog.azProfile } },
  }),
  'availability-zone:get_one': () => ({ method: 'GET', path: `/v2/lbaas/availabilityzones/${catalog.az}` }),
  'availability-zone:put': () => ({ method: 'PUT', path: `/v2/lbaas/availabilityzones/${catalog.az}`, body: { availability_zone: { description: 'x' } } }),
  'availability-zone:delete': async () => {
    const { name } = await sys.db.availabilityZone.create({ data: { name: unique(), availabilityZoneProfileId: catalog.azProfile } });
    return { method: 'DELETE', path: `/v2/lbaas/availabilityzones/${name}` };
  },

  'availability-zone-profile:get_all': () => ({ method: 'GET', path: '/v2/lbaas/availabilityzoneprofiles' }),
  'availability-zone-profile:post': () => ({
    method: 'POST',
    path: '/v2/lbaas/availabilityzoneprofiles',
    body: { availability_zone_profile: { name: unique(), provider_name: 'amphora', availability_zone_data: '{}' } },
  }),
  'availability-zone-profile:get_one': () => ({ method: 'GET', path: `/v2/lbaas/availabilityzoneprofiles/${catalog.azProfile}` }),
  'availability-zone-profile:put': () => ({
    method: 'PUT',
    path: `/v2/lbaas/availabilityzoneprofiles/${catalog.azProfile}`,
    body: { availability_zone_profile: { name: 'x' } },
  }),
  'availability-zone-profile:delete': async () => {
    const { id } = await sys.db.availabilityZoneProfile.create({ data: { id: randomUUID(), name: unique(), providerName: 'amphora', availabilityZoneData: '{}' } });
    return { method: 'DELETE', path: `/v2/lbaas/availabilityzoneprofiles/${id}` };
  },

  'quota:get_all': list('/v2/lbaas/quotas'),
  'quota:get_one': (t) => ({ method: 'GET', path: `/v2/lbaas/quotas/${t.project}` }),
  'quota:put': (t) => ({ method: 'PUT', path: `/v2/lbaas/quotas/${t.project}`, body: { quota: { l7rule: -1 } } }),
  'quota:delete': async (t) => {
    // Something to reset (a project without quotas of its own is Octavia's 404).
    await sys.db.quota.upsert({ where: { projectId: t.project }, create: { projectId: t.project }, update: {} });
    return { method: 'DELETE', path: `/v2/lbaas/quotas/${t.project}`, allowed: [202] };
  },
  'quota:get_defaults': (t) => ({ method: 'GET', path: `/v2/lbaas/quotas/${t.project}/default` }),

  'amphora:get_all': () => ({ method: 'GET', path: '/v2/octavia/amphorae' }),
  'amphora:get_one': () => ({ method: 'GET', path: `/v2/octavia/amphorae/${catalog.amphora}` }),
  // Octavia 11's amphora delete is a route this API does not have (yet).
  'amphora:delete': 'not served',
  'amphora:put_config': () => ({ method: 'PUT', path: `/v2/octavia/amphorae/${catalog.amphora}/config` }),
  // Its load balancer is locked: the failover is refused after the policy.
  'amphora:put_failover': () => ({ method: 'PUT', path: `/v2/octavia/amphorae/${catalog.amphora}/failover`, allowed: [409] }),
  // No heartbeat has reported its statistics: Octavia's 404, after the policy.
  'amphora:get_stats': () => ({ method: 'GET', path: `/v2/octavia/amphorae/${catalog.amphora}/stats`, allowed: [404] }),

  'openstack-flavor:get_all': () => ({ method: 'GET', path: '/v1/openstack_flavors' }),
  'openstack-flavor:post': () => ({ method: 'POST', path: '/v1/openstack_flavors', body: { name: unique(), ram: 1, vcpus: 1, disk: 1 } }),
  'openstack-flavor:get_one': () => ({ method: 'GET', path: `/v1/openstack_flavors/${catalog.osFlavor}` }),
  'openstack-flavor:delete': async () => {
    const { id } = await sys.db.openstackFlavor.create({ data: { id: randomUUID(), name: unique(), ram: 1, vcpus: 1, disk: 1 } });
    return { method: 'DELETE', path: `/v1/openstack_flavors/${id}` };
  },
  // A flavor being deleted cannot be registered: the 409 comes after the policy.
  'openstack-flavor:post_register': async () => {
    const { id } = await sys.db.openstackFlavor.create({ data: { id: randomUUID(), name: unique(), ram: 1, vcpus: 1, disk: 1, status: 'DELETING' } });
    return { method: 'POST', path: `/v1/openstack_flavors/${id}/register`, allowed: [409] };
  },
};

const defaultAllowed: Record<string, number[]> = { GET: [200], POST: [201, 409], PUT: [200, 202, 409], DELETE: [204, 400, 409] };
const forbidden = { status: 403, body: { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null } };

/** Whose objects an action is asked about: a project's, or nobody's (what belongs to no project is asked once). */
const ownedResources = ['loadbalancer', 'listener', 'pool', 'member', 'healthmonitor', 'l7policy', 'l7rule', 'quota'];
const owned = (action: Action) => ownedResources.includes(action.split(':')[0]!);

async function makeTree(owner: Persona): Promise<Tree> {
  const create = async (resource: string, path: string, body: Record<string, unknown>, key = resource) => {
    const res = await ks.as(owner, 'POST', path, { [key]: body });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
    const id = res.body[key].id as string;
    await awaitFlow(sys, `${resource}-${id}-create`);
    return id;
  };
  const lb = await create('loadbalancer', LB, { vip_subnet_id: VIP_SUBNET });
  const listener = await create('listener', '/v2/lbaas/listeners', { loadbalancer_id: lb, protocol: 'HTTP', protocol_port: 80 });
  const pool = await create('pool', '/v2/lbaas/pools', { listener_id: listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
  const member = await create('member', `/v2/lbaas/pools/${pool}/members`, { address: '10.0.0.1', protocol_port: 80 });
  const hm = await create('healthmonitor', '/v2/lbaas/healthmonitors', { pool_id: pool, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 });
  const l7policy = await create('l7policy', '/v2/lbaas/l7policies', { listener_id: listener, action: 'REJECT' });
  const l7rule = await create('l7rule', `/v2/lbaas/l7policies/${l7policy}/rules`, { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }, 'rule');
  return { project: ks.tokens[owner].projectId, lb, listener, pool, member, hm, l7policy, l7rule };
}

beforeAll(async () => {
  ks = await startKeystoneSystem();
  sys = ks.sys;
  trees = { own: await makeTree('lb-member'), other: await makeTree('lb-other') };
  const admin = async (path: string, body: unknown) => {
    const res = await ks.as('lb-admin', 'POST', path, body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const fp = (await admin('/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'matrix', provider_name: 'amphora', flavor_data: '{}' } })).flavorprofile.id;
  const azp = (await admin('/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'matrix', provider_name: 'amphora', availability_zone_data: '{}' } }))
    .availability_zone_profile.id;
  catalog = {
    flavorProfile: fp,
    flavor: (await admin('/v2/lbaas/flavors', { flavor: { name: 'matrix', flavor_profile_id: fp } })).flavor.id,
    azProfile: azp,
    az: (await admin('/v2/lbaas/availabilityzones', { availability_zone: { name: 'matrix', availability_zone_profile_id: azp } })).availability_zone.name,
    amphora: (await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: trees.own.lb } })).id,
    osFlavor: (await admin('/v1/openstack_flavors', { name: 'matrix', ram: 1, vcpus: 1, disk: 1 })).uuid,
  };
  // Both projects have quotas of their own (what the quota lists show).
  for (const t of Object.values(trees)) await sys.db.quota.create({ data: { projectId: t.project, listener: 100 } });
  // Every write the policy allows then meets Octavia's 409 for a load balancer that is not ACTIVE.
  await sys.db.loadBalancer.updateMany({ where: { id: { in: [trees.own.lb, trees.other.lb] } }, data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE } });
}, 120_000);

afterAll(async () => {
  await ks?.stop();
});

/** The routes that need no policy (Octavia's unauthenticated version discovery). */
const PUBLIC = ['GET /', 'GET /v2', 'GET /v2.0'];
/** Routes whose policy is more than one action: the member batch is a create, update and delete. */
const SEVERAL: Record<string, Action[]> = { 'PUT /v2/lbaas/pools/{}/members': ['member:post', 'member:put', 'member:delete'] };

it("every route of the API is one of the policy table's requests (the document lists them all)", async () => {
  const doc = (await (await fetch(`${sys.apiUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  // Octavia's documented paths, with the parameters unnamed; /v2.0 is /v2, /v2/quotas is /v2/lbaas/quotas.
  const shape = (method: string, path: string) =>
    `${method.toUpperCase()} ${path.replace(/^\/v2\.0\//, '/v2/').replace(/^\/v2\/quotas/, '/v2/lbaas/quotas').replace(/\{\w+\}/g, '{}')}`;
  const table = new Map((Object.entries(policies) as [Action, (typeof policies)[Action]][]).map(([a, p]) => [shape(p.method, p.path), a]));
  const unmatched: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      const route = shape(method, path.replace('/quotas/defaults', '/quotas/{project_id}'));
      if (!PUBLIC.includes(`${method.toUpperCase()} ${path}`) && !table.has(route) && !SEVERAL[route]) unmatched.push(`${method.toUpperCase()} ${path}`);
    }
  }
  expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
  expect(unmatched).toEqual([]);
});

it.each([
  ['lb-observer', 'own', 'forbidden'],
  ['lb-member', 'other', 'forbidden'],
  ['lb-member', 'own', 'allowed'],
  ['lb-admin', 'other', 'allowed'],
] as const)("the member batch (PUT .../members) needs Octavia's member post, put and delete: %s on the %s project is %s", async (asker, target, expected) => {
  const res = await ks.as(asker, 'PUT', `/v2/lbaas/pools/${trees[target].pool}/members`, { members: [{ address: '10.0.0.1', protocol_port: 80 }] });
  // Allowed, it meets the locked load balancer's 409 (Octavia names the pool).
  expect(res).toMatchObject(expected === 'forbidden' ? forbidden : { status: 409, body: { faultstring: `Pool ${trees[target].pool} is immutable and cannot be updated.` } });
});

it('asks for every action of the policy table', () => {
  const asked = [...Object.keys(calls), ...Object.keys(policies).filter((a) => a.endsWith(':get_all-global'))].sort();
  expect(asked).toEqual(Object.keys(policies).sort());
});

type Case = [string, Action, Asker, 'own' | 'other' | 'none'];
const cases: Case[] = (Object.keys(calls) as (keyof typeof calls)[])
  .filter((action) => calls[action] !== 'not served')
  .flatMap((action) =>
    askers.flatMap((asker) =>
      (owned(action) ? (['own', 'other'] as const) : (['none'] as const)).map((target): Case => {
        const scope = grants[policies[action].rule][asker];
        const allowed = scope === 'all' || (scope === 'own' && target !== 'other');
        return [allowed ? 'allowed' : 'forbidden', action, asker, target];
      }),
    ),
  );

it.each(cases)('%s: %s by %s on the %s project', async (expected, action, asker, target) => {
  const call = await (calls[action as keyof typeof calls] as Make)(trees[target === 'other' ? 'other' : 'own']);
  const res = await ks.as(asker, call.method, call.path, call.body);
  if (expected === 'forbidden') {
    expect({ action, ...res }).toMatchObject({ action, ...forbidden });
  } else {
    const statuses = call.allowed ?? defaultAllowed[call.method]!;
    if (!statuses.includes(res.status)) throw new Error(`${call.method} ${call.path} (${action}) by ${asker}: ${res.status} ${res.text}, not one of ${statuses}`);
  }
});

/** `<resource>:get_all-global`: a list shows other projects' objects to whom it allows, its own project's only to the others. */
const listed: Record<string, { path: string; key: string; id: (t: Tree) => string; filter?: string }> = {
  'loadbalancer:get_all-global': { path: LB, key: 'loadbalancers', id: (t) => t.lb },
  'listener:get_all-global': { path: '/v2/lbaas/listeners', key: 'listeners', id: (t) => t.listener },
  'pool:get_all-global': { path: '/v2/lbaas/pools', key: 'pools', id: (t) => t.pool },
  'healthmonitor:get_all-global': { path: '/v2/lbaas/healthmonitors', key: 'healthmonitors', id: (t) => t.hm },
  'l7policy:get_all-global': { path: '/v2/lbaas/l7policies', key: 'l7policies', id: (t) => t.l7policy },
  'quota:get_all-global': { path: '/v2/lbaas/quotas', key: 'quotas', id: (t) => t.project, filter: 'project_id' },
};

const globalCases = (Object.keys(policies).filter((a) => a.endsWith(':get_all-global')) as Action[]).flatMap((action) =>
  askers.map((asker): [string, Action, Asker] => {
    const everyProject = grants[policies[action].rule][asker] === 'all';
    const own = grants[policies[action.replace('-global', '') as Action].rule][asker] !== 'none';
    return [everyProject ? 'every project' : own ? 'its own project' : 'forbidden', action, asker];
  }),
);

it.each(globalCases)('%s: %s by %s', async (expected, action, asker) => {
  const l = listed[action]!;
  // Quotas are keyed by project: listed whole, then narrowed to the two projects here.
  const query = l.filter ? '' : `?id=${l.id(trees.own)}&id=${l.id(trees.other)}`;
  const res = await ks.as(asker, 'GET', `${l.path}${query}`);
  if (expected === 'forbidden') return void expect(res).toMatchObject(forbidden);
  expect(res.status).toBe(200);
  const mine = [l.id(trees.own), l.id(trees.other)];
  const ids = (res.body[l.key] as Record<string, string>[]).map((o) => o[l.filter ?? 'id']!).filter((id) => mine.includes(id)).sort();
  expect(ids).toEqual((expected === 'every project' ? [l.id(trees.own), l.id(trees.other)] : [l.id(trees.own)]).sort());
});
