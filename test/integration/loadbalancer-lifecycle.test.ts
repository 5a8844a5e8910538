/**
 * The rest of the load balancer's life: update, spares, amphora and load balancer failover, the
 * ACTIVE_STANDBY topology, cascade delete — each with its failure path.
 */
import { randomUUID } from 'node:crypto';
import { watchFlows, VIP_SUBNET } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

async function createActiveLb(sys: TestSystem, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, ...extra } });
  expect(res.status).toBe(201);
  await settledLb(sys, res.body.loadbalancer.id, 'ACTIVE');
  return res.body.loadbalancer.id;
}

/** Awaits the flows started so far (test/support/fixtures.ts); the load balancer has left PENDING_* by then. */
async function settledLb(sys: TestSystem, id: string, expected?: string) {
  const lb = await watchFlows(sys).settledView(`/v2/lbaas/loadbalancers/${id}`);
  expect(lb.provisioning_status).not.toMatch(/^PENDING/);
  if (expected) expect(lb.provisioning_status).toBe(expected);
  return lb;
}

/** Awaits the flows started so far, then expects the load balancer gone. */
async function gone(sys: TestSystem, id: string) {
  await watchFlows(sys).settled();
  expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).status).toBe(404);
}

const amphoraeOf = (sys: TestSystem, lbId: string) =>
  sys.db.amphora.findMany({ where: { loadBalancerId: lbId }, orderBy: { createdAt: 'asc' } });

/** Every live no-op instance belongs to an amphora row that is not DELETED: nothing leaked. */
async function expectNoOrphans(sys: TestSystem) {
  const live = await sys.compute.liveInstances();
  const rows = await sys.db.amphora.findMany({ where: { computeId: { in: live.map((i) => i.id) } } });
  const tracked = new Set(rows.filter((r) => r.status !== 'DELETED').map((r) => r.computeId));
  expect(live.filter((i) => !tracked.has(i.id)).map((i) => i.name)).toEqual([]);
}

describe('SINGLE topology', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
    watchFlows(sys); // from the first request on
  });
  afterAll(async () => {
    await sys?.stop();
  });
  afterEach(async () => {
    sys.compute.faults = {};
    sys.amphoraDriver.failUpdates = false;
    sys.amphoraDriver.latencyMs = 0;
    await expectNoOrphans(sys);
  });

  it('updates a load balancer: merged PENDING_UPDATE answer, then ACTIVE; admin_state_up stops the amphora service', async () => {
    const id = await createActiveLb(sys, { name: 'before' });
    sys.amphoraDriver.latencyMs = 1000; // holds the update flow in its configuration step
    const res = await sys.api('PUT', `/v2/lbaas/loadbalancers/${id}`, { loadbalancer: { name: 'after', admin_state_up: false } });
    expect(res.status).toBe(200);
    expect(res.body.loadbalancer).toMatchObject({ name: 'after', admin_state_up: false, provisioning_status: 'PENDING_UPDATE' });
    const again = await sys.api('PUT', `/v2/lbaas/loadbalancers/${id}`, { loadbalancer: { name: 'x' } });
    expect(again).toMatchObject({ status: 409, body: { faultstring: `Invalid state PENDING_UPDATE of loadbalancer resource ${id}` } });
    sys.amphoraDriver.latencyMs = 0;
    const lb = await settledLb(sys, id, 'ACTIVE');
    // Without heartbeats the operating status stays what it was: OFFLINE (as in Octavia).
    expect(lb).toMatchObject({ admin_state_up: false, operating_status: 'OFFLINE' });
    const [amp] = await amphoraeOf(sys, id);
    expect(sys.amphoraDriver.configOf(amp!.id)?.enabled).toBe(false);

    const bad = await sys.api('PUT', `/v2/lbaas/loadbalancers/${id}`, { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
    expect(bad).toMatchObject({ status: 400, body: { faultstring: 'Unknown attribute for argument load_balancer.loadbalancer: vip_subnet_id' } });
  });

  it('claims a READY spare instead of building (create_amphora makes the spare)', async () => {
    const spareId = randomUUID();
    await sys.temporal.workflow.execute('createAmphora', {
      taskQueue: sys.config.temporal.taskQueue,
      workflowId: `amphora-${spareId}-create`,
      args: [{ amphoraId: spareId, bootTimeoutSeconds: 30 }],
    });
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: spareId } })).status).toBe('READY');
    const built = (await sys.compute.liveInstances()).length;

    const id = await createActiveLb(sys);
    const amphorae = await amphoraeOf(sys, id);
    expect(amphorae.map((a) => [a.id, a.status, a.role])).toEqual([[spareId, 'ALLOCATED', 'STANDALONE']]);
    expect((await sys.compute.liveInstances()).length).toBe(built);
  });

  it('a failed create releases the claimed spare back to the pool', async () => {
    const spareId = randomUUID();
    await sys.temporal.workflow.execute('createAmphora', {
      taskQueue: sys.config.temporal.taskQueue,
      workflowId: `amphora-${spareId}-create`,
      args: [{ amphoraId: spareId, bootTimeoutSeconds: 30 }],
    });
    sys.amphoraDriver.failUpdates = true;
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
    await settledLb(sys, res.body.loadbalancer.id, 'ERROR');
    const spare = await sys.db.amphora.findUniqueOrThrow({ where: { id: spareId } });
    expect([spare.status, spare.loadBalancerId, spare.role]).toEqual(['READY', null, null]);
  });

  it('fails an amphora over through the API: a new amphora takes its role, the old one is deleted', async () => {
    const id = await createActiveLb(sys);
    const [old] = await amphoraeOf(sys, id);
    const res = await sys.api('PUT', `/v2/octavia/amphorae/${old!.id}/failover`);
    expect(res.status).toBe(202);
    await settledLb(sys, id, 'ACTIVE');
    const amphorae = await amphoraeOf(sys, id);
    const replaced = amphorae.find((a) => a.id === old!.id)!;
    const fresh = amphorae.filter((a) => a.status === 'ALLOCATED');
    expect(replaced.status).toBe('DELETED');
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.role).toBe('STANDALONE');
    expect(sys.amphoraDriver.configOf(fresh[0]!.id)?.loadBalancerId).toBe(id);
    expect((await sys.compute.liveInstances()).map((i) => i.id)).not.toContain(old!.computeId);
    const shown = await sys.api('GET', `/v2/octavia/amphorae?loadbalancer_id=${id}`);
    expect(shown.body.amphorae.map((a: { id: string }) => a.id)).toEqual([fresh[0]!.id]);
  });

  it("shows an amphora with the no-op network's VRRP and HA ports, vrrp_id 1 and its certificate's expiry, as Octavia does", async () => {
    const id = await createActiveLb(sys);
    const lb = (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer;
    const [row] = await amphoraeOf(sys, id);
    const res = await sys.api('GET', `/v2/octavia/amphorae/${row!.id}`);
    expect(res.status).toBe(200);
    const amphora = res.body.amphora;
    expect(amphora).toMatchObject({
      vrrp_port_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      ha_port_id: lb.vip_port_id,
      vrrp_ip: '198.51.100.1',
      ha_ip: lb.vip_address,
      vrrp_id: 1,
    });
    // [certificates] cert_validity_time: 30 days from the build, in Octavia's date format.
    expect(amphora.cert_expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const days = (Date.parse(`${amphora.cert_expiration}Z`) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    // A second plug of the same amphora (a retried step) finds the same port.
    expect((await sys.network.plugVip({ amphoraId: row!.id, computeId: row!.computeId! }, {
      ipAddress: lb.vip_address, portId: lb.vip_port_id, subnetId: lb.vip_subnet_id, networkId: lb.vip_network_id,
    }, 'SINGLE')).vrrpPortId).toBe(amphora.vrrp_port_id);
  });

  it('fails over an amphora whose compute instance is already gone', async () => {
    const id = await createActiveLb(sys);
    const [old] = await amphoraeOf(sys, id);
    await sys.compute.delete(old!.computeId!);
    expect((await sys.api('PUT', `/v2/octavia/amphorae/${old!.id}/failover`)).status).toBe(202);
    await settledLb(sys, id, 'ACTIVE');
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: old!.id } })).status).toBe('DELETED');
    expect((await amphoraeOf(sys, id)).filter((a) => a.status === 'ALLOCATED')).toHaveLength(1);
  });

  it('a failover that cannot build a replacement leaves the LB ERROR, the old amphora in place, nothing leaked', async () => {
    const id = await createActiveLb(sys);
    const [old] = await amphoraeOf(sys, id);
    sys.compute.faults = { statusError: true };
    expect((await sys.api('PUT', `/v2/lbaas/loadbalancers/${id}/failover`)).status).toBe(202);
    await settledLb(sys, id, 'ERROR');
    const amphorae = await amphoraeOf(sys, id);
    expect(amphorae.find((a) => a.id === old!.id)?.status).toBe('ALLOCATED');
    expect(amphorae.filter((a) => a.id !== old!.id).map((a) => a.status)).toEqual(['DELETED']);
    sys.compute.faults = {};
    // Failover is allowed from ERROR, and repairs the load balancer.
    expect((await sys.api('PUT', `/v2/lbaas/loadbalancers/${id}/failover`)).status).toBe(202);
    await settledLb(sys, id, 'ACTIVE');
  });

  it('cascade delete removes the children, the amphora and its instance', async () => {
    const id = await createActiveLb(sys);
    const l = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 22, loadbalancer_id: id } });
    await settledLb(sys, id, 'ACTIVE');
    const [amp] = await amphoraeOf(sys, id);
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${id}?cascade=True`)).status).toBe(204);
    await gone(sys, id);
    expect(await sys.db.listener.findUnique({ where: { id: l.body.listener.id } })).toBeNull();
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: amp!.id } })).status).toBe('DELETED');
  });
});

describe('ACTIVE_STANDBY topology', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' });
    watchFlows(sys); // from the first request on
  });
  afterAll(async () => {
    await sys?.stop();
  });
  afterEach(async () => {
    sys.compute.faults = {};
    await expectNoOrphans(sys);
  });

  it('builds a MASTER and a BACKUP in an anti-affinity server group; delete removes all three', async () => {
    const id = await createActiveLb(sys);
    const amphorae = await amphoraeOf(sys, id);
    expect(amphorae.map((a) => a.role).sort()).toEqual(['BACKUP', 'MASTER']);
    expect(amphorae.every((a) => a.status === 'ALLOCATED')).toBe(true);
    const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
    expect(lb.topology).toBe('ACTIVE_STANDBY');
    expect(lb.serverGroupId).toEqual(expect.any(String));

    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${id}`)).status).toBe(204);
    await gone(sys, id);
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).serverGroupId).toBeNull();
    expect((await amphoraeOf(sys, id)).map((a) => a.status)).toEqual(['DELETED', 'DELETED']);
  });

  it('a failed pair build deletes both instances and the server group', async () => {
    sys.compute.faults = { statusError: true };
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
    const id = res.body.loadbalancer.id;
    await settledLb(sys, id, 'ERROR');
    await sys.temporal.workflow.getHandle(`loadbalancer-${id}-create`).result().catch(() => undefined);
    expect((await amphoraeOf(sys, id)).map((a) => a.status)).toEqual(['DELETED', 'DELETED']);
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).serverGroupId).toBeNull();
  });

  it('load balancer failover replaces BACKUP then MASTER, keeping the roles', async () => {
    const id = await createActiveLb(sys);
    const before = await amphoraeOf(sys, id);
    expect((await sys.api('PUT', `/v2/lbaas/loadbalancers/${id}/failover`)).status).toBe(202);
    await settledLb(sys, id, 'ACTIVE');
    const after = (await amphoraeOf(sys, id)).filter((a) => a.status === 'ALLOCATED');
    expect(after.map((a) => a.role).sort()).toEqual(['BACKUP', 'MASTER']);
    expect(after.map((a) => a.id).some((x) => before.some((b) => b.id === x))).toBe(false);
  });
});
