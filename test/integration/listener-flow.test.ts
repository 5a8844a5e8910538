/** Listener create/update/delete through the API and their flows (the shape of every child operation). */
import { createTree, watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
let lbId: string;
let flows: Flows;

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  lbId = (await createTree(sys, { vipSubnetId: VIP_SUBNET })).loadBalancerId;
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.amphoraDriver.failUpdates = false;
  sys.amphoraDriver.latencyMs = 0;
});

/** Awaits the flows started so far (which settle the object and its load balancer); returns the object. */
const settled = (collection: string, id: string) => flows.settledView(`/v2/lbaas/${collection}/${id}`);

const gone = (path: string) => flows.gone(path);

const amphoraConfig = async () => {
  const amp = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });
  return sys.amphoraDriver.configOf(amp.id);
};

it('creates a listener: 201 PENDING_CREATE with the LB PENDING_UPDATE, then both ACTIVE and the amphora configured', async () => {
  const res = await sys.api('POST', '/v2/lbaas/listeners', {
    listener: { name: 'http', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId },
  });
  expect(res.status).toBe(201);
  expect(res.body.listener).toMatchObject({
    name: 'http',
    description: '',
    provisioning_status: 'PENDING_CREATE',
    operating_status: 'OFFLINE',
    protocol: 'HTTP',
    protocol_port: 80,
    connection_limit: -1,
    timeout_client_data: 50000,
    timeout_member_connect: 5000,
    timeout_member_data: 50000,
    timeout_tcp_inspect: 0,
    insert_headers: {},
    allowed_cidrs: null,
    client_authentication: 'NONE',
    loadbalancers: [{ id: lbId }],
    default_pool_id: null,
    sni_container_refs: [],
    tags: [],
  });
  const lbNow = (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
  expect(['PENDING_UPDATE', 'ACTIVE']).toContain(lbNow.provisioning_status);

  const listener = await settled('listeners', res.body.listener.id);
  expect(listener.provisioning_status).toBe('ACTIVE');
  expect((await amphoraConfig())?.listeners.map((l) => l.protocolPort)).toEqual([80]);
  const lb = (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
  expect(lb.listeners).toEqual([{ id: listener.id }]);

  // Both spellings of the load balancer filter work (openstacksdk and the openstack CLI).
  for (const key of ['loadbalancer_id', 'load_balancer_id']) {
    const list = await sys.api('GET', `/v2/lbaas/listeners?${key}=${lbId}`);
    expect(list.body.listeners.map((l: { id: string }) => l.id)).toEqual([listener.id]);
  }
});

it('refuses a second listener on the same protocol and port (409) and changes nothing', async () => {
  const before = await sys.db.listener.count();
  const res = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId } });
  expect(res).toMatchObject({
    status: 409,
    body: { faultcode: 'Client', faultstring: 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80', debuginfo: null },
  });
  expect(await sys.db.listener.count()).toBe(before);
  expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status).toBe('ACTIVE');
});

it('answers 409 for any child change while the load balancer is PENDING_UPDATE', async () => {
  sys.amphoraDriver.latencyMs = 1500; // holds the first flow in its configuration step
  const first = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 8443, loadbalancer_id: lbId } });
  expect(first.status).toBe(201);
  const before = await sys.db.listener.count();
  const second = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 8444, loadbalancer_id: lbId } });
  expect(second).toMatchObject({ status: 409, body: { faultstring: `Load Balancer ${lbId} is immutable and cannot be updated.` } });
  const put = await sys.api('PUT', `/v2/lbaas/listeners/${first.body.listener.id}`, { listener: { name: 'x' } });
  expect(put.status).toBe(409);
  expect(await sys.db.listener.count()).toBe(before);
  expect((await settled('listeners', first.body.listener.id)).provisioning_status).toBe('ACTIVE');
});

it('updates a listener: the response shows the change as PENDING_UPDATE, the flow applies it', async () => {
  const id = (await sys.api('GET', `/v2/lbaas/listeners?protocol_port=80&loadbalancer_id=${lbId}`)).body.listeners[0].id;
  const res = await sys.api('PUT', `/v2/lbaas/listeners/${id}`, { listener: { connection_limit: 100, description: 'hello' } });
  expect(res.status).toBe(200);
  expect(res.body.listener).toMatchObject({ connection_limit: 100, description: 'hello', provisioning_status: 'PENDING_UPDATE' });
  const after = await settled('listeners', id);
  expect(after).toMatchObject({ connection_limit: 100, description: 'hello', provisioning_status: 'ACTIVE' });
  expect((await amphoraConfig())?.listeners.find((l) => l.id === id)?.connectionLimit).toBe(100);

  const bad = await sys.api('PUT', `/v2/lbaas/listeners/${id}`, { listener: { protocol_port: 81 } });
  expect(bad).toMatchObject({ status: 400, body: { faultstring: 'Unknown attribute for argument listener_.listener: protocol_port' } });
});

it('a configuration push that fails leaves the listener ERROR and the load balancer ACTIVE', async () => {
  sys.amphoraDriver.failUpdates = true;
  const res = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 8080, loadbalancer_id: lbId } });
  expect(res.status).toBe(201);
  const listener = await settled('listeners', res.body.listener.id);
  expect(listener.provisioning_status).toBe('ERROR');
  expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  sys.amphoraDriver.failUpdates = false;
  // An ERROR listener can be deleted.
  expect((await sys.api('DELETE', `/v2/lbaas/listeners/${listener.id}`)).status).toBe(204);
  await gone(`/v2/lbaas/listeners/${listener.id}`);
});

it('refuses to delete a load balancer with children unless cascade', async () => {
  const res = await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lbId}`);
  expect(res).toMatchObject({ status: 400, body: { faultstring: `Validation failure: Cannot delete Load Balancer ${lbId} - it has children` } });
});

it('deletes a listener: 204, then gone from the API and from the amphora configuration', async () => {
  const id = (await sys.api('GET', `/v2/lbaas/listeners?protocol_port=80&loadbalancer_id=${lbId}`)).body.listeners[0].id;
  expect((await sys.api('DELETE', `/v2/lbaas/listeners/${id}`)).status).toBe(204);
  await gone(`/v2/lbaas/listeners/${id}`);
  expect((await settled('loadbalancers', lbId)).provisioning_status).toBe('ACTIVE');
  expect((await amphoraConfig())?.listeners.map((l) => l.id)).not.toContain(id);
});
