/**
 * A listener is validated as Octavia's listener controller does (api/v2/controllers/listener.py):
 * one listener per port and transport, allowed CIDRs of the VIP's IP version (stored as Octavia
 * normalises them), the headers haproxy inserts, certificates only where TLS ends, a default pool of
 * the same load balancer that takes the listener's protocol. A refused request changes nothing: no
 * listener row, and its load balancer is not left PENDING_UPDATE (the next request is not a 409).
 */
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET, refusalCheck } from '../support/fixtures';

let sys: TestSystem;
let lbId: string;
let vip: string;

const fault = (status: number, faultstring: string) => ({ status, body: { faultcode: 'Client', faultstring, debuginfo: null } });
const lbStatus = async (id = lbId) => (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status as string;
const active = (id = lbId) => eventually(async () => ((await lbStatus(id)) === 'ACTIVE' ? true : undefined), 20000, 'load balancer ACTIVE');

async function createLb(): Promise<string> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  expect(res.status).toBe(201);
  await active(res.body.loadbalancer.id);
  return res.body.loadbalancer.id;
}

async function createListener(listener: Record<string, unknown>) {
  const res = await sys.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, ...listener } });
  expect(res.status).toBe(201);
  await active();
  return res.body.listener as { id: string; allowed_cidrs: string[] | null };
}

async function createPool(loadbalancerId: string, protocol: string) {
  const res = await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: loadbalancerId, protocol, lb_algorithm: 'ROUND_ROBIN' } });
  expect(res.status).toBe(201);
  await active(loadbalancerId);
  return res.body.pool.id as string;
}

const unchanged = refusalCheck(() => sys, async () => ({ listeners: await sys.db.listener.findMany({ orderBy: { id: 'asc' } }), lb: await lbStatus() }));
/** The request is refused with this fault, no listener is made or changed, and the load balancer stays ACTIVE. */
async function refused(...request: Parameters<typeof unchanged>) {
  await unchanged(...request);
  expect(await lbStatus()).toBe('ACTIVE');
}

beforeAll(async () => {
  sys = await startTestSystem();
  lbId = await createLb();
  vip = (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.vip_address;
  expect(vip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
});
afterAll(async () => {
  await sys?.stop();
});

describe('one listener per port and transport', () => {
  it('a TCP listener on the port of an HTTP one is 409 naming the HTTP one; UDP on that port is fine', async () => {
    await createListener({ protocol: 'HTTP', protocol_port: 80 });
    const post = (protocol: string) => sys.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol, protocol_port: 80 } });
    for (const protocol of ['TCP', 'HTTPS', 'HTTP']) {
      await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol, protocol_port: 80 } },
        fault(409, 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80'));
    }
    // The refusals left the load balancer free: UDP (its own transport) on the same port is created.
    const udp = await post('UDP');
    expect(udp.status).toBe(201);
    await active();
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 80 } },
      fault(409, 'Another Listener on this Load Balancer is already using protocol UDP and protocol_port 80'));
    expect((await post('SCTP')).status).toBe(201);
    await active();
  });
});

describe('allowed CIDRs', () => {
  it('an IPv6 CIDR on an IPv4 VIP is refused, on create and on update', async () => {
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 81, allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'] } },
      fault(400, `Validation failure: CIDR 2001:db8::/32 IP version incompatible with VIP ${vip} IP version.`));
    const listener = await createListener({ protocol: 'TCP', protocol_port: 81 });
    await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { allowed_cidrs: ['::/0'] } },
      fault(400, `Validation failure: CIDR ::/0 IP version incompatible with VIP ${vip} IP version.`));
  });

  it('are stored as Octavia normalises them: the network address, an address alone as its /32', async () => {
    const listener = await createListener({ protocol: 'TCP', protocol_port: 82, allowed_cidrs: ['10.1.2.3/16', '192.168.1.7', '0.0.0.0/0'] });
    expect(listener.allowed_cidrs).toEqual(['10.1.0.0/16', '192.168.1.7/32', '0.0.0.0/0']);
  });

  it('a CIDR that is none is refused with the message of Octavia\'s CidrType', async () => {
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'TCP', protocol_port: 83, allowed_cidrs: ['10.0.0.0/33'] } },
      fault(400, "Invalid input for field/attribute allowed_cidrs. Value: '['10.0.0.0/33']'. Value should be IPv4 or IPv6 CIDR format"));
  });
});

describe('inserted headers', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['on a TCP listener', { protocol: 'TCP', insert_headers: { 'X-Forwarded-For': 'true' } }, 'insert-headers is not a valid option for a TCP protocol listener.'],
    ['on a UDP listener', { protocol: 'UDP', insert_headers: { 'X-Forwarded-For': 'true' } }, 'insert-headers is not a valid option for a UDP protocol listener.'],
    ['that haproxy does not know', { protocol: 'HTTP', insert_headers: { 'X-Forwarded-For': 'true', 'X-Bogus': 'true' } },
      "dict_keys(['X-Forwarded-For', 'X-Bogus']) is not a valid option for insert_headers"],
    ['of a client certificate where TLS does not end', { protocol: 'HTTP', insert_headers: { 'X-Forwarded-Port': 'true', 'X-SSL-Client-Verify': 'true' } },
      "['X-SSL-Client-Verify'] is not a valid option for HTTP protocol listener."],
  ])('%s are refused', async (_what, listener, message) => {
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol_port: 84, ...listener } }, fault(400, message));
  });

  it('are refused on update against the listener\'s protocol', async () => {
    const listener = await createListener({ protocol: 'HTTP', protocol_port: 85, insert_headers: { 'X-Forwarded-For': 'true' } });
    await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { insert_headers: { 'X-Nope': 'true' } } },
      fault(400, "['X-Nope'] is not a valid option for insert_headers"));
  });
});

describe('certificates', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a TERMINATED_HTTPS listener without one', { protocol: 'TERMINATED_HTTPS' },
      'Validation failure: An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.'],
    ['one on an HTTP listener', { protocol: 'HTTP', default_tls_container_ref: 'https://barbican/v1/containers/c1' },
      'Validation failure: Certificate container references are not allowed on HTTP protocol listeners.'],
    ['SNI ones on a TCP listener', { protocol: 'TCP', sni_container_refs: ['https://barbican/v1/containers/c1'] },
      'Validation failure: Certificate container references are not allowed on TCP protocol listeners.'],
    ['one on a UDP listener', { protocol: 'UDP', default_tls_container_ref: 'https://barbican/v1/containers/c1' },
      'Validation failure: UDP protocol listener does not support TLS.'],
    ['a client CA without a certificate', { protocol: 'TERMINATED_HTTPS', client_ca_tls_container_ref: 'https://barbican/v1/containers/ca' },
      'Validation failure: An SNI or default certificate container reference must be provided with a client CA container reference.'],
    ['client authentication without a client CA', { protocol: 'HTTP', client_authentication: 'MANDATORY' },
      'Validation failure: Client authentication setting MANDATORY requires a client CA container reference.'],
    ['a null client authentication (not NONE, as Octavia reads it)', { protocol: 'HTTP', client_authentication: null },
      'Validation failure: Client authentication setting None requires a client CA container reference.'],
    ['a revocation list without a client CA', { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'https://barbican/v1/containers/c1', client_crl_container_ref: 'https://barbican/v1/containers/crl' },
      'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.'],
    // What passes Octavia's rules still needs a certificate manager, which this deployment does not have.
    ['a certificate no certificate manager can retrieve', { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'https://barbican/v1/containers/c1' },
      "Could not retrieve certificate: ['https://barbican/v1/containers/c1']"],
    ['TLS versions, which a listener here has nowhere to keep', { protocol: 'HTTP', tls_versions: ['TLSv1.2'] },
      'Validation failure: tls_versions cannot be set: listeners of this deployment have no TLS settings.'],
    ['an ALPN protocol Octavia does not know', { protocol: 'HTTP', alpn_protocols: ['h2', 'h3'] },
      "Invalid input for field/attribute alpn_protocols. Value: '['h2', 'h3']'. Value should be a valid ALPN protocol ID"],
  ])('%s is refused', async (_what, listener, message) => {
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol_port: 86, ...listener } }, fault(400, message));
  });

  it('client authentication without a client CA is refused on update, a null one too', async () => {
    const listener = await createListener({ protocol: 'HTTP', protocol_port: 93 });
    for (const auth of ['OPTIONAL', null]) {
      await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { client_authentication: auth } },
        fault(400, `Validation failure: Client authentication setting ${auth ?? 'None'} requires a client CA container reference.`));
    }
    expect((await sys.api('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { client_authentication: 'NONE' } })).status).toBe(200);
    await active();
  });

  it('a UDP listener takes neither certificates nor headers on update', async () => {
    const listener = await createListener({ protocol: 'UDP', protocol_port: 87 });
    await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { insert_headers: { 'X-Forwarded-For': 'true' } } },
      fault(400, 'Validation failure: UDP protocol listener does not support TLS or header insertion.'));
  });
});

describe('the default pool', () => {
  it("is one of the listener's load balancer, else 404 as a pool that does not exist", async () => {
    const otherLb = await createLb();
    const theirs = await createPool(otherLb, 'HTTP');
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 88, default_pool_id: theirs } },
      fault(404, `Pool ${theirs} not found.`));
    const listener = await createListener({ protocol: 'HTTP', protocol_port: 88 });
    await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { default_pool_id: theirs } }, fault(404, `Pool ${theirs} not found.`));
  });

  it("takes the listener's protocol, and a PROMETHEUS listener has none", async () => {
    const udpPool = await createPool(lbId, 'UDP');
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 89, default_pool_id: udpPool } },
      fault(400, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'."));
    await refused('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'PROMETHEUS', protocol_port: 89, default_pool_id: udpPool } },
      fault(400, 'Protocol PROMETHEUS listeners cannot have child objects.'));
    const listener = await createListener({ protocol: 'TCP', protocol_port: 89 });
    await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { default_pool_id: udpPool } },
      fault(400, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'TCP'."));
  });
});

describe('null puts back the default (Octavia\'s _set_default_on_none)', () => {
  it('the connection limit, timeouts and headers; a null admin_state_up is False', async () => {
    const listener = await createListener({
      protocol: 'HTTP', protocol_port: 90, connection_limit: 10, timeout_client_data: 1000, timeout_member_connect: 1000, timeout_member_data: 1000,
      timeout_tcp_inspect: 1000, insert_headers: { 'X-Forwarded-For': 'true' },
    });
    // `openstack loadbalancer listener unset --connection-limit --timeout-client-data ...` sends nulls.
    const nulls = { connection_limit: null, timeout_client_data: null, timeout_member_connect: null, timeout_member_data: null, timeout_tcp_inspect: null, insert_headers: null };
    const put = await sys.api('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: nulls });
    const defaults = { connection_limit: -1, timeout_client_data: 50000, timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0, insert_headers: {} };
    expect({ status: put.status, listener: put.body.listener }).toMatchObject({ status: 200, listener: defaults });
    await active();
    expect((await sys.api('GET', `/v2/lbaas/listeners/${listener.id}`)).body.listener).toMatchObject({ ...defaults, provisioning_status: 'ACTIVE' });

    const off = await sys.api('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { admin_state_up: null } });
    expect(off.body.listener.admin_state_up).toBe(false);
    await active();
    expect((await sys.api('GET', `/v2/lbaas/listeners/${listener.id}`)).body.listener).toMatchObject({ admin_state_up: false, provisioning_status: 'ACTIVE' });
  });

  it('on create too', async () => {
    const listener = await createListener({ protocol: 'TCP', protocol_port: 91, connection_limit: null, timeout_client_data: null });
    expect(listener).toMatchObject({ connection_limit: -1, timeout_client_data: 50000 });
  });
});

describe('timeouts', () => {
  it("are bounded by Octavia's MAX_TIMEOUT (24 days in ms), not less", async () => {
    const listener = await createListener({ protocol: 'TCP', protocol_port: 92, timeout_client_data: 2073600000, timeout_tcp_inspect: 31536001 });
    expect(listener).toMatchObject({ timeout_client_data: 2073600000, timeout_tcp_inspect: 31536001 });
    await refused('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { timeout_member_data: 2073600001 } },
      fault(400, "Invalid input for field/attribute timeout_member_data. Value: '2073600001'. Value should be lower or equal to 2073600000"));
  });
});
