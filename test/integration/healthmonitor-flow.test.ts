/** Health monitor create/update/delete through the API and their flows; Octavia's monitor rules. */
import { fault, watchFlows, type Flows, VIP_SUBNET, refusalCheck } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

const UNKNOWN = '00000000-0000-0000-0000-000000000000';
let sys: TestSystem;
let flows: Flows;
let lbId: string;
/** pool protocol -> a pool of that protocol without a monitor */
const pools: Record<string, string> = {};

const counts = async () => ({
  monitors: await sys.db.healthMonitor.count(),
  active: await sys.db.healthMonitor.count({ where: { provisioningStatus: 'ACTIVE' } }),
  lb: (await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus,
});

const lbSettled = () => flows.settledActive(`/v2/lbaas/loadbalancers/${lbId}`);
const gone = (path: string) => flows.gone(path);

async function settled(id: string) {
  await lbSettled();
  return flows.settledView(`/v2/lbaas/healthmonitors/${id}`);
}

const configuredMonitor = async (poolId: string) => {
  const amp = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });
  return sys.amphoraDriver.configOf(amp.id)!.pools.find((p) => p.id === poolId)!.healthMonitor;
};

const refused = refusalCheck(() => sys, counts);

const newPool = async (protocol: string) => {
  const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol, lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
  expect(res.status).toBe(201);
  await lbSettled();
  return res.body.pool.id as string;
};

const create = async (hm: Record<string, unknown>) => {
  const res = await sys.api('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { delay: 5, timeout: 3, max_retries: 3, ...hm } });
  expect(res.status).toBe(201);
  return settled(res.body.healthmonitor.id);
};

const post = (hm: Record<string, unknown>) => ({ healthmonitor: { pool_id: pools.HTTP, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, ...hm } });

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  lbId = res.body.loadbalancer.id;
  await lbSettled();
  for (const protocol of ['HTTP', 'TCP', 'UDP']) pools[protocol] = await newPool(protocol);
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.amphoraDriver.latencyMs = 0;
});

describe('create', () => {
  it('HTTP: Octavia defaults, PENDING_CREATE/OFFLINE, then ACTIVE/ONLINE, on the pool and pushed to the amphora', async () => {
    const res = await sys.api('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pools.HTTP, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 } });
    expect(res.status).toBe(201);
    expect(res.body.healthmonitor).toEqual({
      id: expect.any(String),
      name: '',
      type: 'HTTP',
      delay: 5,
      timeout: 3,
      max_retries: 3,
      max_retries_down: 3,
      http_method: 'GET',
      url_path: '/',
      expected_codes: '200',
      admin_state_up: true,
      project_id: expect.any(String),
      pools: [{ id: pools.HTTP }],
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      created_at: expect.any(String),
      updated_at: null,
      tags: [],
      http_version: null,
      domain_name: null,
      tenant_id: res.body.healthmonitor.project_id,
    });
    const hm = await settled(res.body.healthmonitor.id);
    expect(hm).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE', updated_at: expect.any(String) });
    expect((await sys.api('GET', `/v2/lbaas/pools/${pools.HTTP}`)).body.pool.healthmonitor_id).toBe(hm.id);
    expect(await configuredMonitor(pools.HTTP!)).toEqual({
      id: hm.id, type: 'HTTP', delay: 5, timeout: 3, maxRetries: 3, maxRetriesDown: 3, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null, domainName: null, enabled: true,
    });
  });

  it('one monitor per pool: the unique constraint answers 409', async () => {
    await refused('POST', '/v2/lbaas/healthmonitors', post({ type: 'TCP' }), fault(409, 'This pool already has a health monitor'));
  });

  it('non-HTTP types have no HTTP settings; TLS-HELLO keeps its wire name; timeout > delay is accepted', async () => {
    const tcp = await create({ pool_id: pools.TCP, type: 'TLS-HELLO', delay: 2, timeout: 10, max_retries: 10, max_retries_down: 1, name: 'tls' });
    expect(tcp).toMatchObject({ type: 'TLS-HELLO', http_method: null, url_path: null, expected_codes: null, delay: 2, timeout: 10, max_retries_down: 1 });
    expect(await configuredMonitor(pools.TCP!)).toMatchObject({ type: 'TLS_HELLO', httpMethod: null });
    const udp = await create({ pool_id: pools.UDP, type: 'UDP-CONNECT', delay: 3 });
    expect(udp).toMatchObject({ type: 'UDP-CONNECT', url_path: null });
  });

  it('validates as Octavia does, and changes nothing', async () => {
    const other = await newPool('HTTPS');
    pools.HTTPS = other;
    const udpPool = await newPool('UDP');
    const cases: [Record<string, unknown>, number, string][] = [
      [{ type: 'FOO' }, 400, "Invalid input for field/attribute type. Value: 'FOO'. Value should be one of: HTTPS, TCP, TLS-HELLO, UDP-CONNECT, SCTP, PING, HTTP"],
      [{ type: undefined }, 400, "Invalid input for field/attribute type. Value: 'None'. Mandatory field missing."],
      [{ delay: -1 }, 400, "Invalid input for field/attribute delay. Value: '-1'. Value should be greater or equal to 0"],
      [{ timeout: -1 }, 400, "Invalid input for field/attribute timeout. Value: '-1'. Value should be greater or equal to 0"],
      [{ delay: 2 ** 40 }, 400, `Invalid input for field/attribute delay. Value: '${2 ** 40}'. Value should be lower or equal to 2147483647`],
      [{ max_retries: 0 }, 400, "Invalid input for field/attribute max_retries. Value: '0'. Value should be greater or equal to 1"],
      [{ max_retries: 11 }, 400, "Invalid input for field/attribute max_retries. Value: '11'. Value should be lower or equal to 10"],
      [{ max_retries_down: 11 }, 400, "Invalid input for field/attribute max_retries_down. Value: '11'. Value should be lower or equal to 10"],
      [{ url_path: 'health' }, 400, "Invalid input for field/attribute url_path. Value: 'health'. Value must be a valid URL Path string"],
      [{ url_path: '//evil.example/x' }, 400, "Invalid input for field/attribute url_path. Value: '//evil.example/x'. Value must be a valid URL Path string"],
      [{ expected_codes: '2xx' }, 400, "Invalid input for field/attribute expected_codes. Value: '2xx'. Value should match the pattern ^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$"],
      [{ http_method: 'FETCH' }, 400, "Invalid input for field/attribute http_method. Value: 'FETCH'. Value should be one of: GET, HEAD, POST, PUT, DELETE, TRACE, OPTIONS, PATCH, CONNECT"],
      [{ http_version: 2 }, 400, "Invalid input for field/attribute http_version. Value: '2'. Value should be one of: 1.0, 1.1"],
      [{ domain_name: 'example.com' }, 400, "Validation failure: 'http_version' must be specified when 'domain_name' is provided."],
      [{ domain_name: 'example.com', http_version: 1.0 }, 400, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check'],
      [{ domain_name: '-bad-', http_version: 1.1 }, 400, expect.stringContaining("Invalid input for field/attribute domain_name. Value: '-bad-'. Value should match the pattern")],
      [{ pool_id: UNKNOWN }, 404, `Pool ${UNKNOWN} not found.`],
      [{ pool_id: 'x' }, 400, "Invalid input for field/attribute pool_id. Value: 'x'. Value should be UUID format"],
      [{ pool_id: other, type: 'TCP', url_path: '/x' }, 400, 'url_path is not a valid option for health monitors of type TCP'],
      [{ pool_id: other, type: 'PING', http_method: 'GET' }, 400, 'http_method is not a valid option for health monitors of type PING'],
      [{ pool_id: other, type: 'UDP-CONNECT' }, 400, 'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.'],
      [{ pool_id: other, type: 'SCTP' }, 400, 'Validation failure: The SCTP type is only supported for pools of type UDP/SCTP.'],
      [{ pool_id: udpPool, type: 'PING' }, 400, 'Validation failure: The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.'],
      [{ pool_id: udpPool, type: 'UDP-CONNECT', delay: 1 }, 400, 'Validation failure: The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.'],
      [{ pool_id: other, bogus: true }, 400, 'Unknown attribute for argument health_monitor_.healthmonitor: bogus'],
    ];
    for (const [hm, status, message] of cases) {
      const before = await counts();
      const res = await sys.api('POST', '/v2/lbaas/healthmonitors', post({ pool_id: other, ...hm }));
      expect({ status: res.status, body: res.body }).toEqual({ status, body: { faultcode: 'Client', faultstring: message, debuginfo: null } });
      expect(await counts()).toEqual(before);
    }

    const full = await create({
      pool_id: other, type: 'HTTPS', http_method: 'HEAD', url_path: '/healthz?full=1', expected_codes: '200,202',
      http_version: 1.1, domain_name: 'www.example.com', admin_state_up: false, tags: ['x'],
    });
    expect(full).toMatchObject({
      type: 'HTTPS', http_method: 'HEAD', url_path: '/healthz?full=1', expected_codes: '200,202',
      http_version: 1.1, domain_name: 'www.example.com', admin_state_up: false, tags: ['x'], operating_status: 'OFFLINE',
    });
  });

  it('answers 409 while the load balancer is PENDING_UPDATE, naming the pool when the pool itself is not ACTIVE', async () => {
    const pool = await newPool('HTTP');
    sys.amphoraDriver.latencyMs = 1500; // holds each flow in its configuration step
    try {
      // Another object's flow holds the load balancer.
      const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 7000, loadbalancer_id: lbId } });
      expect(listener.status).toBe(201);
      await refused('POST', '/v2/lbaas/healthmonitors', post({ pool_id: pool }), fault(409, `Load Balancer ${lbId} is immutable and cannot be updated.`));
      await lbSettled();
      // The pool's own update holds the pool.
      expect((await sys.api('PUT', `/v2/lbaas/pools/${pool}`, { pool: { name: 'busy' } })).status).toBe(200);
      await refused('POST', '/v2/lbaas/healthmonitors', post({ pool_id: pool }), fault(409, `Pool ${pool} is immutable and cannot be updated.`));
    } finally {
      await lbSettled();
    }
    await sys.db.pool.update({ where: { id: pool }, data: { provisioningStatus: 'ERROR' } });
    await refused('POST', '/v2/lbaas/healthmonitors', post({ pool_id: pool }), fault(409, `Pool ${pool} is immutable and cannot be updated.`));
  });
});

describe('update', () => {
  it('shows the change as PENDING_UPDATE (still ONLINE); the flow applies and pushes it', async () => {
    const id = (await sys.api('GET', `/v2/lbaas/pools/${pools.HTTP}`)).body.pool.healthmonitor_id;
    const res = await sys.api('PUT', `/v2/lbaas/healthmonitors/${id}`, { healthmonitor: { delay: 10, url_path: '/health', expected_codes: '200-204', name: 'web' } });
    expect(res.status).toBe(200);
    expect(res.body.healthmonitor).toMatchObject({
      delay: 10, url_path: '/health', expected_codes: '200-204', name: 'web',
      provisioning_status: 'PENDING_UPDATE', operating_status: 'ONLINE', updated_at: expect.any(String),
    });
    expect(await settled(id)).toMatchObject({ delay: 10, url_path: '/health', expected_codes: '200-204', provisioning_status: 'ACTIVE' });
    expect(await configuredMonitor(pools.HTTP!)).toMatchObject({ delay: 10, urlPath: '/health', expectedCodes: '200-204' });

    // null puts HTTP settings and max_retries_down back to their defaults.
    const reset = await sys.api('PUT', `/v2/lbaas/healthmonitors/${id}`, { healthmonitor: { url_path: null, expected_codes: null, max_retries_down: null, name: null } });
    expect(reset.body.healthmonitor).toMatchObject({ url_path: '/', expected_codes: '200', max_retries_down: 3, name: '' });
    expect(await settled(id)).toMatchObject({ url_path: '/', expected_codes: '200', max_retries_down: 3, name: '' });
  });

  it('admin_state_up=false makes it OFFLINE once ACTIVE, true ONLINE again (MarkHealthMonitorActiveInDB)', async () => {
    const id = (await sys.api('GET', `/v2/lbaas/pools/${pools.HTTP}`)).body.pool.healthmonitor_id;
    const off = await sys.api('PUT', `/v2/lbaas/healthmonitors/${id}`, { healthmonitor: { admin_state_up: false } });
    expect(off.body.healthmonitor).toMatchObject({ admin_state_up: false, provisioning_status: 'PENDING_UPDATE', operating_status: 'ONLINE' });
    expect(await settled(id)).toMatchObject({ admin_state_up: false, provisioning_status: 'ACTIVE', operating_status: 'OFFLINE' });
    expect(await configuredMonitor(pools.HTTP!)).toMatchObject({ enabled: false });
    expect((await sys.api('PUT', `/v2/lbaas/healthmonitors/${id}`, { healthmonitor: { admin_state_up: true } })).status).toBe(200);
    expect(await settled(id)).toMatchObject({ admin_state_up: true, provisioning_status: 'ACTIVE', operating_status: 'ONLINE' });
  });

  it('refuses what Octavia refuses, and changes nothing', async () => {
    const id = (await sys.api('GET', `/v2/lbaas/pools/${pools.HTTP}`)).body.pool.healthmonitor_id;
    const tls = (await sys.api('GET', `/v2/lbaas/pools/${pools.TCP}`)).body.pool.healthmonitor_id;
    const put = (hmId: string, hm: unknown) => ['PUT', `/v2/lbaas/healthmonitors/${hmId}`, { healthmonitor: hm }] as const;
    const cases: [readonly [string, string, unknown], { status: number; body: unknown }][] = [
      [put(id, { type: 'TCP' }), fault(400, 'Unknown attribute for argument health_monitor_.healthmonitor: type')],
      [put(id, { pool_id: UNKNOWN }), fault(400, 'Unknown attribute for argument health_monitor_.healthmonitor: pool_id')],
      [put(id, { delay: null }), fault(400, 'None is not a valid option for delay')],
      [put(id, { max_retries: null }), fault(400, 'None is not a valid option for max_retries')],
      [put(id, { domain_name: 'example.com' }), fault(400, "Validation failure: 'http_version' must be specified when 'domain_name' is provided.")],
      [put(tls, { http_method: 'GET' }), fault(400, 'http_method is not a valid option for health monitors of type TLS-HELLO')],
      [put(tls, { url_path: null }), fault(400, 'url_path is not a valid option for health monitors of type TLS-HELLO')],
      [put(UNKNOWN, { delay: 1 }), fault(404, `Health Monitor ${UNKNOWN} not found.`)],
      [put('abc', { delay: 1 }), fault(404, 'Health Monitor abc not found.')],
    ];
    for (const [[method, path, body], expected] of cases) await refused(method, path, body, expected);
  });
});

describe('list and show', () => {
  it('filters (the type filter in wire spelling), fields, pages; unknown filters are a 400', async () => {
    // Other test files share the database: this file's monitors are those on its pools.
    const mine = Object.values(pools).map((p) => `pool_id=${p}`).join('&');
    const q = async (query: string) =>
      (await sys.api('GET', `/v2/lbaas/healthmonitors?${mine}&${query}`)).body.healthmonitors as Array<Record<string, unknown>>;
    const all = (await sys.api('GET', `/v2/lbaas/healthmonitors?${mine}`)).body;
    expect(all.healthmonitors_links).toEqual([]);
    const ids = all.healthmonitors.map((h: { id: string }) => h.id);
    expect(ids).toHaveLength(4);
    expect((await sys.api('GET', '/v2/lbaas/healthmonitors')).body.healthmonitors.map((h: { id: string }) => h.id)).toEqual(expect.arrayContaining(ids));
    expect((await q('type=TLS-HELLO')).map((h) => h.name)).toEqual(['tls']);
    expect((await q('type=TLS-HELLO&type=UDP-CONNECT')).map((h) => h.type).sort()).toEqual(['TLS-HELLO', 'UDP-CONNECT']);
    expect(await q('type=TLS_HELLO')).toEqual([]);
    expect((await q('tags=x')).map((h) => h.type)).toEqual(['HTTPS']);
    const byPool = (await sys.api('GET', `/v2/lbaas/healthmonitors?pool_id=${pools.UDP}`)).body.healthmonitors;
    expect(byPool.map((h: { type: string }) => h.type)).toEqual(['UDP-CONNECT']);
    expect((await q('delay=2')).map((h) => h.name)).toEqual(['tls']);
    expect((await q('fields=id&fields=type&limit=1'))).toEqual([{ id: ids[0], type: expect.any(String) }]);
    expect((await q(`limit=2&marker=${ids[0]}`)).map((h) => h.id)).toEqual(ids.slice(1, 3));
    expect((await q('sort=delay:desc')).map((h) => h.delay)).toEqual([10, 5, 3, 2]);
    expect(await sys.api('GET', '/v2/lbaas/healthmonitors?bogus=1')).toMatchObject(fault(400, 'One or more arguments are either duplicate or invalid'));
    expect((await sys.api('GET', `/v2/lbaas/healthmonitors/${ids[0]}?fields=pools`)).body).toEqual({ healthmonitor: { pools: [expect.any(Object)] } });
  });

  it('404s with Octavia messages', async () => {
    expect(await sys.api('GET', `/v2/lbaas/healthmonitors/${UNKNOWN}`)).toMatchObject(fault(404, `Health Monitor ${UNKNOWN} not found.`));
    expect(await sys.api('GET', '/v2/lbaas/healthmonitors/web')).toMatchObject(fault(404, 'Health Monitor web not found.'));
    expect(await sys.api('DELETE', '/v2/lbaas/healthmonitors/web')).toMatchObject(fault(404, 'Health Monitor web not found.'));
  });
});

describe('delete', () => {
  it('204, then gone: the pool loses its healthmonitor_id key and the amphora its monitor', async () => {
    const id = (await sys.api('GET', `/v2/lbaas/pools/${pools.HTTP}`)).body.pool.healthmonitor_id;
    const del = await sys.api('DELETE', `/v2/lbaas/healthmonitors/${id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    await gone(`/v2/lbaas/healthmonitors/${id}`);
    await lbSettled();
    expect('healthmonitor_id' in (await sys.api('GET', `/v2/lbaas/pools/${pools.HTTP}`)).body.pool).toBe(false);
    expect(await configuredMonitor(pools.HTTP!)).toBeNull();
    // The pool may have a monitor again.
    expect((await create({ pool_id: pools.HTTP, type: 'PING' })).type).toBe('PING');
  });
});
