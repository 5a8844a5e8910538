/**
 * Octavia's single-call create (issue 13, item 11): one load balancer POST with its whole tree nested
 * (listeners with default pools and L7 policies with rules, pools with monitors and members), answered
 * 201 with the tree PENDING_CREATE in Octavia's LoadBalancerFullResponse shape, built by the load
 * balancer's one create flow, checked as each object is checked alone (a refused request changes
 * nothing), within every quota, compensated as a whole, and removed by the cascade delete.
 */
import { watchFlows, VIP_SUBNET } from '../support/fixtures';
import { PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

jest.setTimeout(120_000);
const MEMBER_SUBNET = '5d7b3c1e-2f4a-4b6c-8d9e-0a1b2c3d4e5f';

/** Octavia's shape of the request its own functional tests send (test_with_one_of_everything). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function fullTree(name = 'graph'): { loadbalancer: any } {
  return {
    loadbalancer: {
      name,
      vip_subnet_id: VIP_SUBNET,
      listeners: [
        {
          name: 'http',
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: {
            name: 'web',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            session_persistence: { type: 'SOURCE_IP' },
            healthmonitor: { type: 'HTTP', delay: 2, timeout: 1, max_retries: 2, url_path: '/health' },
            members: [
              { address: '10.0.0.11', protocol_port: 8080 },
              { address: '10.0.0.12', protocol_port: 8080, weight: 5 },
            ],
          },
          l7policies: [
            {
              name: 'to-api',
              action: 'REDIRECT_TO_POOL',
              redirect_pool: { name: 'api' },
              rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
            },
            { name: 'deny', action: 'REJECT', position: 1, rules: [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'bad.example' }] },
          ],
        },
        { name: 'tcp', protocol: 'TCP', protocol_port: 8443, default_pool: { name: 'api' } },
      ],
      pools: [
        {
          name: 'api',
          protocol: 'HTTP',
          lb_algorithm: 'LEAST_CONNECTIONS',
          // On a subnet of its own: the amphora is plugged into its network by the create flow.
          members: [{ address: '10.0.0.21', protocol_port: 9000, subnet_id: MEMBER_SUBNET }],
        },
      ],
    },
  };
}

const tables = ['loadBalancer', 'listener', 'pool', 'member', 'healthMonitor', 'l7Policy', 'l7Rule'] as const;

describe('single-call create', () => {
  let sys: TestSystem;
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = await (sys.db[t] as unknown as { count(): Promise<number> }).count();
    return out;
  };
  const treeRows = async (lbId: string) => ({
    listeners: await sys.db.listener.findMany({ where: { loadBalancerId: lbId } }),
    pools: await sys.db.pool.findMany({ where: { loadBalancerId: lbId } }),
    members: await sys.db.member.findMany({ where: { pool: { loadBalancerId: lbId } } }),
    monitors: await sys.db.healthMonitor.findMany({ where: { pool: { loadBalancerId: lbId } } }),
    policies: await sys.db.l7Policy.findMany({ where: { listener: { loadBalancerId: lbId } } }),
    rules: await sys.db.l7Rule.findMany({ where: { l7Policy: { listener: { loadBalancerId: lbId } } } }),
  });
  const statusesOf = (rows: Awaited<ReturnType<typeof treeRows>>) =>
    new Set(Object.values(rows).flatMap((list) => list.map((r) => r.provisioningStatus)));

  async function expectNoOrphans() {
    const live = await sys.compute.liveInstances();
    const rows = await sys.db.amphora.findMany({ where: { computeId: { in: live.map((i) => i.id) } } });
    const tracked = new Set(rows.filter((r) => r.status !== 'DELETED').map((r) => r.computeId));
    expect(live.filter((i) => !tracked.has(i.id)).map((i) => i.name)).toEqual([]);
  }

  beforeAll(async () => {
    sys = await startTestSystem();
    watchFlows(sys);
  });
  afterAll(async () => {
    await sys?.stop();
  });
  afterEach(async () => {
    sys.failingSteps.clear();
    await watchFlows(sys).settled();
    await expectNoOrphans();
  });

  it("answers 201 with the whole tree PENDING_CREATE in Octavia's full shape, builds it in the one create flow, ACTIVE", async () => {
    const flows = watchFlows(sys);
    const before = flows.started.length;
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', fullTree());
    expect(res.status).toBe(201);
    const lb = res.body.loadbalancer;
    expect([lb.provisioning_status, lb.operating_status]).toEqual(['PENDING_CREATE', 'OFFLINE']);

    // Listeners in full: no `loadbalancers`, policies and their rules in full, in evaluation order.
    expect(lb.listeners.map((l: any) => l.name)).toEqual(['http', 'tcp']);
    const [http, tcp] = lb.listeners;
    expect(http).not.toHaveProperty('loadbalancers');
    expect(http.l7policies.map((p: any) => [p.name, p.position, p.action, p.provisioning_status])).toEqual([
      ['deny', 1, 'REJECT', 'PENDING_CREATE'],
      ['to-api', 2, 'REDIRECT_TO_POOL', 'PENDING_CREATE'],
    ]);
    expect(http.l7policies[1].rules).toEqual([
      expect.objectContaining({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', invert: false, key: null, provisioning_status: 'PENDING_CREATE' }),
    ]);
    // Pools in full: no `loadbalancers`, members in full; Octavia 11 shows a pool's `healthmonitor` null here.
    expect(lb.pools.map((p: any) => p.name).sort()).toEqual(['api', 'web']);
    const web = lb.pools.find((p: any) => p.name === 'web');
    const api = lb.pools.find((p: any) => p.name === 'api');
    expect(web).not.toHaveProperty('loadbalancers');
    expect(web).not.toHaveProperty('healthmonitor_id');
    expect(web.healthmonitor).toBeNull();
    expect(web.session_persistence).toEqual({ type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null });
    // A monitored pool's members start OFFLINE in Octavia's graph create, an unmonitored one's NO_MONITOR.
    expect(web.members.map((m: any) => [m.address, m.weight, m.operating_status, m.provisioning_status])).toEqual([
      ['10.0.0.11', 1, 'OFFLINE', 'PENDING_CREATE'],
      ['10.0.0.12', 5, 'OFFLINE', 'PENDING_CREATE'],
    ]);
    expect(api.members.map((m: any) => m.operating_status)).toEqual(['NO_MONITOR']);
    // References by name resolved to the pools' ids.
    expect(http.default_pool_id).toBe(web.id);
    expect(tcp.default_pool_id).toBe(api.id);
    expect(http.l7policies[1].redirect_pool_id).toBe(api.id);
    expect(web.listeners).toEqual([{ id: http.id }]);

    // Each nested object carries what GET shows of it, less what the full response leaves out.
    const got = async (path: string) => (await sys.api('GET', path)).body;
    const keys = (o: object) => Object.keys(o).sort();
    const without = (o: object, ...drop: string[]) => keys(o).filter((k) => !drop.includes(k));
    expect(keys(http)).toEqual(without((await got(`/v2/lbaas/listeners/${http.id}`)).listener, 'loadbalancers'));
    expect(keys(web)).toEqual([...without((await got(`/v2/lbaas/pools/${web.id}`)).pool, 'loadbalancers', 'healthmonitor_id'), 'healthmonitor'].sort());
    expect(keys(web.members[0])).toEqual(keys((await got(`/v2/lbaas/pools/${web.id}/members/${web.members[0].id}`)).member));
    expect(keys(http.l7policies[0])).toEqual(keys((await got(`/v2/lbaas/l7policies/${http.l7policies[0].id}`)).l7policy));
    const ruleId = http.l7policies[1].rules[0].id;
    expect(keys(http.l7policies[1].rules[0])).toEqual(keys((await got(`/v2/lbaas/l7policies/${http.l7policies[1].id}/rules/${ruleId}`)).rule));

    // One flow built it all: the load balancer's create.
    await flows.settled();
    expect(flows.started.slice(before)).toEqual([`loadbalancer-${lb.id}-create`]);
    const rows = await treeRows(lb.id);
    expect(statusesOf(rows)).toEqual(new Set(['ACTIVE']));
    expect([rows.listeners.length, rows.pools.length, rows.members.length, rows.monitors.length, rows.policies.length, rows.rules.length]).toEqual([2, 2, 3, 1, 2, 2]);
    expect(rows.monitors.map((m) => m.operatingStatus)).toEqual(['ONLINE']);
    expect((await got(`/v2/lbaas/loadbalancers/${lb.id}`)).loadbalancer.provisioning_status).toBe('ACTIVE');

    // The configuration the amphora got carried the whole tree.
    const [amphora] = await sys.db.amphora.findMany({ where: { loadBalancerId: lb.id, status: 'ALLOCATED' } });
    const config = sys.amphoraDriver.configOf(amphora!.id)!;
    expect(config.listeners.map((l) => l.protocolPort).sort()).toEqual([80, 8443]);
    expect(config.pools.map((p) => p.id).sort()).toEqual([api.id, web.id].sort());
    // ... and the amphora was plugged into the member subnet's network before it (patch create-member-networks).
    const memberNetwork = (await sys.network.getSubnet(MEMBER_SUBNET)).networkId;
    expect([...(sys.amphoraDriver.networkPlugs.get(amphora!.id)?.values() ?? [])].map((nic) => nic.networkId)).toEqual([memberNetwork]);

    // The cascade delete removes it all.
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status).toBe(204);
    await flows.settled();
    expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).status).toBe(404);
    expect(Object.values(await treeRows(lb.id)).flat()).toEqual([]);
  });

  /** Each nested problem is the answer its own create would give, and the request leaves nothing behind. */
  const refusals: [string, (b: ReturnType<typeof fullTree>) => void, number, string | RegExp][] = [
    ['a reserved member address', (b) => (b.loadbalancer.pools[0]!.members[0]!.address = '169.254.169.254'), 400, '169.254.169.254 is not a valid option for member address'],
    [
      'a UDP-CONNECT monitor on an HTTP pool',
      (b) => (b.loadbalancer.listeners[0]!.default_pool!.healthmonitor!.type = 'UDP-CONNECT'),
      400,
      'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.',
    ],
    [
      'an HTTP setting on a TCP monitor',
      (b) => (b.loadbalancer.listeners[0]!.default_pool!.healthmonitor!.type = 'TCP'),
      400,
      'url_path is not a valid option for health monitors of type TCP',
    ],
    [
      'an invalid rule',
      (b) => (b.loadbalancer.listeners[0]!.l7policies![0]!.rules[0]!.type = 'HEADER'),
      400,
      'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key',
    ],
    [
      'a pool a listener cannot send to',
      (b) => (b.loadbalancer.listeners[1]!.protocol = 'UDP'),
      400,
      "Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'UDP'.",
    ],
    [
      'an unknown nested attribute',
      (b) => Object.assign(b.loadbalancer.listeners[0]!.default_pool!.members[0]!, { bogus: 1 }),
      400,
      'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool.members: bogus',
    ],
    [
      'a pool named nowhere',
      (b) => (b.loadbalancer.listeners[1]!.default_pool = { name: 'nope' }),
      400,
      "Validation failure: Pool 'nope' was referenced but no full definition was found.",
    ],
    [
      'an unnamed default pool',
      (b) => {
        delete (b.loadbalancer.listeners[0]!.default_pool as { name?: string }).name;
      },
      400,
      'Validation failure: Pools must be named when creating a fully populated loadbalancer.',
    ],
    [
      'two pools of one name',
      (b) => (b.loadbalancer.pools[0]!.name = 'web'),
      400,
      'Validation failure: Pool names must be unique when creating a fully populated loadbalancer.',
    ],
    [
      'a pool definition without its algorithm',
      (b) => {
        delete (b.loadbalancer.pools[0] as { lb_algorithm?: string }).lb_algorithm;
      },
      400,
      "Validation failure: Pool definition for 'api' missing required attribute: lb_algorithm",
    ],
    [
      'two listeners on one port',
      // HTTP and TCP are both TCP: the listener in the way is named.
      (b) => (b.loadbalancer.listeners[1]!.protocol_port = 80),
      409,
      'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
    ],
    [
      'allowed CIDRs of another IP version than the VIP',
      (b) => (b.loadbalancer.listeners[0]!.allowed_cidrs = ['2001:db8::/32']),
      400,
      /^Validation failure: CIDR 2001:db8::\/32 IP version incompatible with VIP [0-9.]+ IP version\.$/,
    ],
    [
      'inserted headers on a TCP listener',
      (b) => (b.loadbalancer.listeners[1]!.insert_headers = { 'X-Forwarded-For': 'true' }),
      400,
      'insert-headers is not a valid option for a TCP protocol listener.',
    ],
    [
      'a certificate on an HTTP listener',
      (b) => (b.loadbalancer.listeners[0]!.default_tls_container_ref = 'https://barbican.example/v1/containers/x'),
      400,
      'Validation failure: Certificate container references are not allowed on HTTP protocol listeners.',
    ],
  ];

  it.each(refusals)('refuses %s with its own answer, changing nothing', async (_what, spoil, status, message) => {
    const before = await counts();
    const body = fullTree();
    spoil(body);
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', body);
    expect([res.status, res.body.faultstring]).toEqual([status, typeof message === 'string' ? message : expect.stringMatching(message)]);
    expect(await counts()).toEqual(before);
  });

  it('enforces the quota of every nested kind: 403, nothing made', async () => {
    const before = await counts();
    // Each kind: its quota name, its name in Octavia's message, its table, how many the tree adds.
    const kinds = [
      ['member', 'Member', 'member', 3],
      ['l7rule', 'L7 Rule', 'l7Rule', 2],
      ['health_monitor', 'Health Monitor', 'healthMonitor', 1],
      ['pool', 'Pool', 'pool', 2],
      ['listener', 'Listener', 'listener', 2],
      ['l7policy', 'L7 Policy', 'l7Policy', 2],
    ] as const;
    for (const [quota, resource, table, used] of kinds) {
      // What the project holds already, plus one less than the request adds.
      const inUse = (await counts())[table]!;
      expect((await sys.api('PUT', `/v2/lbaas/quotas/${PROJECT_ID}`, { quota: { [quota]: inUse + used - 1 } })).status).toBe(202);
      const res = await sys.api('POST', '/v2/lbaas/loadbalancers', fullTree());
      expect([quota, res.status, res.body.faultstring]).toEqual([quota, 403, `Quota has been met for resources: ${resource}`]);
      expect(await counts()).toEqual(before);
      expect((await sys.api('DELETE', `/v2/lbaas/quotas/${PROJECT_ID}`)).status).toBe(202);
    }
  });

  it.each(['buildAmphoraCompute', 'plugAmphoraVip', 'plugVipOnAmphora', 'updateLoadBalancerVip', 'plugMemberNetworks', 'plugMemberNetworksOnAmphorae', 'pushLoadBalancerConfig', 'finishLoadBalancerCreate'])(
    'a fault at %s leaves no half-made tree: all ERROR, no amphora left; the cascade delete removes it',
    async (step) => {
      sys.failingSteps.add(step);
      const res = await sys.api('POST', '/v2/lbaas/loadbalancers', fullTree(`faulty-${step}`));
      expect(res.status).toBe(201);
      const id = res.body.loadbalancer.id;
      await watchFlows(sys).settled();
      sys.failingSteps.clear();
      const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
      expect(lb.provisioningStatus).toBe('ERROR');
      expect(statusesOf(await treeRows(id))).toEqual(new Set(['ERROR']));
      const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
      expect(amphorae.filter((a) => a.status !== 'DELETED')).toEqual([]);
      await expectNoOrphans();

      expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${id}?cascade=true`)).status).toBe(204);
      await watchFlows(sys).settled();
      expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).status).toBe(404);
      expect(Object.values(await treeRows(id)).flat()).toEqual([]);
    },
  );

  it("converts and normalises the nested objects' values as their own POSTs do (numeric and boolean strings, CIDRs)", async () => {
    const body = fullTree('converted');
    Object.assign(body.loadbalancer.listeners[0], { protocol_port: '8081', connection_limit: '100', allowed_cidrs: ['10.1.2.3/8', '192.0.2.7'] });
    Object.assign(body.loadbalancer.listeners[0].default_pool.members[1], { weight: '7', backup: 'yes' });
    Object.assign(body.loadbalancer.listeners[0].l7policies[1], { admin_state_up: 'off' });
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', body);
    expect(res.status).toBe(201);
    const [http] = res.body.loadbalancer.listeners;
    const web = res.body.loadbalancer.pools.find((p: any) => p.name === 'web');
    expect([http.protocol_port, http.connection_limit, web.members[1].weight, web.members[1].backup, http.l7policies[0].admin_state_up]).toEqual([8081, 100, 7, true, false]);
    // Allowed CIDRs stored as a listener POST stores them.
    expect(http.allowed_cidrs).toEqual(['10.0.0.0/8', '192.0.2.7/32']);
    await watchFlows(sys).settled();
    // A disabled policy and its rules are OFFLINE once ACTIVE, as a policy made alone.
    const policy = await sys.db.l7Policy.findUniqueOrThrow({ where: { id: http.l7policies[0].id } });
    expect([policy.provisioningStatus, policy.operatingStatus]).toEqual(['ACTIVE', 'OFFLINE']);
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}?cascade=true`)).status).toBe(204);
  });

  it('a load balancer without a tree still answers empty listeners and pools', async () => {
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, listeners: [], pools: [] } });
    expect(res.status).toBe(201);
    expect([res.body.loadbalancer.listeners, res.body.loadbalancer.pools]).toEqual([[], []]);
    await watchFlows(sys).settled();
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`)).status).toBe(204);
  });
});
