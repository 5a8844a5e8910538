/**
 * The Nova + Keystone emulator (test/emulators/nova) answers as the real services recorded in
 * shared/reference/nova did: each recorded request is sent again (ids the recording's cloud generated
 * are mapped to the ones the emulator generated in the earlier steps) and the status, the headers that
 * matter and the body are compared, ignoring only what is generated (timestamps, tokens, request ids,
 * admin passwords, reservation ids, instance names, key pair row ids).
 *
 * All 60 numbered recordings are replayed, in order, as one story (create flavor, key pair, group,
 * server, watch it build, fail a second one on anti-affinity, delete everything).
 * Not replayed:
 *  - x-no-neutron-observed.json: a transcript of Nova with Neutron down, not a request/response file;
 *    the emulator has no Neutron. Its 500 body is what `faults.next = [{status: 500}]` answers, which
 *    the fault-control tests check.
 *  - timings.json: timings, not an exchange (the emulator's bootMs/deleteMs play that part).
 * What the emulator's answers contain that the recordings cannot show (its catalog has compute,
 * identity and image only: no network or placement endpoints) is checked by the tests after the replay.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type NovaEmulator, startNovaEmulator } from '../emulators/nova';

const REFERENCE = path.resolve(__dirname, '../fixtures/reference/nova');

interface Recording {
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function load(file: string): Recording {
  return JSON.parse(readFileSync(path.join(REFERENCE, file), 'utf8')) as Recording;
}

interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
}

async function http(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers['X-Auth-Token'] = opts.token;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body };
}

async function tokenFor(authUrl: string, user: string, password: string, project: string): Promise<string> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    }),
  });
  expect(res.status).toBe(201);
  return res.headers.get('x-subject-token') as string;
}

/** Values the emulator generates itself: only their kind is compared. */
const VOLATILE = new Set([
  'created',
  'updated',
  'created_at',
  'updated_at',
  'OS-SRV-USG:launched_at',
  'OS-SRV-USG:terminated_at',
  'expires_at',
  'issued_at',
  'audit_ids',
  'adminPass',
  'OS-EXT-SRV-ATTR:reservation_id',
  'OS-EXT-SRV-ATTR:instance_name',
]);

function sameKind(actual: unknown, expected: unknown): boolean {
  if (expected === null || expected === '') return actual === expected;
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length;
  return typeof actual === typeof expected && actual !== '' && actual !== null;
}

/** actual, with each volatile value that is of the recorded kind replaced by the recorded value. */
function normalize(actual: unknown, expected: unknown, volatile: Set<string>, key?: string): unknown {
  if (key !== undefined && volatile.has(key)) return sameKind(actual, expected) ? expected : actual;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.map((a, i) => normalize(a, expected[i], volatile));
  }
  if (isObj(actual) && isObj(expected)) {
    return Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, normalize(v, expected[k], volatile, k)]));
  }
  return actual;
}

const MIRRORED_HEADERS = ['content-type', 'openstack-api-version', 'x-openstack-nova-api-version', 'vary', 'www-authenticate', 'location'];
const PRESENT_HEADERS = ['x-openstack-request-id', 'x-compute-request-id', 'x-subject-token'];

describe('Nova emulator replays the recorded Nova 26 / Keystone 22 exchanges', () => {
  let emu: NovaEmulator;
  let origin: string;
  let admin: string;
  let member: string;
  /** recorded id -> emulator id */
  const ids = new Map<string, string>();

  beforeAll(async () => {
    emu = await startNovaEmulator({ bootMs: 1500, deleteMs: 1000 });
    origin = new URL(emu.authUrl).origin;
    const c = emu.credentials;
    admin = await tokenFor(emu.authUrl, c.username, c.password, c.projectName);
    // The recorded member read a server of the service project (50): the demo user is a member there too.
    member = await tokenFor(emu.authUrl, 'demo', 'demo-pass', 'service');
  });
  afterAll(async () => {
    await emu?.stop();
  });

  /** Recorded URLs, bodies and ids, moved onto the emulator. */
  function mapText(s: string): string {
    let out = s
      .split('http://127.0.0.1:8774')
      .join(`${origin}/compute`)
      .split('http://127.0.0.1:5000')
      .join(`${origin}/identity`)
      .split('http://127.0.0.1:9292')
      .join(`${origin}/image`);
    for (const [from, to] of ids) out = out.split(from).join(to);
    return out;
  }
  const mapJson = <T>(v: T): T => (v === null || v === undefined ? v : (JSON.parse(mapText(JSON.stringify(v))) as T));

  /** Sends the recorded request (with our token) and returns what the emulator answered. */
  async function send(rec: Recording, opts: { token?: string | null; body?: unknown } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    let token: string | undefined;
    for (const [k, v] of Object.entries(rec.request.headers)) {
      if (k.toLowerCase() === 'x-auth-token') token = opts.token === null ? undefined : (opts.token ?? admin);
      else if (k.toLowerCase() !== 'content-type' && k.toLowerCase() !== 'accept') headers[k] = v;
    }
    const body = opts.body !== undefined ? opts.body : rec.request.body === null ? undefined : mapJson(rec.request.body);
    return http(rec.request.method, mapText(rec.request.url), { ...(token !== undefined ? { token } : {}), body, headers });
  }

  function expectHeaders(res: HttpResult, rec: Recording): void {
    const recorded = Object.fromEntries(Object.entries(rec.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const name of MIRRORED_HEADERS) {
      const want = recorded[name] === undefined ? null : mapText(recorded[name] as string);
      expect({ header: name, value: res.headers.get(name) }).toEqual({ header: name, value: want });
    }
    for (const name of PRESENT_HEADERS) {
      expect({ header: name, present: res.headers.has(name) }).toEqual({ header: name, present: name in recorded });
    }
    const rid = res.headers.get('x-openstack-request-id');
    if (rid !== null) expect(rid).toMatch(/^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    if (res.headers.has('x-compute-request-id')) expect(res.headers.get('x-compute-request-id')).toBe(rid);
  }

  /** Compares status, headers and body with the recording. */
  function expectLike(res: HttpResult, rec: Recording, extraVolatile: string[] = []): void {
    const volatile = new Set([...VOLATILE, ...extraVolatile]);
    const want = mapJson(rec.response.body);
    expect({ status: res.status, body: normalize(res.body, want, volatile) }).toEqual({ status: rec.response.status, body: want });
    expectHeaders(res, rec);
  }

  async function replay(file: string, opts: { token?: string | null; volatile?: string[] } = {}): Promise<HttpResult> {
    const rec = load(file);
    const res = await send(rec, opts.token === undefined ? {} : { token: opts.token });
    expectLike(res, rec, opts.volatile);
    return res;
  }

  /** Polls a server until its status is one of `statuses` (or it is gone, for 404). */
  async function waitFor(serverId: string, statuses: Array<string | 404>, timeoutMs = 10000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await http('GET', `${emu.computeUrl}/servers/${serverId}`, { token: admin });
      const status = r.status === 404 ? 404 : ((r.body as Json).server as Json).status;
      if (statuses.includes(status as string | 404)) return;
      if (Date.now() > deadline) throw new Error(`server ${serverId} still ${String(status)}`);
      await sleep(50);
    }
  }

  it('01 keystone password token: 201, X-Subject-Token, the token with roles and a catalog', async () => {
    const rec = load('01-keystone-token-password.json');
    const reqBody = mapJson(rec.request.body) as { auth: { identity: { password: { user: Json } } } };
    reqBody.auth.identity.password.user.password = emu.credentials.password;
    const res = await send(rec, { body: reqBody });
    const token = (res.body as { token: Json }).token;
    const want = (rec.response.body as { token: Json }).token;
    const { catalog, ...rest } = token;
    const { catalog: _wantCatalog, ...wantRest } = want;
    expect({ status: res.status, token: normalize(rest, wantRest, VOLATILE) }).toEqual({ status: 201, token: wantRest });
    expectHeaders(res, rec);
    expect(res.headers.get('x-subject-token')).toMatch(/^gAAAAA/);
    const services = catalog as Array<{ type: string; endpoints: Array<{ interface: string; region_id: string; url: string }> }>;
    const compute = services.find((s) => s.type === 'compute');
    expect(compute?.endpoints.map((e) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(compute?.endpoints.every((e) => e.url === emu.computeUrl && e.region_id === 'RegionOne')).toBe(true);
    expect(services.find((s) => s.type === 'image')?.endpoints[0]?.url).toBe(emu.imageUrl);
    expect(services.map((s) => s.type).sort()).toEqual(['compute', 'identity', 'image']);
    expect(Date.parse(token.expires_at as string) - Date.parse(token.issued_at as string)).toBe(3600 * 1000);
  });

  it('02 keystone bad password: 401 with WWW-Authenticate', async () => {
    await replay('02-keystone-token-bad-password.json');
  });

  it('03 compute versions root and 04 the v2.1 version document', async () => {
    await replay('03-compute-versions-root.json');
    await replay('04-compute-version-v2.1.json');
  });

  it('05 an unsupported microversion is a 406 that still echoes the version', async () => {
    await replay('05-compute-unsupported-microversion.json');
  });

  it('06 glance image list by name', async () => {
    await replay('06-glance-images-list.json');
  });

  it('07-08 flavor create (200) and duplicate name (409)', async () => {
    const rec = load('07-flavor-create.json');
    const res = await send(rec);
    ids.set(((rec.response.body as Json).flavor as Json).id as string, ((res.body as Json).flavor as Json).id as string);
    expectLike(res, rec);
    await replay('08-flavor-create-duplicate-409.json');
  });

  it('09-12 extra specs: set; unknown hw: key rejected at 2.86, accepted at 2.85; get', async () => {
    await replay('09-flavor-extra-specs-create.json');
    await replay('10-flavor-extra-specs-unknown-hw-key-2.86.json');
    await replay('11-flavor-extra-specs-unknown-hw-key-2.85.json');
    await replay('12-flavor-extra-specs-get.json');
  });

  it('13-14 flavor get at 2.74 and 2.61 (extra_specs embedded)', async () => {
    await replay('13-flavor-get.json');
    await replay('14-flavor-get-2.61-with-extra-specs.json');
  });

  it('15-17 key pair create (201), duplicate (409), get', async () => {
    await replay('15-keypair-create.json');
    await replay('16-keypair-create-duplicate-409.json');
    await replay('17-keypair-get.json', { volatile: ['id'] });
  });

  it('18-21 server groups: policy at 2.64, policies at 2.1, policies rejected at 2.64, get', async () => {
    for (const file of ['18-server-group-create-2.64-policy.json', '19-server-group-create-2.1-policies.json']) {
      const rec = load(file);
      const res = await send(rec);
      ids.set(((rec.response.body as Json).server_group as Json).id as string, ((res.body as Json).server_group as Json).id as string);
      expectLike(res, rec);
    }
    await replay('20-server-group-create-2.64-bad-policies-key.json');
    await replay('21-server-group-get.json');
  });

  it('22-24 server create (202), action while building (409), BUILD/scheduling', async () => {
    const rec = load('22-server-create.json');
    const res = await send(rec);
    ids.set(((rec.response.body as Json).server as Json).id as string, ((res.body as Json).server as Json).id as string);
    expectLike(res, rec);
    await replay('23-server-action-while-building-409.json');
    await replay('24-server-get-BUILD.json');
  });

  it('25-27 ACTIVE server at 2.74, 2.1 and 2.93 (project-scoped hostId as Nova computes it)', async () => {
    await waitFor(ids.get('16ba5de4-24e5-4253-ad6c-81f803b13432') as string, ['ACTIVE']);
    await replay('25-server-get-ACTIVE.json');
    await replay('26-server-get-ACTIVE-mv2.1.json');
    await replay('27-server-get-ACTIVE-mv2.93.json');
  });

  it('28-32 list by name regex, detail list, metadata, interfaces, group with its member', async () => {
    await replay('28-server-list.json');
    await replay('29-server-list-detail.json');
    await replay('30-server-metadata-get.json');
    await replay('31-server-os-interface-list.json');
    await replay('32-server-group-get-with-member.json');
  });

  it('33-35 a second anti-affinity member on the one host goes ERROR with NoValidHost', async () => {
    const rec = load('33-server-create-2nd-anti-affinity.json');
    const res = await send(rec);
    ids.set(((rec.response.body as Json).server as Json).id as string, ((res.body as Json).server as Json).id as string);
    expectLike(res, rec);
    await waitFor(ids.get('36a21fab-7bdb-4695-8283-124abe3d4c14') as string, ['ERROR']);
    await replay('34-server-get-ERROR-novalidhost.json');
    await replay('35-server-get-ERROR-novalidhost-mv2.1.json');
  });

  it.each([
    '36-server-create-unknown-flavor-400.json',
    '37-server-create-unknown-image-400.json',
    '38-server-create-networks-none-mv2.36-400.json',
    '39-server-create-no-networks-mv2.37-400.json',
    '40-server-create-unknown-keypair-400.json',
    '41-server-create-bad-user-data-400.json',
    '42-server-create-unknown-server-group-400.json',
    '43-server-create-unknown-network-400.json',
    '44-server-create-unknown-port-400.json',
    '45-server-create-name-too-long-400.json',
    '46-server-get-unknown-404.json',
  ])('%s', async (file) => {
    const before = emu.liveServers().length;
    await replay(file);
    expect(emu.liveServers().length).toBe(before);
  });

  it('47-48 no token / bad token: 401 from the auth layer', async () => {
    await replay('47-no-token-401.json', { token: null });
    await replay('48-bad-token-401.json', { token: 'x'.repeat(23) });
  });

  it('49-50 member role: flavor create forbidden, own project server readable without admin fields', async () => {
    await replay('49-flavor-create-as-member-403.json', { token: member });
    await replay('50-server-get-as-member-same-project.json', { token: member });
  });

  it('51-55 delete: 204, ACTIVE+deleting, then 404; again 404; admin sees it DELETED with deleted=true', async () => {
    await replay('51-server-delete.json');
    await replay('52-server-get-while-deleting.json');
    await waitFor(ids.get('16ba5de4-24e5-4253-ad6c-81f803b13432') as string, [404]);
    await replay('53-server-get-after-delete-404.json');
    await replay('54-server-delete-again-404.json');
    await replay('55-server-list-deleted-admin.json');
  });

  it('56-60 delete the ERROR server, the group, the key pair, the flavor; flavor then 404', async () => {
    await replay('56-server-delete-ERROR-server.json');
    await replay('57-server-group-delete.json');
    await replay('58-keypair-delete.json');
    await replay('59-flavor-delete.json');
    await replay('60-flavor-get-after-delete-404.json');
    expect(emu.liveServers()).toEqual([]);
  });

  it('records every request with the token and password redacted', () => {
    const tokenCall = emu.requests.find((r) => r.path === '/identity/v3/auth/tokens' && r.method === 'POST');
    expect(JSON.stringify(tokenCall?.body)).not.toContain(emu.credentials.password);
    const computeCall = emu.requests.find((r) => r.path.startsWith('/compute/v2.1/servers'));
    expect(computeCall?.headers['x-auth-token']).toBe('<redacted>');
    expect(JSON.stringify(emu.requests)).not.toContain(admin);
  });
});

describe('Nova emulator fault controls', () => {
  let emu: NovaEmulator;
  let token: string;

  beforeAll(async () => {
    emu = await startNovaEmulator({ bootMs: 100 });
    const c = emu.credentials;
    token = await tokenFor(emu.authUrl, c.username, c.password, c.projectName);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  const mv = { 'OpenStack-API-Version': 'compute 2.74' };
  const createBody = (name: string) => ({
    server: {
      name,
      imageRef: emu.seed.amphoraImageId,
      flavorRef: emu.seed.amphoraFlavorId,
      networks: [{ uuid: emu.seed.mgmtNetworkId }],
      key_name: emu.seed.keyName,
      security_groups: [{ name: emu.seed.mgmtSecurityGroupId }],
      config_drive: true,
      metadata: { 'octavia-amphora-id': name },
    },
  });
  const listByName = async (name: string) =>
    ((await http('GET', `${emu.computeUrl}/servers?name=^${name}$`, { token, headers: mv })).body as { servers: Json[] })
      .servers;
  async function waitStatus(id: string, status: string): Promise<Json> {
    for (let i = 0; i < 200; i++) {
      const r = await http('GET', `${emu.computeUrl}/servers/${id}`, { token, headers: mv });
      const s = (r.body as Json).server as Json;
      if (s.status === status) return s;
      await sleep(20);
    }
    throw new Error(`server ${id} never ${status}`);
  }

  it('faults.next: forced statuses in order, Nova-shaped bodies, then normal answers', async () => {
    emu.faults.next.push({ status: 503 }, { status: 429, headers: { 'Retry-After': '2' } }, { status: 502, body: 'Bad Gateway' });
    const a = await http('GET', `${emu.computeUrl}/servers`, { token, headers: mv });
    expect(a.status).toBe(503);
    expect(a.body).toEqual({
      serviceUnavailable: { code: 503, message: 'The server is currently unavailable. Please try again at a later time.' },
    });
    expect(a.headers.get('x-openstack-request-id')).toMatch(/^req-/);
    expect(a.headers.get('openstack-api-version')).toBe('compute 2.74');
    const b = await http('GET', `${emu.computeUrl}/servers`, { token, headers: mv });
    expect(b.status).toBe(429);
    expect(b.headers.get('retry-after')).toBe('2');
    expect(b.body).toEqual({ overLimit: { code: 429, message: 'This request was rate-limited.', retryAfter: '2' } });
    const c = await http('GET', `${emu.computeUrl}/servers`, { token, headers: mv });
    expect({ status: c.status, body: c.body }).toEqual({ status: 502, body: 'Bad Gateway' });
    const d = await http('GET', `${emu.computeUrl}/servers`, { token, headers: mv });
    expect(d.status).toBe(200);
  });

  it('faults.next: a forced 500 is the computeFault Nova answered with Neutron down (x-no-neutron-observed.json)', async () => {
    const observed = JSON.parse(readFileSync(path.join(REFERENCE, 'x-no-neutron-observed.json'), 'utf8')) as {
      get: { status: number; body: unknown };
    };
    emu.faults.next.push({ status: 500 });
    const r = await http('GET', `${emu.computeUrl}/servers/anything`, { token, headers: mv });
    expect({ status: r.status, body: r.body }).toEqual({ status: observed.get.status, body: observed.get.body });
  });

  it('faults.next does not touch identity requests', async () => {
    emu.faults.next.push({ status: 503 });
    const c = emu.credentials;
    await tokenFor(emu.authUrl, c.username, c.password, c.projectName);
    expect(emu.faults.next).toHaveLength(1);
    emu.faults.next.length = 0;
  });

  it('dropNextCreateResponse: the server is made, the response is lost, a lookup by name finds it', async () => {
    emu.faults.dropNextCreateResponse = true;
    await expect(
      http('POST', `${emu.computeUrl}/servers`, { token, headers: mv, body: createBody('amphora-lost') }),
    ).rejects.toThrow();
    expect(emu.faults.dropNextCreateResponse).toBe(false);
    const found = await listByName('amphora-lost');
    expect(found).toHaveLength(1);
    expect(emu.liveServers().map((s) => s.name)).toContain('amphora-lost');
  });

  it('latencyMs delays compute requests', async () => {
    emu.faults.latencyMs = 300;
    const t0 = Date.now();
    await http('GET', `${emu.computeUrl}/flavors`, { token, headers: mv });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    emu.faults.latencyMs = 0;
  });

  it('buildFailsNoValidHost: builds go ERROR with the NoValidHost fault until it is cleared', async () => {
    emu.faults.buildFailsNoValidHost = true;
    const r = await http('POST', `${emu.computeUrl}/servers`, { token, headers: mv, body: createBody('amphora-novalid') });
    expect(r.status).toBe(202);
    const id = ((r.body as Json).server as Json).id as string;
    const s = await waitStatus(id, 'ERROR');
    expect((s.fault as Json).message).toBe('No valid host was found. There are not enough hosts available.');
    expect((s.fault as Json).code).toBe(500);
    expect(s.hostId).toBe('');
    emu.faults.buildFailsNoValidHost = false;
    const ok = await http('POST', `${emu.computeUrl}/servers`, { token, headers: mv, body: createBody('amphora-ok') });
    const active = await waitStatus(((ok.body as Json).server as Json).id as string, 'ACTIVE');
    expect(Object.keys(active.addresses as Json)).toEqual(['lb-mgmt-net']);
    expect(active.security_groups).toEqual([{ name: 'lb-mgmt-sec-grp' }]);
  });

  it('expireTokens: the next call gets 401, a new token works', async () => {
    emu.expireTokens();
    const r = await http('GET', `${emu.computeUrl}/servers`, { token, headers: mv });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
    const c = emu.credentials;
    token = await tokenFor(emu.authUrl, c.username, c.password, c.projectName);
    expect((await http('GET', `${emu.computeUrl}/servers`, { token, headers: mv })).status).toBe(200);
  });

  it('tokenTtlSeconds: tokens run out', async () => {
    const short = await startNovaEmulator({ tokenTtlSeconds: 1 });
    try {
      const c = short.credentials;
      const t = await tokenFor(short.authUrl, c.username, c.password, c.projectName);
      expect((await http('GET', `${short.computeUrl}/flavors`, { token: t })).status).toBe(200);
      await sleep(1100);
      expect((await http('GET', `${short.computeUrl}/flavors`, { token: t })).status).toBe(401);
    } finally {
      await short.stop();
    }
  });

  it('liveServers lists a server until its delete has gone through', async () => {
    const r = await http('POST', `${emu.computeUrl}/servers`, { token, headers: mv, body: createBody('amphora-leak') });
    const id = ((r.body as Json).server as Json).id as string;
    await waitStatus(id, 'ACTIVE');
    expect(emu.liveServers().find((s) => s.id === id)?.status).toBe('ACTIVE');
    expect((await http('DELETE', `${emu.computeUrl}/servers/${id}`, { token, headers: mv })).status).toBe(204);
    expect(emu.liveServers().find((s) => s.id === id)?.taskState).toBe('deleting');
    await sleep(150);
    expect(emu.liveServers().find((s) => s.id === id)).toBeUndefined();
  });
});

describe('Nova emulator beyond the recordings', () => {
  let emu: NovaEmulator;
  let token: string;

  beforeAll(async () => {
    emu = await startNovaEmulator({ bootMs: 60 });
    const c = emu.credentials;
    token = await tokenFor(emu.authUrl, c.username, c.password, c.projectName);
  });
  afterAll(async () => {
    await emu?.stop();
  });

  const mv = (v: string) => ({ 'OpenStack-API-Version': `compute ${v}` });
  async function boot(name: string, extra: Json = {}, hints?: Json): Promise<string> {
    const r = await http('POST', `${emu.computeUrl}/servers`, {
      token,
      headers: mv('2.74'),
      body: {
        server: { name, imageRef: emu.seed.amphoraImageId, flavorRef: emu.seed.amphoraFlavorId, networks: 'none', ...extra },
        ...(hints ? { 'os:scheduler_hints': hints } : {}),
      },
    });
    expect(r.status).toBe(202);
    return ((r.body as Json).server as Json).id as string;
  }
  async function status(id: string): Promise<Json> {
    await sleep(120);
    return (await http('GET', `${emu.computeUrl}/servers/${id}`, { token, headers: mv('2.74') })).body as Json;
  }

  it('microversions: latest is 2.93, the legacy header works, a malformed version is a 400 without version headers', async () => {
    const latest = await http('GET', `${emu.computeUrl}/flavors`, { token, headers: mv('latest') });
    expect(latest.headers.get('openstack-api-version')).toBe('compute 2.93');
    const legacy = await http('GET', `${emu.computeUrl}/flavors`, { token, headers: { 'X-OpenStack-Nova-API-Version': '2.60' } });
    expect(legacy.headers.get('x-openstack-nova-api-version')).toBe('2.60');
    const none = await http('GET', `${emu.computeUrl}/flavors`, { token });
    expect(none.headers.get('openstack-api-version')).toBe('compute 2.1');
    const bad = await http('GET', `${emu.computeUrl}/flavors`, { token, headers: mv('2.x') });
    expect({ status: bad.status, body: bad.body, version: bad.headers.get('openstack-api-version') }).toEqual({
      status: 400,
      body: { badRequest: { code: 400, message: 'API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.' } },
      version: null,
    });
  });

  it('glance: images by tag; the amphora image is private to the service project', async () => {
    const r = await http('GET', `${emu.imageUrl}/v2/images?tag=amphora`, { token });
    expect((r.body as { images: Json[] }).images.map((i) => i.id)).toEqual([emu.seed.amphoraImageId]);
    const one = await http('GET', `${emu.imageUrl}/v2/images/${emu.seed.amphoraImageId}`, { token });
    expect((one.body as Json).tags).toEqual(['amphora']);
    const member = await tokenFor(emu.authUrl, 'demo', 'demo-pass', 'demo');
    expect((await http('GET', `${emu.imageUrl}/v2/images/${emu.seed.amphoraImageId}`, { token: member })).status).toBe(404);
  });

  it('availability zones: the nova zone for everyone, the detail for admins only', async () => {
    const r = await http('GET', `${emu.computeUrl}/os-availability-zone`, { token, headers: mv('2.74') });
    expect(r.body).toEqual({ availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }] });
    const member = await tokenFor(emu.authUrl, 'demo', 'demo-pass', 'demo');
    const d = await http('GET', `${emu.computeUrl}/os-availability-zone/detail`, { token: member, headers: mv('2.74') });
    expect(d.body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed." },
    });
    const bad = await http('POST', `${emu.computeUrl}/servers`, {
      token,
      headers: mv('2.74'),
      body: { server: { name: 'x', imageRef: emu.seed.amphoraImageId, flavorRef: emu.seed.amphoraFlavorId, networks: 'none', availability_zone: 'az9' } },
    });
    expect(bad.body).toEqual({ badRequest: { code: 400, message: 'The requested availability zone is not available' } });
  });

  it('another project: a member cannot see the service project servers (404), and keeps to its own', async () => {
    const id = await boot('svc-only');
    const member = await tokenFor(emu.authUrl, 'demo', 'demo-pass', 'demo');
    const r = await http('GET', `${emu.computeUrl}/servers/${id}`, { token: member, headers: mv('2.74') });
    expect(r.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    const list = await http('GET', `${emu.computeUrl}/servers?deleted=true`, { token: member, headers: mv('2.74') });
    expect(list.body).toEqual({ servers: [] });
    const deleted = await http('GET', `${emu.computeUrl}/servers?status=DELETED`, { token: member, headers: mv('2.74') });
    expect(deleted.status).toBe(403);
    const badStatus = await http('GET', `${emu.computeUrl}/servers?status=NOPE`, { token, headers: mv('2.74') });
    expect(badStatus.body).toEqual({ badRequest: { code: 400, message: 'Invalid status value' } });
  });

  it('os-interface: attach a port and a network, list, show, detach (202 also for a port not attached)', async () => {
    const id = await boot('ports');
    const building = await http('POST', `${emu.computeUrl}/servers/${id}/os-interface`, {
      token,
      headers: mv('2.74'),
      body: { interfaceAttachment: { net_id: emu.seed.mgmtNetworkId } },
    });
    expect(building.body).toEqual({
      conflictingRequest: { code: 409, message: `Cannot 'attach_interface' instance ${id} while it is in vm_state building` },
    });
    await status(id);
    const vipPort = '0b7e3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    const a = await http('POST', `${emu.computeUrl}/servers/${id}/os-interface`, {
      token,
      headers: mv('2.74'),
      body: { interfaceAttachment: { port_id: vipPort } },
    });
    expect(a.status).toBe(200);
    expect(((a.body as Json).interfaceAttachment as Json).port_id).toBe(vipPort);
    expect(((a.body as Json).interfaceAttachment as Json).tag).toBeNull();
    const again = await http('POST', `${emu.computeUrl}/servers/${id}/os-interface`, {
      token,
      headers: mv('2.74'),
      body: { interfaceAttachment: { port_id: vipPort } },
    });
    expect(again.body).toEqual({ conflictingRequest: { code: 409, message: `Port ${vipPort} is still in use.` } });
    const n = await http('POST', `${emu.computeUrl}/servers/${id}/os-interface`, {
      token,
      headers: mv('2.74'),
      body: { interfaceAttachment: { net_id: emu.seed.mgmtNetworkId } },
    });
    expect(((n.body as Json).interfaceAttachment as Json).net_id).toBe(emu.seed.mgmtNetworkId);
    const list = await http('GET', `${emu.computeUrl}/servers/${id}/os-interface`, { token, headers: mv('2.74') });
    expect((list.body as { interfaceAttachments: Json[] }).interfaceAttachments).toHaveLength(2);
    const server = (await status(id)).server as Json;
    expect(((server.addresses as Json)['lb-mgmt-net'] as unknown[]).length).toBe(2);
    const d = await http('DELETE', `${emu.computeUrl}/servers/${id}/os-interface/${vipPort}`, { token, headers: mv('2.74') });
    expect(d.status).toBe(202);
    const d2 = await http('DELETE', `${emu.computeUrl}/servers/${id}/os-interface/${vipPort}`, { token, headers: mv('2.74') });
    expect(d2.status).toBe(202);
    const show = await http('GET', `${emu.computeUrl}/servers/${id}/os-interface/${vipPort}`, { token, headers: mv('2.74') });
    expect(show.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} does not have a port with id ${vipPort}` } });
  });

  it('anti-affinity with max_server_per_host 2 places two members; soft-anti-affinity never fails', async () => {
    const g = await http('POST', `${emu.computeUrl}/os-server-groups`, {
      token,
      headers: mv('2.64'),
      body: { server_group: { name: 'pair', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
    });
    const gid = ((g.body as Json).server_group as Json).id as string;
    const a = await boot('pair-a', {}, { group: gid });
    const b = await boot('pair-b', {}, { group: gid });
    const c = await boot('pair-c', {}, { group: gid });
    await sleep(150);
    expect([a, b, c].map((id) => emu.liveServers().find((s) => s.id === id)?.status)).toEqual(['ACTIVE', 'ACTIVE', 'ERROR']);
    const soft = await http('POST', `${emu.computeUrl}/os-server-groups`, {
      token,
      headers: mv('2.64'),
      body: { server_group: { name: 'soft', policy: 'soft-anti-affinity' } },
    });
    const sid = ((soft.body as Json).server_group as Json).id as string;
    const s1 = await boot('soft-a', {}, { group: sid });
    const s2 = await boot('soft-b', {}, { group: sid });
    await sleep(150);
    expect([s1, s2].map((id) => emu.liveServers().find((s) => s.id === id)?.status)).toEqual(['ACTIVE', 'ACTIVE']);
  });

  it('key pairs: generated at 2.1 (200, private key), public key required at 2.92', async () => {
    const r = await http('POST', `${emu.computeUrl}/os-keypairs`, { token, headers: mv('2.1'), body: { keypair: { name: 'gen' } } });
    expect(r.status).toBe(200);
    const kp = (r.body as Json).keypair as Json;
    expect(kp.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(kp.public_key).toMatch(/^ssh-rsa AAAA.* Generated-by-Nova$/);
    expect(kp.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const r2 = await http('POST', `${emu.computeUrl}/os-keypairs`, { token, headers: mv('2.92'), body: { keypair: { name: 'gen2' } } });
    expect(r2.body).toEqual({
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute keypair. Value: {'name': 'gen2'}. 'public_key' is a required property",
      },
    });
  });

  it('stop, start, reboot move through SHUTOFF and REBOOT', async () => {
    const id = await boot('power');
    await status(id);
    const act = (b: Json) => http('POST', `${emu.computeUrl}/servers/${id}/action`, { token, headers: mv('2.74'), body: b });
    expect((await act({ 'os-stop': null })).status).toBe(202);
    expect(((await status(id)).server as Json).status).toBe('SHUTOFF');
    expect(((await act({ 'os-stop': null })).body as Json).conflictingRequest).toEqual({
      code: 409,
      message: `Cannot 'stop' instance ${id} while it is in vm_state stopped`,
    });
    expect((await act({ 'os-start': null })).status).toBe(202);
    expect(((await status(id)).server as Json).status).toBe('ACTIVE');
    expect((await act({ reboot: { type: 'HARD' } })).status).toBe(202);
    const during = (await http('GET', `${emu.computeUrl}/servers/${id}`, { token, headers: mv('2.74') })).body as Json;
    expect((during.server as Json).status).toBe('HARD_REBOOT');
    expect((await act({ frobnicate: {} })).body).toEqual({ badRequest: { code: 400, message: 'There is no such action: frobnicate' } });
  });

  it('a build request deleted before scheduling is gone at once', async () => {
    const id = await boot('quick-delete');
    expect((await http('DELETE', `${emu.computeUrl}/servers/${id}`, { token, headers: mv('2.74') })).status).toBe(204);
    expect((await http('GET', `${emu.computeUrl}/servers/${id}`, { token, headers: mv('2.74') })).status).toBe(404);
  });
});
