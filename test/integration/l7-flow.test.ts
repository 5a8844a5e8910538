/**
 * L7 policies and rules through the API and their flows: statuses settling, positions, Octavia's
 * validation messages, 409 while the load balancer is busy, 404s, the listener view, the status tree,
 * the configuration pushed to the amphora and cascade deletes. A refused request changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { fault, createTree, watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
let flows: Flows;
let lbId: string;
let httpListener: string;
let tcpListener: string;
let httpPool: string;
let tcpPool: string;

const P = '/v2/lbaas/l7policies';
const rulesOf = (policyId: string) => `${P}/${policyId}/rules`;

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  lbId = await createLoadBalancer();
  httpListener = await created('listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId } });
  tcpListener = await created('listeners', { listener: { protocol: 'TCP', protocol_port: 90, loadbalancer_id: lbId } });
  httpPool = await created('pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
  tcpPool = await created('pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.amphoraDriver.failUpdates = false;
  sys.amphoraDriver.latencyMs = 0;
});

const createLoadBalancer = async () => (await createTree(sys, { vipSubnetId: VIP_SUBNET })).loadBalancerId;

const lbStatus = async (id = lbId) => (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body?.loadbalancer?.provisioning_status as string;

/** POSTs a child, waits for it and its load balancer to settle ACTIVE; returns its id. */
async function created(collection: string, body: Record<string, unknown>): Promise<string> {
  const res = await sys.api('POST', `/v2/lbaas/${collection}`, body);
  expect(res.status).toBe(201);
  const id = Object.values(res.body as Record<string, { id: string }>)[0]!.id;
  expect((await settled(`/v2/lbaas/${collection}/${id}`)).provisioning_status).toBe('ACTIVE');
  return id;
}

/** Awaits the flows started so far (they settle the object and the load balancer); returns the object. */
async function settled(path: string) {
  const view = await flows.settledView(path);
  expect(await lbStatus()).not.toMatch(/^PENDING/);
  return view;
}

const gone = (path: string) => flows.gone(path);

const amphoraConfig = async () => {
  const amp = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });
  return sys.amphoraDriver.configOf(amp.id)!;
};
const configPolicies = async (listenerId = httpListener) => (await amphoraConfig()).listeners.find((l) => l.id === listenerId)?.l7Policies ?? [];

/** The listener's policies by position, as ids. */
const positions = async (listenerId = httpListener) =>
  (await sys.db.l7Policy.findMany({ where: { listenerId }, orderBy: { position: 'asc' } })).map((p) => [p.id, p.position]);

/** Asserts that a refused request wrote nothing and left the load balancer ACTIVE. */
async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = [await sys.db.l7Policy.findMany({ orderBy: { id: 'asc' } }), await sys.db.l7Rule.findMany({ orderBy: { id: 'asc' } })];
  const result = await fn();
  expect([await sys.db.l7Policy.findMany({ orderBy: { id: 'asc' } }), await sys.db.l7Rule.findMany({ orderBy: { id: 'asc' } })]).toEqual(before);
  expect(await lbStatus()).toBe('ACTIVE');
  return result;
}

let reject: string; // position 1 at first
let toUrl: string;
let toPool: string;

describe('L7 policies', () => {
  it('creates a REJECT policy: 201 PENDING_CREATE, then ACTIVE/ONLINE, on the listener and the amphora', async () => {
    const res = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REJECT', name: 'deny', tags: ['b', 'a'] } });
    expect(res.status).toBe(201);
    expect(res.body.l7policy).toMatchObject({
      name: 'deny',
      description: '',
      action: 'REJECT',
      listener_id: httpListener,
      position: 1,
      redirect_pool_id: null,
      redirect_url: null,
      redirect_prefix: null,
      redirect_http_code: null,
      admin_state_up: true,
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      project_id: PROJECT_ID,
      tenant_id: PROJECT_ID,
      rules: [],
      tags: ['a', 'b'],
      updated_at: null,
    });
    reject = res.body.l7policy.id;
    expect(['PENDING_UPDATE', 'ACTIVE']).toContain(await lbStatus());
    expect(await settled(`${P}/${reject}`)).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE' });
    expect(await configPolicies()).toEqual([
      { id: reject, position: 1, action: 'REJECT', enabled: true, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null, rules: [] },
    ]);
    expect((await sys.api('GET', `/v2/lbaas/listeners/${httpListener}`)).body.listener.l7policies).toEqual([{ id: reject }]);
  });

  it('appends by default and inserts at a position, shifting the others (as Octavia does)', async () => {
    const url = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/x' } });
    expect(url.body.l7policy).toMatchObject({ position: 2, redirect_http_code: 302, redirect_url: 'https://example.com/x' });
    toUrl = url.body.l7policy.id;
    await settled(`${P}/${toUrl}`);

    // Far past the end is "last".
    const far = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://p.example.com', redirect_http_code: 308, position: 99 } });
    expect(far.body.l7policy).toMatchObject({ position: 3, action: 'REDIRECT_PREFIX', redirect_http_code: 308 });
    await settled(`${P}/${far.body.l7policy.id}`);

    const pool = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REDIRECT_TO_POOL', redirect_pool_id: httpPool, position: 1 } });
    expect(pool.status).toBe(201);
    expect(pool.body.l7policy).toMatchObject({ position: 1, redirect_pool_id: httpPool, redirect_http_code: null });
    toPool = pool.body.l7policy.id;
    await settled(`${P}/${toPool}`);
    // A pool a policy redirects to cannot be deleted (Octavia's 409), and nothing changes.
    expect(await sys.api('DELETE', `/v2/lbaas/pools/${httpPool}`)).toMatchObject({
      status: 409,
      body: { faultstring: `Pool ${httpPool} is in use by L7 policy ${toPool}` },
    });

    expect(await positions()).toEqual([[toPool, 1], [reject, 2], [toUrl, 3], [far.body.l7policy.id, 4]]);
    expect((await sys.api('GET', `/v2/lbaas/listeners/${httpListener}`)).body.listener.l7policies).toEqual(
      [toPool, reject, toUrl, far.body.l7policy.id].map((id) => ({ id })),
    );
    expect((await configPolicies()).map((p) => [p.id, p.position, p.redirectPoolId])).toEqual([
      [toPool, 1, httpPool],
      [reject, 2, null],
      [toUrl, 3, null],
      [far.body.l7policy.id, 4, null],
    ]);
    // Listing: filters, sorting, fields.
    const list = await sys.api('GET', `${P}?listener_id=${httpListener}&sort=position:desc&fields=id,position`);
    expect(list.body.l7policies).toEqual([
      { id: far.body.l7policy.id, position: 4 },
      { id: toUrl, position: 3 },
      { id: reject, position: 2 },
      { id: toPool, position: 1 },
    ]);
    expect((await sys.api('GET', `${P}?action=REDIRECT_TO_POOL`)).body.l7policies.map((p: { id: string }) => p.id)).toEqual([toPool]);
    expect((await sys.api('GET', `${P}?tags=a`)).body.l7policies.map((p: { id: string }) => p.id)).toEqual([reject]);
  });

  it('moves a policy on update (the others shift) and lets a redirect target decide the action', async () => {
    const res = await sys.api('PUT', `${P}/${toUrl}`, { l7policy: { position: 1, name: 'first' } });
    expect(res.status).toBe(200);
    expect(res.body.l7policy).toMatchObject({ position: 1, name: 'first', provisioning_status: 'PENDING_UPDATE' });
    expect(await settled(`${P}/${toUrl}`)).toMatchObject({ position: 1, name: 'first', provisioning_status: 'ACTIVE' });
    const last = (await positions())[3]![0];
    expect(await positions()).toEqual([[toUrl, 1], [toPool, 2], [reject, 3], [last, 4]]);

    // Down the list, past the end: last.
    await sys.api('PUT', `${P}/${toUrl}`, { l7policy: { position: 1000 } });
    await settled(`${P}/${toUrl}`);
    expect(await positions()).toEqual([[toPool, 1], [reject, 2], [last, 3], [toUrl, 4]]);

    // A redirect_url alone turns the REJECT policy into a 302 REDIRECT_TO_URL (Octavia's sanitize).
    const redirect = await sys.api('PUT', `${P}/${reject}`, { l7policy: { redirect_url: 'http://example.org/' } });
    expect(redirect.body.l7policy).toMatchObject({ action: 'REDIRECT_TO_URL', redirect_url: 'http://example.org/', redirect_http_code: 302 });
    expect(await settled(`${P}/${reject}`)).toMatchObject({ action: 'REDIRECT_TO_URL', redirect_http_code: 302 });
    // ... and back: REJECT clears every redirect.
    await sys.api('PUT', `${P}/${reject}`, { l7policy: { action: 'REJECT' } });
    expect(await settled(`${P}/${reject}`)).toMatchObject({ action: 'REJECT', redirect_url: null, redirect_http_code: null, redirect_prefix: null });
    expect((await configPolicies()).find((p) => p.id === reject)).toMatchObject({ action: 'REJECT', redirectUrl: null });

    // Disabled: OFFLINE once ACTIVE.
    await sys.api('PUT', `${P}/${last}`, { l7policy: { admin_state_up: false } });
    expect(await settled(`${P}/${last}`)).toMatchObject({ admin_state_up: false, operating_status: 'OFFLINE', provisioning_status: 'ACTIVE' });
  });

  it("refuses invalid policies with Octavia's messages and changes nothing", async () => {
    const other = await createLoadBalancer();
    const otherPool = (await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: other } })).body.pool.id;
    await flows.settled();
    expect(await lbStatus(other)).toBe('ACTIVE');
    const missing = randomUUID();
    const post = (l7policy: Record<string, unknown>) => sys.api('POST', P, { l7policy: { listener_id: httpListener, ...l7policy } });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ action: 'REJECT', listener_id: undefined }, 400, "Invalid input for field/attribute listener_id. Value: 'None'. Mandatory field missing."],
      [{}, 400, "Invalid input for field/attribute action. Value: 'None'. Mandatory field missing."],
      [{ action: 'DROP' }, 400, "Invalid input for field/attribute action. Value: 'DROP'. Value should be one of: REJECT, REDIRECT_TO_URL, REDIRECT_TO_POOL, REDIRECT_PREFIX"],
      [{ action: 'REDIRECT_TO_URL' }, 400, 'Invalid L7 Policy arguments: redirect_url must not be None'],
      [{ action: 'REDIRECT_TO_POOL' }, 400, 'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None'],
      [{ action: 'REDIRECT_PREFIX' }, 400, 'Invalid L7 Policy arguments: redirect_prefix must not be None'],
      [
        { action: 'REDIRECT_PREFIX', redirect_prefix: 'http://a.example', redirect_pool_id: httpPool },
        400,
        'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
      ],
      [{ action: 'REDIRECT_TO_URL', redirect_url: 'not a url' }, 400, "Invalid input for field/attribute redirect_url. Value: 'not a url'. Not a valid URL: not a url"],
      [{ action: 'REDIRECT_TO_URL', redirect_url: 'ftp://example.com' }, 400, "Invalid input for field/attribute redirect_url. Value: 'ftp://example.com'. Not a valid URL: ftp://example.com"],
      [
        { action: 'REDIRECT_TO_URL', redirect_url: 'http://a.example', redirect_http_code: 300 },
        400,
        "Invalid input for field/attribute redirect_http_code. Value: '300'. Value should be one of: 301, 302, 303, 307, 308",
      ],
      [{ action: 'REJECT', position: 0 }, 400, "Invalid input for field/attribute position. Value: '0'. Value should be greater or equal to 1"],
      [{ action: 'REJECT', bogus: 1 }, 400, 'Unknown attribute for argument l7policy_.l7policy: bogus'],
      [
        { action: 'REJECT', listener_id: tcpListener },
        400,
        `Validation failure: L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners; listener ${tcpListener} is TCP.`,
      ],
      [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: tcpPool }, 400, "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'."],
      [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: otherPool }, 400, `Validation failure: Pool ${otherPool} is not on Load Balancer ${lbId}.`],
      [{ action: 'REDIRECT_TO_POOL', redirect_pool_id: missing }, 404, `Pool ${missing} not found.`],
      [{ action: 'REJECT', listener_id: missing }, 404, `Listener ${missing} not found.`],
    ];
    await unchanged(async () => {
      for (const [body, status, message] of cases) expect([body, await post(body)]).toMatchObject([body, fault(status, message)]);
      expect(await sys.api('PUT', `${P}/${toPool}`, { l7policy: {} })).toMatchObject(fault(400, 'Invalid L7 Policy arguments: Invalid update options'));
      expect(await sys.api('PUT', `${P}/${toPool}`, { l7policy: { listener_id: tcpListener } })).toMatchObject(
        fault(400, 'Unknown attribute for argument l7policy_.l7policy: listener_id'),
      );
      expect(await sys.api('PUT', `${P}/${toPool}`, { l7policy: { redirect_pool_id: tcpPool } })).toMatchObject(
        fault(400, "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'."),
      );
      expect(await sys.api('PUT', `${P}/${toPool}`, { l7policy: { action: 'REDIRECT_TO_URL' } })).toMatchObject(
        fault(400, 'Invalid L7 Policy arguments: redirect_url must not be None'),
      );
    });
  });

  it('answers 404 for unknown policies', async () => {
    const missing = randomUUID();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await sys.api(method, `${P}/${missing}`, method === 'PUT' ? { l7policy: { name: 'x' } } : undefined);
      expect(res).toMatchObject(fault(404, `L7 Policy ${missing} not found.`));
    }
    expect(await sys.api('GET', `${P}/not-a-uuid`)).toMatchObject(fault(404, 'L7 Policy not-a-uuid not found.'));
  });

  it('enforces the l7policy quota (403, nothing written)', async () => {
    const count = await sys.db.l7Policy.count({ where: { projectId: PROJECT_ID } });
    expect((await sys.api('PUT', `/v2/lbaas/quotas/${PROJECT_ID}`, { quota: { l7policy: count } })).status).toBe(202);
    try {
      await unchanged(async () => {
        expect(await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REJECT' } })).toMatchObject(
          fault(403, 'Quota has been met for resources: L7 Policy'),
        );
      });
    } finally {
      await sys.api('DELETE', `/v2/lbaas/quotas/${PROJECT_ID}`);
    }
  });
});

describe('L7 rules', () => {
  let hostRule: string;

  it('creates a rule: 201 PENDING_CREATE, then ACTIVE/ONLINE, on the policy and the amphora', async () => {
    const res = await sys.api('POST', rulesOf(toPool), { rule: { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'www.example.com' } });
    expect(res.status).toBe(201);
    expect(res.body.rule).toMatchObject({
      type: 'HOST_NAME',
      compare_type: 'EQUAL_TO',
      key: null,
      value: 'www.example.com',
      invert: false,
      admin_state_up: true,
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      project_id: PROJECT_ID,
      tags: [],
    });
    hostRule = res.body.rule.id;
    expect(await settled(`${rulesOf(toPool)}/${hostRule}`)).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE' });
    expect((await sys.api('GET', `${P}/${toPool}`)).body.l7policy.rules).toEqual([{ id: hostRule }]);
    expect((await configPolicies()).find((p) => p.id === toPool)?.rules).toEqual([
      { id: hostRule, type: 'HOST_NAME', compareType: 'EQUAL_TO', key: null, value: 'www.example.com', invert: false, enabled: true },
    ]);

    const header = await sys.api('POST', rulesOf(toPool), { rule: { type: 'HEADER', compare_type: 'REGEX', key: 'X-Env', value: '^prod$', invert: true } });
    expect(header.status).toBe(201);
    await settled(`${rulesOf(toPool)}/${header.body.rule.id}`);
    const list = await sys.api('GET', `${rulesOf(toPool)}?type=HEADER`);
    expect(list.body).toMatchObject({ rules: [{ id: header.body.rule.id, key: 'X-Env', invert: true }], rules_links: [] });
  });

  it('updates a rule, checking it whole, and deletes one', async () => {
    const res = await sys.api('PUT', `${rulesOf(toPool)}/${hostRule}`, { rule: { compare_type: 'ENDS_WITH', value: '.example.com', invert: true } });
    expect(res.status).toBe(200);
    expect(res.body.rule).toMatchObject({ compare_type: 'ENDS_WITH', value: '.example.com', invert: true, provisioning_status: 'PENDING_UPDATE' });
    expect(await settled(`${rulesOf(toPool)}/${hostRule}`)).toMatchObject({ compare_type: 'ENDS_WITH', value: '.example.com', invert: true, provisioning_status: 'ACTIVE' });
    expect((await configPolicies()).find((p) => p.id === toPool)?.rules.find((r) => r.id === hostRule)).toMatchObject({ compareType: 'ENDS_WITH', invert: true });

    await unchanged(async () => {
      // HEADER needs a key; the stored rule has none.
      expect(await sys.api('PUT', `${rulesOf(toPool)}/${hostRule}`, { rule: { type: 'HEADER' } })).toMatchObject(
        fault(400, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'),
      );
    });

    const tmp = await sys.api('POST', rulesOf(toPool), { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/tmp' } });
    await settled(`${rulesOf(toPool)}/${tmp.body.rule.id}`);
    expect((await sys.api('DELETE', `${rulesOf(toPool)}/${tmp.body.rule.id}`)).status).toBe(204);
    await gone(`${rulesOf(toPool)}/${tmp.body.rule.id}`);
    await flows.settled();
    expect(await lbStatus()).toBe('ACTIVE');
    expect((await configPolicies()).find((p) => p.id === toPool)?.rules.map((r) => r.id)).not.toContain(tmp.body.rule.id);
  });

  it("refuses invalid rules with Octavia's messages and changes nothing", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ compare_type: 'EQUAL_TO', value: 'x' }, "Invalid input for field/attribute type. Value: 'None'. Mandatory field missing."],
      [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO' }, "Invalid input for field/attribute value. Value: 'None'. Mandatory field missing."],
      [
        { type: 'METHOD', compare_type: 'EQUAL_TO', value: 'x' },
        "Invalid input for field/attribute type. Value: 'METHOD'. Value should be one of: HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE, SSL_CONN_HAS_CERT, SSL_VERIFY_RESULT, SSL_DN_FIELD",
      ],
      [
        { type: 'PATH', compare_type: 'LIKE', value: 'x' },
        "Invalid input for field/attribute compare_type. Value: 'LIKE'. Value should be one of: REGEX, STARTS_WITH, ENDS_WITH, CONTAINS, EQUAL_TO",
      ],
      [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value'],
      [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
      [{ type: 'COOKIE', compare_type: 'EQUAL_TO', value: 'x' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
      [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'bad key', value: 'x' }, 'Error parsing L7Rule: Invalid characters in key'],
      [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'two words' }, 'Error parsing L7Rule: Invalid characters in header value'],
      [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a;b' }, 'Error parsing L7Rule: Invalid characters in cookie value'],
      [{ type: 'PATH', compare_type: 'CONTAINS', value: '/a b' }, 'Error parsing L7Rule: Invalid characters in comparison value'],
      [{ type: 'FILE_TYPE', compare_type: 'STARTS_WITH', value: 'jpg' }, 'Error parsing L7Rule: Invalid L7 Rule: invalid comparison type for rule type'],
      [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'false' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule value false is not a boolean True string.'],
      [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', key: 'k', value: 'true' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT does not use the "key" field.'],
      [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '-1' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0'],
      [{ type: 'SSL_VERIFY_RESULT', compare_type: 'REGEX', value: '1' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT only supports the EQUAL_TO compare type.'],
      [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', value: 'x' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_DN_FIELD needs to specify a key and a value.'],
      [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'x' }, 'Error parsing L7Rule: Invalid L7 Rule: Invalid L7rule distinguished name field.'],
      [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'x', bogus: true }, 'Unknown attribute for argument rule_.rule: bogus'],
    ];
    await unchanged(async () => {
      for (const [rule, message] of cases) {
        expect([rule, await sys.api('POST', rulesOf(toPool), { rule })]).toMatchObject([rule, fault(400, message)]);
      }
      const regex = await sys.api('POST', rulesOf(toPool), { rule: { type: 'PATH', compare_type: 'REGEX', value: '(' } });
      expect(regex.status).toBe(400);
      expect(regex.body.faultstring).toMatch(/^Error parsing L7Rule: Unable to parse regular expression: /);
      // The same rules, inline in a policy: nothing is created.
      const inline = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REJECT', rules: [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }] } });
      expect(inline).toMatchObject(fault(400, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'));
    });
  });

  it('answers 404 for unknown policies and rules', async () => {
    const missing = randomUUID();
    // Octavia's policy controller looks the policy up while pecan routes: pecan's 404 body, titled Bad Request.
    const noPolicy = { status: 404, body: { code: 404, title: 'Bad Request', description: `L7Policy ${missing} not found.` } };
    expect(await sys.api('GET', rulesOf(missing))).toMatchObject(noPolicy);
    expect(await sys.api('POST', rulesOf(missing), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } })).toMatchObject(noPolicy);
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await sys.api(method, `${rulesOf(toPool)}/${missing}`, method === 'PUT' ? { rule: { value: 'x' } } : undefined);
      expect(res).toMatchObject(fault(404, `L7 Rule ${missing} not found.`));
    }
    // A rule is found only under its own policy.
    expect((await sys.api('GET', `${rulesOf(reject)}/${hostRule}`)).status).toBe(404);
  });

  it('creates a policy with its rules in one call; the policy flow settles them', async () => {
    const res = await sys.api('POST', P, {
      l7policy: {
        listener_id: httpListener,
        action: 'REDIRECT_PREFIX',
        redirect_prefix: 'https://api.example.com',
        position: 2,
        rules: [
          { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' },
          { type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'beta', value: '1', admin_state_up: false },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.l7policy.rules).toHaveLength(2);
    const id = res.body.l7policy.id;
    expect(await settled(`${P}/${id}`)).toMatchObject({ provisioning_status: 'ACTIVE', position: 2, redirect_http_code: 302 });
    const rules = (await sys.api('GET', `${rulesOf(id)}?sort=created_at`)).body.rules;
    expect(rules.map((r: { provisioning_status: string; operating_status: string }) => [r.provisioning_status, r.operating_status]).sort()).toEqual([
      ['ACTIVE', 'OFFLINE'],
      ['ACTIVE', 'ONLINE'],
    ]);
    expect((await configPolicies()).find((p) => p.id === id)?.rules).toHaveLength(2);
  });

  it('enforces the l7rule quota (403, nothing written)', async () => {
    const count = await sys.db.l7Rule.count({ where: { projectId: PROJECT_ID } });
    expect((await sys.api('PUT', `/v2/lbaas/quotas/${PROJECT_ID}`, { quota: { l7rule: count } })).status).toBe(202);
    try {
      await unchanged(async () => {
        expect(await sys.api('POST', rulesOf(toPool), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/q' } })).toMatchObject(
          fault(403, 'Quota has been met for resources: L7 Rule'),
        );
      });
    } finally {
      await sys.api('DELETE', `/v2/lbaas/quotas/${PROJECT_ID}`);
    }
  });
});

describe('L7 lifecycle', () => {
  it('answers 409 for any L7 change while the load balancer is PENDING_UPDATE, and for rules of a policy not ACTIVE', async () => {
    sys.amphoraDriver.latencyMs = 1500; // holds the first flow in its configuration step
    const first = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REJECT' } });
    expect(first.status).toBe(201);
    const pending = first.body.l7policy.id;
    const before = [await sys.db.l7Policy.count(), await sys.db.l7Rule.count()];
    const immutable = fault(409, `Load Balancer ${lbId} is immutable and cannot be updated.`);
    expect(await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REJECT' } })).toMatchObject(immutable);
    expect(await sys.api('PUT', `${P}/${reject}`, { l7policy: { position: 1 } })).toMatchObject(immutable);
    expect(await sys.api('DELETE', `${P}/${reject}`)).toMatchObject(immutable);
    expect(await sys.api('POST', rulesOf(reject), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } })).toMatchObject(immutable);
    expect(await sys.api('POST', rulesOf(pending), { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/' } })).toMatchObject(
      fault(409, `L7Policy ${pending} is immutable and cannot be updated.`),
    );
    expect([await sys.db.l7Policy.count(), await sys.db.l7Rule.count()]).toEqual(before);
    expect(await settled(`${P}/${pending}`)).toMatchObject({ provisioning_status: 'ACTIVE' });
    const now = await positions();
    expect(now.at(-1)).toEqual([pending, now.length]);
  });

  it('a configuration push that fails leaves the policy ERROR and the load balancer ACTIVE; it can still be deleted', async () => {
    sys.amphoraDriver.failUpdates = true;
    const res = await sys.api('POST', P, { l7policy: { listener_id: httpListener, action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/e' }] } });
    expect(res.status).toBe(201);
    const id = res.body.l7policy.id;
    expect((await settled(`${P}/${id}`)).provisioning_status).toBe('ERROR');
    expect((await sys.db.l7Rule.findFirstOrThrow({ where: { l7PolicyId: id } })).provisioningStatus).toBe('ERROR');
    expect(await lbStatus()).toBe('ACTIVE');
    sys.amphoraDriver.failUpdates = false;
    expect((await sys.api('DELETE', `${P}/${id}`)).status).toBe(204);
    await gone(`${P}/${id}`);
    expect(await sys.db.l7Rule.count({ where: { l7PolicyId: id } })).toBe(0);
  });

  it('deleting a policy closes the gap in the positions and drops it (and its rules) from the amphora', async () => {
    const before = await positions();
    const [middleId] = before[1]!;
    expect((await sys.api('DELETE', `${P}/${middleId}`)).status).toBe(204);
    await gone(`${P}/${middleId}`);
    await flows.settled();
    expect(await lbStatus()).toBe('ACTIVE');
    const after = await positions();
    expect(after).toEqual(before.filter(([id]) => id !== middleId).map(([id], i) => [id, i + 1]));
    expect((await configPolicies()).map((p) => [p.id, p.position])).toEqual(after);
    expect((await sys.api('GET', `/v2/lbaas/listeners/${httpListener}`)).body.listener.l7policies).toEqual(after.map(([id]) => ({ id })));
  });

  it("shows the policies' redirect pools under their listener in the status tree, as Octavia does", async () => {
    const tree = (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}/status`)).body.statuses.loadbalancer;
    const listener = tree.listeners.find((l: { id: string }) => l.id === httpListener);
    expect(listener.pools).toEqual([{ id: httpPool, name: '', provisioning_status: 'ACTIVE', operating_status: expect.any(String), members: [] }]);
    expect(tree.listeners.find((l: { id: string }) => l.id === tcpListener).pools).toEqual([]);
  });

  it("a listener's delete takes its policies and rules with it", async () => {
    const listener = await created('listeners', { listener: { protocol: 'HTTP', protocol_port: 8080, loadbalancer_id: lbId } });
    const policy = await created('l7policies', {
      l7policy: { listener_id: listener, action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }] },
    });
    expect((await sys.api('DELETE', `/v2/lbaas/listeners/${listener}`)).status).toBe(204);
    await gone(`/v2/lbaas/listeners/${listener}`);
    expect(await sys.db.l7Policy.findUnique({ where: { id: policy } })).toBeNull();
    expect(await sys.db.l7Rule.count({ where: { l7PolicyId: policy } })).toBe(0);
  });

  it('a cascade delete of the load balancer removes every policy and rule', async () => {
    const ids = (await sys.db.l7Policy.findMany({ where: { listener: { loadBalancerId: lbId } } })).map((p) => p.id);
    expect(ids.length).toBeGreaterThan(0);
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=True`)).status).toBe(204);
    await gone(`/v2/lbaas/loadbalancers/${lbId}`);
    expect(await sys.db.l7Policy.count({ where: { id: { in: ids } } })).toBe(0);
    expect(await sys.db.l7Rule.count({ where: { l7PolicyId: { in: ids } } })).toBe(0);
  });
});
