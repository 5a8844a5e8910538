/** Pool create/update/delete through the API and their flows; Octavia's pool rules. */
import { fault, watchFlows, type Flows, VIP_SUBNET, refusalCheck } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

const UNKNOWN = '00000000-0000-0000-0000-000000000000';
let sys: TestSystem;
let flows: Flows;
let lbId: string;
/** listener protocol -> listener id */
const listeners: Record<string, string> = {};

const counts = async () => ({
  pools: await sys.db.pool.count(),
  members: await sys.db.member.count(),
  monitors: await sys.db.healthMonitor.count(),
  defaults: await sys.db.listener.count({ where: { defaultPoolId: { not: null } } }),
  lb: (await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus,
});

const lbSettled = () => flows.settledActive(`/v2/lbaas/loadbalancers/${lbId}`);
const gone = (path: string) => flows.gone(path);

/** Waits until the pool and its load balancer have left PENDING_*; returns the pool. */
async function settled(id: string) {
  await lbSettled();
  return flows.settledView(`/v2/lbaas/pools/${id}`);
}

const amphoraConfig = async () => {
  const amp = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });
  return sys.amphoraDriver.configOf(amp.id)!;
};

const refused = refusalCheck(() => sys, counts);

const createPool = async (pool: Record<string, unknown>) => {
  const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, ...pool } });
  expect(res.status).toBe(201);
  return settled(res.body.pool.id);
};

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  lbId = res.body.loadbalancer.id;
  await lbSettled();
  for (const [protocol, port] of [['HTTP', 80], ['HTTPS', 443], ['TCP', 3306], ['UDP', 53], ['SCTP', 9000]] as const) {
    const l = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol, protocol_port: port, loadbalancer_id: lbId } });
    expect(l.status).toBe(201);
    listeners[protocol] = l.body.listener.id;
    await lbSettled();
  }
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.amphoraDriver.failUpdates = false;
  sys.amphoraDriver.latencyMs = 0;
});

describe('create', () => {
  it('on a load balancer: 201 PENDING_CREATE with every Octavia field, then ACTIVE/OFFLINE and pushed to the amphora', async () => {
    const res = await sys.api('POST', '/v2/lbaas/pools', {
      pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId, tags: ['b', 'a'] },
    });
    expect(res.status).toBe(201);
    const pool = res.body.pool;
    expect(pool).toEqual({
      id: expect.any(String),
      name: 'web',
      description: '',
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      admin_state_up: true,
      protocol: 'HTTP',
      lb_algorithm: 'ROUND_ROBIN',
      session_persistence: null,
      project_id: expect.any(String),
      loadbalancers: [{ id: lbId }],
      listeners: [],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      updated_at: null,
      members: [],
      tags: ['a', 'b'],
      tls_container_ref: null,
      ca_tls_container_ref: null,
      crl_container_ref: null,
      tls_enabled: false,
      tls_ciphers: null,
      tls_versions: null,
      alpn_protocols: null,
      tenant_id: pool.project_id,
    });
    expect('healthmonitor_id' in pool).toBe(false);
    const after = await settled(pool.id);
    expect(after).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'OFFLINE', updated_at: expect.any(String) });
    expect((await amphoraConfig()).pools.find((p) => p.id === pool.id)).toMatchObject({
      protocol: 'HTTP',
      lbAlgorithm: 'ROUND_ROBIN',
      enabled: true,
      members: [],
      healthMonitor: null,
    });
    expect((await lbSettled()).pools).toContainEqual({ id: pool.id });
  });

  it("on a listener: becomes the listener's default pool in the same request; a second default pool is a 409", async () => {
    const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'PROXY', lb_algorithm: 'SOURCE_IP', listener_id: listeners.HTTP } });
    expect(res.status).toBe(201);
    expect(res.body.pool).toMatchObject({ listeners: [{ id: listeners.HTTP }], loadbalancers: [{ id: lbId }] });
    expect((await sys.db.listener.findUniqueOrThrow({ where: { id: listeners.HTTP! } })).defaultPoolId).toBe(res.body.pool.id);
    await settled(res.body.pool.id);
    expect((await sys.api('GET', `/v2/lbaas/listeners/${listeners.HTTP}`)).body.listener.default_pool_id).toBe(res.body.pool.id);
    expect((await amphoraConfig()).listeners.find((l) => l.id === listeners.HTTP)?.defaultPoolId).toBe(res.body.pool.id);

    await refused('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listeners.HTTP } },
      fault(409, 'This listener already has a default pool'));
  });

  it('needs a load balancer or a listener, and both must exist', async () => {
    await refused('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } },
      fault(400, 'Validation failure: Must provide at least one of: loadbalancer_id, listener_id'));
    await refused('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: UNKNOWN } },
      fault(404, `Load Balancer ${UNKNOWN} not found.`));
    await refused('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: UNKNOWN } },
      fault(404, `Listener ${UNKNOWN} not found.`));
    await refused('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: 'abc' } },
      fault(400, "Invalid input for field/attribute loadbalancer_id. Value: 'abc'. Value should be UUID format"));
  });

  it("checks the pool protocol against its listener's (Octavia's protocol map)", async () => {
    const allowed: Record<string, string[]> = {
      HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
      HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
      TCP: ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2'],
      UDP: ['UDP'],
      SCTP: ['SCTP'],
    };
    for (const [listenerProtocol, ok] of Object.entries(allowed)) {
      for (const protocol of ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'UDP', 'SCTP']) {
        const body = { pool: { protocol, lb_algorithm: 'ROUND_ROBIN', listener_id: listeners[listenerProtocol] } };
        if (ok.includes(protocol)) {
          // Valid: created (the listener's default pool), or refused for another reason.
          const res = await sys.api('POST', '/v2/lbaas/pools', body);
          expect([201, 409]).toContain(res.status);
          if (res.status === 201) await settled(res.body.pool.id);
        } else {
          await refused('POST', '/v2/lbaas/pools', body, fault(400,
            `Validation failure: The pool protocol '${protocol}' is invalid while the listener protocol is '${listenerProtocol}'.`));
        }
      }
    }
  });

  it('validates protocol, lb_algorithm (SOURCE_IP_PORT: the amphora provider\'s 501) and unknown attributes', async () => {
    const post = (pool: Record<string, unknown>) => ({ pool: { loadbalancer_id: lbId, ...pool } });
    await refused('POST', '/v2/lbaas/pools', post({ protocol: 'FOO', lb_algorithm: 'ROUND_ROBIN' }),
      fault(400, "Invalid input for field/attribute protocol. Value: 'FOO'. Value should be one of: HTTP, HTTPS, PROXY, PROXYV2, TCP, UDP, SCTP"));
    await refused('POST', '/v2/lbaas/pools', post({ protocol: 'HTTP', lb_algorithm: 'FOO' }),
      fault(400, "Invalid input for field/attribute lb_algorithm. Value: 'FOO'. Value should be one of: LEAST_CONNECTIONS, ROUND_ROBIN, SOURCE_IP_PORT, SOURCE_IP"));
    await refused('POST', '/v2/lbaas/pools', post({ lb_algorithm: 'ROUND_ROBIN' }),
      fault(400, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."));
    // Octavia's amphora provider refuses SOURCE_IP_PORT for every protocol.
    for (const protocol of ['TCP', 'UDP']) {
      const res = await sys.api('POST', '/v2/lbaas/pools', post({ protocol, lb_algorithm: 'SOURCE_IP_PORT' }));
      expect({ status: res.status, body: res.body }).toEqual({
        status: 501,
        body: { faultcode: 'Server', faultstring: "Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm.", debuginfo: null },
      });
    }
    await refused('POST', '/v2/lbaas/pools', post({ protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', bogus: 1 }),
      fault(400, 'Unknown attribute for argument pool_.pool: bogus'));
    const udp = await createPool({ protocol: 'UDP', lb_algorithm: 'SOURCE_IP' });
    expect(udp).toMatchObject({ protocol: 'UDP', lb_algorithm: 'SOURCE_IP', provisioning_status: 'ACTIVE' });
    expect(await sys.api('PUT', `/v2/lbaas/pools/${udp.id}`, { pool: { lb_algorithm: 'SOURCE_IP_PORT' } })).toMatchObject({ status: 501 });
  });

  it('session persistence: Octavia rules per type and protocol, shown with its four keys', async () => {
    const post = (protocol: string, sp: unknown) => ({ pool: { loadbalancer_id: lbId, protocol, lb_algorithm: 'ROUND_ROBIN', session_persistence: sp } });
    const cases: [string, unknown, string][] = [
      ['HTTP', { type: 'APP_COOKIE' }, 'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
      ['HTTP', { type: 'HTTP_COOKIE', cookie_name: 'c' }, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
      ['HTTP', { type: 'SOURCE_IP', persistence_timeout: 30 }, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
      ['UDP', { type: 'HTTP_COOKIE' }, 'Validation failure: Session persistence of type HTTP_COOKIE is not supported for UDP/SCTP protocol pools.'],
      ['SCTP', { type: 'APP_COOKIE', cookie_name: 'c' }, 'Validation failure: Cookie names are not supported for UDP/SCTP pools.'],
      ['UDP', { type: 'SOURCE_IP', cookie_name: 'c' }, 'Validation failure: session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.'],
      ['HTTP', { type: 'FOO' }, "Invalid input for field/attribute type. Value: 'FOO'. Value should be one of: SOURCE_IP, HTTP_COOKIE, APP_COOKIE"],
      ['HTTP', { cookie_name: 'c' }, "Invalid input for field/attribute type. Value: 'None'. Mandatory field missing."],
      ['HTTP', { type: 'APP_COOKIE', cookie_name: 'a b' }, "Invalid input for field/attribute cookie_name. Value: 'a b'. Value should match the pattern ^[^\\s,;\\\\]+$"],
      ['HTTP', { type: 'SOURCE_IP', bogus: 1 }, 'Unknown attribute for argument pool_.pool.session_persistence: bogus'],
    ];
    for (const [protocol, sp, message] of cases) await refused('POST', '/v2/lbaas/pools', post(protocol, sp), fault(400, message));

    const app = await createPool({ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID' } });
    expect(app.session_persistence).toEqual({ type: 'APP_COOKIE', cookie_name: 'JSESSIONID', persistence_timeout: null, persistence_granularity: null });
    expect((await amphoraConfig()).pools.find((p) => p.id === app.id)?.sessionPersistence).toMatchObject({ type: 'APP_COOKIE', cookieName: 'JSESSIONID' });
    const udp = await createPool({
      protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN',
      session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' },
    });
    expect(udp.session_persistence).toEqual({ type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 60, persistence_granularity: '255.255.255.0' });
  });

  it('TLS towards members: tls_enabled is kept; certificates cannot be retrieved here', async () => {
    const pool = await createPool({ protocol: 'HTTPS', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, tls_versions: null });
    expect(pool).toMatchObject({ tls_enabled: true, tls_container_ref: null, tls_versions: null });
    const post = (extra: Record<string, unknown>) => ({ pool: { loadbalancer_id: lbId, protocol: 'HTTPS', lb_algorithm: 'ROUND_ROBIN', ...extra } });
    await refused('POST', '/v2/lbaas/pools', post({ tls_container_ref: 'https://barbican/v1/containers/x' }),
      fault(400, "Could not retrieve certificate: ['https://barbican/v1/containers/x']"));
    await refused('POST', '/v2/lbaas/pools', post({ crl_container_ref: 'crl' }),
      fault(400, 'Validation failure: A CA certificate reference is required to specify a revocation list.'));
    await refused('POST', '/v2/lbaas/pools', post({ tls_enabled: true, tls_versions: ['TLSv1.3'] }),
      fault(400, 'Validation failure: tls_versions cannot be set: pools of this deployment have no TLS settings.'));
    await refused('POST', '/v2/lbaas/pools', post({ alpn_protocols: ['h3'] }),
      fault(400, "Invalid input for field/attribute alpn_protocols. Value: '['h3']'. Value should be a valid ALPN protocol ID"));
  });
});

describe('update', () => {
  let updatedId: string;

  it('shows the change as PENDING_UPDATE at once; the flow applies it and pushes it', async () => {
    const pool = await createPool({ name: 'u', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
    updatedId = pool.id;
    const res = await sys.api('PUT', `/v2/lbaas/pools/${pool.id}`, {
      pool: { name: 'renamed', lb_algorithm: 'LEAST_CONNECTIONS', admin_state_up: false, session_persistence: { type: 'SOURCE_IP' }, tags: ['z', 'y'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.pool).toMatchObject({
      name: 'renamed',
      lb_algorithm: 'LEAST_CONNECTIONS',
      admin_state_up: false,
      provisioning_status: 'PENDING_UPDATE',
      session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
      tags: ['y', 'z'],
      updated_at: expect.any(String),
    });
    const after = await settled(pool.id);
    expect(after).toMatchObject({ name: 'renamed', lb_algorithm: 'LEAST_CONNECTIONS', admin_state_up: false, provisioning_status: 'ACTIVE', tags: ['y', 'z'] });
    expect((await amphoraConfig()).pools.find((p) => p.id === pool.id)).toMatchObject({
      lbAlgorithm: 'LEAST_CONNECTIONS',
      enabled: false,
      sessionPersistence: { type: 'SOURCE_IP' },
    });

    // A session persistence without a type keeps the current type; null clears it.
    await refused('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { session_persistence: { cookie_name: 'c' } } },
      fault(400, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'));
    const cleared = await sys.api('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { session_persistence: null, name: null } });
    expect(cleared.body.pool).toMatchObject({ session_persistence: null, name: '' });
    expect(await settled(pool.id)).toMatchObject({ session_persistence: null, name: '' });
    expect((await amphoraConfig()).pools.find((p) => p.id === pool.id)?.sessionPersistence).toBeNull();
  });

  it('refuses immutable fields as unknown attributes, bad values, and unknown pools', async () => {
    const pool = { id: updatedId };
    for (const field of ['protocol', 'loadbalancer_id', 'listener_id']) {
      await refused('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { [field]: 'HTTP' } }, fault(400, `Unknown attribute for argument pool_.pool: ${field}`));
    }
    await refused('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { lb_algorithm: 'SOURCE_IP_PORT' } }, {
      status: 501,
      body: { faultcode: 'Server', faultstring: "Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm.", debuginfo: null },
    });
    await refused('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { session_persistence: { type: 'APP_COOKIE' } } },
      fault(400, 'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'));
    await refused('PUT', `/v2/lbaas/pools/${UNKNOWN}`, { pool: { name: 'x' } }, fault(404, `Pool ${UNKNOWN} not found.`));
    await refused('PUT', '/v2/lbaas/pools/not-a-uuid', { pool: { name: 'x' } }, fault(404, 'Pool not-a-uuid not found.'));
  });

  it('a configuration push that fails leaves the pool ERROR and the load balancer ACTIVE; an ERROR pool can be deleted', async () => {
    sys.amphoraDriver.failUpdates = true;
    const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
    expect(res.status).toBe(201);
    expect((await settled(res.body.pool.id)).provisioning_status).toBe('ERROR');
    expect((await lbSettled()).provisioning_status).toBe('ACTIVE');
    sys.amphoraDriver.failUpdates = false;
    expect((await sys.api('DELETE', `/v2/lbaas/pools/${res.body.pool.id}`)).status).toBe(204);
    await gone(`/v2/lbaas/pools/${res.body.pool.id}`);
  });

  it('answers 409 while the load balancer is PENDING_UPDATE, and changes nothing', async () => {
    const pool = { id: updatedId };
    sys.amphoraDriver.latencyMs = 1500;
    expect((await sys.api('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { description: 'first' } })).status).toBe(200);
    await refused('PUT', `/v2/lbaas/pools/${pool.id}`, { pool: { description: 'second' } }, fault(409, `Load Balancer ${lbId} is immutable and cannot be updated.`));
    await refused('POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } },
      fault(409, `Load Balancer ${lbId} is immutable and cannot be updated.`));
    await refused('DELETE', `/v2/lbaas/pools/${pool.id}`, undefined, fault(409, `Load Balancer ${lbId} is immutable and cannot be updated.`));
    expect((await settled(pool.id)).description).toBe('first');
  });
});

describe('list and show', () => {
  it('filters on listed fields, selects fields, pages with limit and marker', async () => {
    // Other test files share the database: this file's pools are those of its load balancer.
    const mine = `loadbalancer_id=${lbId}`;
    const all = (await sys.api('GET', `/v2/lbaas/pools?${mine}`)).body;
    expect(all.pools_links).toEqual([]);
    const ids = all.pools.map((p: { id: string }) => p.id);
    expect(ids.length).toBeGreaterThan(3);
    expect((await sys.api('GET', '/v2/lbaas/pools')).body.pools.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining(ids));

    const byListener = (await sys.api('GET', `/v2/lbaas/pools?listener_id=${listeners.HTTP}`)).body.pools;
    expect(byListener.map((p: { listeners: unknown }) => p.listeners)).toEqual([[{ id: listeners.HTTP }]]);
    expect((await sys.api('GET', `/v2/lbaas/pools?load_balancer_id=${lbId}`)).body.pools).toHaveLength(ids.length);
    const udp = (await sys.api('GET', '/v2/lbaas/pools?protocol=UDP')).body.pools;
    expect(udp.length).toBeGreaterThan(0);
    expect(udp.every((p: { protocol: string }) => p.protocol === 'UDP')).toBe(true);
    expect((await sys.api('GET', '/v2/lbaas/pools?protocol=FOO')).body).toEqual({ pools: [], pools_links: [] });
    expect((await sys.api('GET', '/v2/lbaas/pools?name=a%00b')).body).toEqual({ pools: [], pools_links: [] });
    expect((await sys.api('GET', '/v2/lbaas/pools?lb_algorithm=SOURCE_IP')).body.pools.length).toBeGreaterThan(0);
    expect((await sys.api('GET', `/v2/lbaas/pools?healthmonitor_id=${UNKNOWN}`)).body.pools).toEqual([]);
    expect((await sys.api('GET', `/v2/lbaas/pools?id=${ids[1]}`)).body.pools.map((p: { id: string }) => p.id)).toEqual([ids[1]]);

    expect((await sys.api('GET', `/v2/lbaas/pools?${mine}&tags=a&tags=b`)).body.pools.map((p: { name: string }) => p.name)).toEqual(['web']);
    expect((await sys.api('GET', `/v2/lbaas/pools?${mine}&not-tags=a`)).body.pools).toHaveLength(ids.length - 1);
    const newestFirst = (await sys.api('GET', `/v2/lbaas/pools?${mine}&sort=created_at:desc`)).body.pools.map((p: { id: string }) => p.id);
    expect(newestFirst).toEqual([...ids].reverse());
    expect(await sys.api('GET', '/v2/lbaas/pools?sort=listener_id')).toMatchObject(fault(400, "Supplied sort key 'listener_id' is not valid."));

    const bogus = await sys.api('GET', '/v2/lbaas/pools?bogus=1');
    expect(bogus).toMatchObject(fault(400, 'One or more arguments are either duplicate or invalid'));

    const fields = (await sys.api('GET', '/v2/lbaas/pools?fields=id&fields=protocol')).body.pools;
    expect(Object.keys(fields[0]).sort()).toEqual(['id', 'protocol']);
    const one = (await sys.api('GET', `/v2/lbaas/pools/${ids[0]}?fields=id&fields=name`)).body.pool;
    expect(Object.keys(one).sort()).toEqual(['id', 'name']);

    const page1 = (await sys.api('GET', `/v2/lbaas/pools?${mine}&limit=2`)).body;
    expect(page1.pools.map((p: { id: string }) => p.id)).toEqual(ids.slice(0, 2));
    expect(page1.pools_links).toEqual([{ rel: 'next', href: expect.stringContaining(`limit=2&marker=${ids[1]}`) }]);
    const page2 = (await sys.api('GET', `/v2/lbaas/pools?${mine}&limit=2&marker=${ids[1]}`)).body;
    expect(page2.pools.map((p: { id: string }) => p.id)).toEqual(ids.slice(2, 4));
  });

  it('answers Octavia 404s for unknown ids, UUID or not', async () => {
    expect(await sys.api('GET', `/v2/lbaas/pools/${UNKNOWN}`)).toMatchObject(fault(404, `Pool ${UNKNOWN} not found.`));
    expect(await sys.api('GET', '/v2/lbaas/pools/web')).toMatchObject(fault(404, 'Pool web not found.'));
    expect(await sys.api('DELETE', '/v2/lbaas/pools/web')).toMatchObject(fault(404, 'Pool web not found.'));
    expect((await sys.api('GET', `/v2.0/lbaas/pools/${UNKNOWN}`)).status).toBe(404);
  });
});

describe('delete', () => {
  it('deletes the pool with its members and monitor, clears the default pool, and unconfigures it', async () => {
    const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 3307, loadbalancer_id: lbId } });
    const listenerId = listener.body.listener.id;
    await lbSettled();
    const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', listener_id: listenerId } });
    expect(res.status).toBe(201);
    const pool = await settled(res.body.pool.id);
    expect((await sys.api('POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: '10.0.0.5', protocol_port: 80 } })).status).toBe(201);
    await lbSettled();
    expect((await sys.api('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } })).status).toBe(201);
    await lbSettled();
    expect((await amphoraConfig()).pools.find((p) => p.id === pool.id)).toMatchObject({ members: [expect.objectContaining({ address: '10.0.0.5' })], healthMonitor: expect.objectContaining({ type: 'TCP' }) });

    const del = await sys.api('DELETE', `/v2/lbaas/pools/${pool.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    await gone(`/v2/lbaas/pools/${pool.id}`);
    await lbSettled();
    expect(await sys.db.member.count({ where: { poolId: pool.id } })).toBe(0);
    expect(await sys.db.healthMonitor.count({ where: { poolId: pool.id } })).toBe(0);
    expect((await sys.api('GET', `/v2/lbaas/listeners/${listenerId}`)).body.listener.default_pool_id).toBeNull();
    const config = await amphoraConfig();
    expect(config.pools.map((p) => p.id)).not.toContain(pool.id);
    expect(config.listeners.find((l) => l.id === listenerId)?.defaultPoolId).toBeNull();
    expect((await lbSettled()).pools).not.toContainEqual({ id: pool.id });
  });
});

describe('nothing a client sends is a 500, and a refusal changes nothing', () => {
  it.each<[string, unknown]>([
    ['a list body', []],
    ['a string body', 'null'],
    ['a pool that is a string', { pool: 'x' }],
    ['a pool that is null', { pool: null }],
    ['a huge number', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: 'x', name: 1e308 } }],
    ['a session persistence that is a list', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: [] } }],
    ['a persistence timeout out of range', { pool: { protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 2 ** 40 } } }],
    ['tags that are not strings', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tags: [1] } }],
  ])('%s', async (_what, body) => {
    const before = await counts();
    const res = await sys.api('POST', '/v2/lbaas/pools', body, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.faultcode).toBe('Client');
    expect(await counts()).toEqual(before);
  });

  it('a name with a NUL byte (which PostgreSQL cannot store)', async () => {
    const before = await counts();
    const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId, name: 'a\u0000b' } });
    expect(res.status).toBe(400);
    expect(await counts()).toEqual(before);
  });
});
