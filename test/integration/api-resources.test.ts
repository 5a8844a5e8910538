/**
 * What every resource's description (api/resources/) promises, checked on every resource through the
 * API and the flows: a PUT answers what the following GET shows once its flow has run (but for the
 * provisioning status and time: nulls shown as Octavia shows them, defaults filled in, tags sorted),
 * and every show takes `fields`.
 */
import { randomUUID } from 'node:crypto';
import { createTree, watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

const L = '/v2/lbaas';
let sys: TestSystem;
let flows: Flows;

/** Each resource's path and the key its view is wrapped in. Quotas are another project's: test files share the database. */
const ids: Record<string, string> = { quota: randomUUID().replaceAll('-', '') };
const paths = () => ({
  loadbalancer: `${L}/loadbalancers/${ids.loadbalancer}`,
  listener: `${L}/listeners/${ids.listener}`,
  pool: `${L}/pools/${ids.pool}`,
  member: `${L}/pools/${ids.pool}/members/${ids.member}`,
  healthmonitor: `${L}/healthmonitors/${ids.healthmonitor}`,
  l7policy: `${L}/l7policies/${ids.l7policy}`,
  rule: `${L}/l7policies/${ids.l7policy}/rules/${ids.rule}`,
  flavorprofile: `${L}/flavorprofiles/${ids.flavorprofile}`,
  flavor: `${L}/flavors/${ids.flavor}`,
  availability_zone_profile: `${L}/availabilityzoneprofiles/${ids.availability_zone_profile}`,
  availability_zone: `${L}/availabilityzones/${ids.availability_zone}`,
  quota: `${L}/quotas/${ids.quota}`,
  amphora: `/v2/octavia/amphorae/${ids.amphora}`,
});
type Key = keyof ReturnType<typeof paths>;

const lbStatus = async () => (await sys.api('GET', paths().loadbalancer)).body?.loadbalancer?.provisioning_status as string | undefined;

/** The object at `path` once the flows started so far have run (at once for what has no flow); its load balancer settled too. */
async function settled(key: Key): Promise<Record<string, unknown>> {
  await flows.settled();
  const view = (await sys.api('GET', paths()[key])).body?.[key] as Record<string, unknown> | undefined;
  expect(view).toBeDefined();
  expect(await lbStatus()).not.toMatch(/^PENDING/);
  return view!;
}

/** POSTs, waits until everything has settled, remembers the id. */
async function create(key: Key, collection: string, body: Record<string, unknown>, id = 'id') {
  const res = await sys.api('POST', collection, body);
  expect({ key, status: res.status }).toEqual({ key, status: 201 });
  ids[key] = res.body[key][id];
  expect((await settled(key)).provisioning_status ?? 'ACTIVE').toBe('ACTIVE');
}

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  const tree = await createTree(sys, {
    vipSubnetId: VIP_SUBNET,
    loadBalancer: { name: 'lb', description: 'first' },
    listener: { protocol: 'HTTP', protocol_port: 80, name: 'l' },
    pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name: 'p', tags: ['x'] },
    members: [{ address: '10.0.0.5', protocol_port: 80, name: 'm', weight: 5, backup: true }],
    healthMonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, name: 'h' },
  });
  Object.assign(ids, { loadbalancer: tree.loadBalancerId, listener: tree.listenerId, pool: tree.poolId, member: tree.memberIds[0], healthmonitor: tree.healthMonitorId });
  await create('l7policy', `${L}/l7policies`, { l7policy: { listener_id: ids.listener, action: 'REJECT', name: 'pol', description: 'd' } });
  await create('rule', `${L}/l7policies/${ids.l7policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', invert: true } });
  await create('flavorprofile', `${L}/flavorprofiles`, { flavorprofile: { name: 'fp', provider_name: 'amphora', flavor_data: '{}' } });
  await create('flavor', `${L}/flavors`, { flavor: { name: `f-${Date.now()}`, description: 'd', flavor_profile_id: ids.flavorprofile } });
  await create('availability_zone_profile', `${L}/availabilityzoneprofiles`, {
    availability_zone_profile: { name: 'azp', provider_name: 'amphora', availability_zone_data: '{}' },
  });
  await create('availability_zone', `${L}/availabilityzones`, {
    availability_zone: { name: `az-${Date.now()}`, description: 'd', availability_zone_profile_id: ids.availability_zone_profile },
  }, 'name');
  ids.amphora = (await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: ids.loadbalancer } })).id;
});
afterAll(async () => {
  // What other test files list too.
  await sys?.db.quota.deleteMany({ where: { projectId: ids.quota } });
  for (const key of ['availability_zone', 'availability_zone_profile', 'flavor', 'flavorprofile'] as const) await sys?.api('DELETE', paths()[key]);
  await sys?.stop();
});

/** A PUT whose body clears, defaults and reorders what it can; the reply and the settled GET must agree. */
const updates: [Key, Record<string, unknown>][] = [
  // name/description null: shown "" (load balancers, listeners and monitors answered null before).
  ['loadbalancer', { loadbalancer: { name: null, description: null, tags: ['b', 'a'] } }],
  [
    'listener',
    {
      listener: {
        name: null,
        description: null,
        tags: ['z', 'y'],
        connection_limit: 100,
        timeout_client_data: 1000,
        allowed_cidrs: ['10.0.0.0/8'],
        sni_container_refs: null,
        insert_headers: { 'X-Forwarded-For': 'true' },
      },
    },
  ],
  ['listener', { listener: { allowed_cidrs: null, tags: null } }],
  ['pool', { pool: { name: null, description: null, tags: ['b', 'a'], lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'HTTP_COOKIE' } } }],
  // A session persistence without a type keeps the current one; null clears it.
  ['pool', { pool: { session_persistence: { type: null }, description: 'kept its type' } }],
  ['pool', { pool: { session_persistence: null, tags: null } }],
  ['member', { member: { name: null, weight: null, backup: null, tags: ['b', 'a'], monitor_port: 8080, monitor_address: '10.0.0.6' } }],
  [
    'healthmonitor',
    { healthmonitor: { name: null, delay: 7, url_path: null, expected_codes: null, max_retries_down: null, http_version: 1.1, domain_name: 'example.com', tags: ['b', 'a'] } },
  ],
  ['l7policy', { l7policy: { name: null, description: null, action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/', position: 1, tags: ['b', 'a'] } }],
  ['rule', { rule: { invert: null, value: '/v2', tags: ['b', 'a'] } }],
  ['flavorprofile', { flavorprofile: { name: 'fp2' } }],
  ['flavor', { flavor: { description: null, enabled: null } }],
  ['availability_zone_profile', { availability_zone_profile: { name: 'azp2' } }],
  ['availability_zone', { availability_zone: { description: null, enabled: false } }],
  ['quota', { quota: { load_balancer: 7, healthmonitor: 3, pool: null } }],
];

const ignoring = ({ provisioning_status: _p, updated_at: _u, ...rest }: Record<string, unknown>) => rest;

describe('a PUT answers what the next GET shows once its flow has run', () => {
  it.each(updates.map(([key, body], i) => [`${i + 1}. ${key}`, key, body] as const))(
    '%s',
    async (_name, key, body) => {
      const before = await settled(key);
      const res = await sys.api('PUT', paths()[key], body);
      expect({ key, status: res.status }).toEqual({ key, status: key === 'quota' ? 202 : 200 });
      const reply = res.body[key] as Record<string, unknown>;
      if ('provisioning_status' in before) expect(reply.provisioning_status).toBe('PENDING_UPDATE');
      const after = await settled(key);
      expect(ignoring(reply)).toEqual(ignoring(after));
      // The PUT changed something, so the comparison is not between two unchanged views.
      expect(ignoring(after)).not.toEqual(ignoring(before));
    },
  );

  it('shows cleared names as "" (as GET does), sorted tags, and the defaults a null restores', async () => {
    expect(await settled('loadbalancer')).toMatchObject({ name: '', description: '', tags: ['a', 'b'] });
    expect(await settled('listener')).toMatchObject({ name: '', description: '', allowed_cidrs: null, sni_container_refs: [], tags: [] });
    expect(await settled('member')).toMatchObject({ name: '', weight: 1, backup: false });
    expect(await settled('healthmonitor')).toMatchObject({ name: '', url_path: '/', expected_codes: '200', max_retries_down: 3, http_version: 1.1 });
    expect(await settled('l7policy')).toMatchObject({ name: '', action: 'REDIRECT_TO_URL', redirect_http_code: 302, redirect_pool_id: null });
    expect(await settled('pool')).toMatchObject({ session_persistence: null, lb_algorithm: 'LEAST_CONNECTIONS' });
    expect(await settled('flavor')).toMatchObject({ description: '', enabled: false });
  });
});

describe('fields= on every show', () => {
  const wanted: Record<Key, string[]> = {
    loadbalancer: ['id', 'vip_address'],
    listener: ['id', 'protocol_port'],
    pool: ['id', 'lb_algorithm'],
    member: ['id', 'address'],
    healthmonitor: ['id', 'type'],
    l7policy: ['id', 'position'],
    rule: ['id', 'compare_type'],
    flavorprofile: ['id', 'provider_name'],
    flavor: ['id', 'flavor_profile_id'],
    availability_zone_profile: ['id', 'provider_name'],
    availability_zone: ['name', 'availability_zone_profile_id'],
    quota: ['project_id', 'load_balancer'],
    amphora: ['id', 'status'],
  };
  it.each(Object.entries(wanted))('%s', async (key, fields) => {
    const path = paths()[key as Key];
    const full = (await sys.api('GET', path)).body[key] as Record<string, unknown>;
    expect(Object.keys(full).length).toBeGreaterThan(fields.length);
    const picked = Object.fromEntries(fields.map((f) => [f, full[f]]));
    // Repeated or comma-separated, as lists take them; unknown names are ignored, as in Octavia.
    expect((await sys.api('GET', `${path}?${fields.map((f) => `fields=${f}`).join('&')}`)).body).toEqual({ [key]: picked });
    expect((await sys.api('GET', `${path}?fields=${fields.join(',')},bogus`)).body).toEqual({ [key]: picked });
  });
});

describe('the OpenAPI document says what every show answers', () => {
  /** The documented path of each show: the concrete one with its ids as parameters. */
  const documented = (key: Key) =>
    paths()[key]
      .replace(`/pools/${ids.pool}/members/`, '/pools/{poolId}/members/')
      .replace(`/l7policies/${ids.l7policy}/rules/`, '/l7policies/{l7policyId}/rules/')
      .replace(/\/[^/]+$/, key === 'availability_zone' ? '/{name}' : key === 'quota' ? '/{projectId}' : '/{id}');
  it.each(Object.keys(paths()))('%s', async (key) => {
    const doc = (await sys.api('GET', '/openapi.json')).body;
    const schema = doc.paths[documented(key as Key)].get.responses['200'].content['application/json'].schema.properties[key];
    const shown = (await sys.api('GET', paths()[key as Key])).body[key] as Record<string, unknown>;
    expect(Object.keys(shown).sort()).toEqual(expect.arrayContaining(schema.required.sort()));
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(Object.keys(shown)));
  });
});

describe('the status tree shows each node as its resource does', () => {
  it("spells a monitor's type as Octavia does (TLS-HELLO, not the database's TLS_HELLO), names as \"\"", async () => {
    const listener = (await sys.api('POST', `${L}/listeners`, { listener: { protocol: 'TCP', protocol_port: 443, loadbalancer_id: ids.loadbalancer } })).body.listener;
    await settled('loadbalancer');
    const pool = (await sys.api('POST', `${L}/pools`, { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.id } })).body.pool;
    await settled('loadbalancer');
    const monitor = (await sys.api('POST', `${L}/healthmonitors`, { healthmonitor: { pool_id: pool.id, type: 'TLS-HELLO', delay: 5, timeout: 3, max_retries: 3 } })).body
      .healthmonitor;
    await settled('loadbalancer');
    const tree = (await sys.api('GET', `${paths().loadbalancer}/status`)).body.statuses.loadbalancer;
    const node = tree.listeners.find((l: { id: string }) => l.id === listener.id);
    expect(node).toMatchObject({ name: '', pools: [{ id: pool.id, name: '', health_monitor: { id: monitor.id, name: '', type: 'TLS-HELLO' } }] });
  });
});
