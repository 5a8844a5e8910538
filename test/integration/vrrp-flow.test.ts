/**
 * The VRRP steps of the flows against the no-op drivers (real PostgreSQL and Temporal): an
 * ACTIVE_STANDBY load balancer gets one VRRP group and keepalived on both amphorae, a failover gives
 * the replacement its role's keepalived and tells the survivor, the group's password never appears in
 * a workflow history, and a SINGLE load balancer gets none of it. test/integration/data-plane-active-standby.test.ts
 * runs the same steps against real amphorae.
 */
import { randomUUID } from 'node:crypto';
import { AmphoraAgentRequestError } from '../../drivers/amphora/errors';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

jest.setTimeout(120_000);

let sys: TestSystem;
let flavorId: string;
const uploads: string[] = [];
/** Amphorae whose keepalived upload fails (an agent that refuses, or is gone). */
const refusing = new Set<string>();

beforeAll(async () => {
  sys = await startTestSystem({ KEEPALIVED_VRRP_ADVERT_INT: '2', KEEPALIVED_VRRP_CHECK_INTERVAL: '3' });
  const upload = sys.amphoraDriver.uploadVrrpConfig.bind(sys.amphoraDriver);
  sys.amphoraDriver.uploadVrrpConfig = async (amphora, text) => {
    uploads.push(amphora.amphoraId);
    if (refusing.has(amphora.amphoraId)) throw new AmphoraAgentRequestError(`Injected: amphora ${amphora.amphoraId} refused its keepalived configuration.`);
    return upload(amphora, text);
  };
  const profile = await sys.api('POST', '/v2/lbaas/flavorprofiles', {
    flavorprofile: { name: `pair-${randomUUID()}`, provider_name: 'amphora', flavor_data: JSON.stringify({ loadbalancer_topology: 'ACTIVE_STANDBY' }) },
  });
  flavorId = (await sys.api('POST', '/v2/lbaas/flavors', { flavor: { name: `pair-${randomUUID()}`, flavor_profile_id: profile.body.flavorprofile.id } })).body.flavor.id;
});

afterAll(async () => {
  await sys?.stop();
});

afterEach(() => {
  sys.failingSteps.clear();
  refusing.clear();
});

async function settledLb(id: string) {
  return eventually(async () => {
    const row = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
    return row.provisioningStatus.startsWith('PENDING') ? undefined : row;
  }, 30_000, `load balancer ${id} to settle`);
}

async function activeLb(id: string) {
  const row = await settledLb(id);
  expect(row.provisioningStatus).toBe('ACTIVE');
  return row;
}

async function createPair() {
  const created = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, flavor_id: flavorId } });
  expect(created.status).toBe(201);
  return created.body.loadbalancer.id as string;
}

async function history(workflowId: string): Promise<string> {
  return JSON.stringify(await sys.temporal.workflow.getHandle(workflowId).fetchHistory());
}

const liveAmphorae = (loadBalancerId: string) =>
  sys.db.amphora.findMany({ where: { loadBalancerId, status: 'ALLOCATED' }, orderBy: { role: 'asc' } });

test('an ACTIVE_STANDBY create makes one VRRP group and starts keepalived on both amphorae, MASTER and BACKUP', async () => {
  const lb = await activeLb(await createPair());

  const group = await sys.db.vrrpGroup.findUniqueOrThrow({ where: { loadBalancerId: lb.id } });
  expect(group).toEqual({ loadBalancerId: lb.id, vrrpGroupName: lb.id.replaceAll('-', ''), vrrpAuthType: 'PASS', vrrpAuthPass: expect.stringMatching(/^[0-9a-f]{7}$/), advertInt: 2 });

  const [master, backup] = await liveAmphorae(lb.id);
  expect([master!.role, master!.vrrpPriority, master!.vrrpId, master!.vrrpInterface]).toEqual(['MASTER', 100, 1, 'eth1']);
  expect([backup!.role, backup!.vrrpPriority, backup!.vrrpId, backup!.vrrpInterface]).toEqual(['BACKUP', 90, 1, 'eth1']);
  for (const [amphora, state, priority] of [[master!, 'MASTER', 100], [backup!, 'BACKUP', 90]] as const) {
    const conf = sys.amphoraDriver.vrrpConfigs.get(amphora.id)!;
    expect(conf).toContain(`vrrp_instance ${group.vrrpGroupName} {\n    state ${state}\n    interface eth1\n    virtual_router_id 1\n    priority ${priority}\n`);
    expect(conf).toContain(`    advert_int 2\n    authentication {\n        auth_type PASS\n        auth_pass ${group.vrrpAuthPass}\n    }`);
    expect(conf).toContain(`    interval 3\n`);
    expect(conf).toContain(`    virtual_ipaddress {\n        ${lb.vipAddress}\n    }`);
    expect(sys.amphoraDriver.vrrpStarted.has(amphora.id)).toBe(true);
  }
  // The secret stays in the database and the rendered text: not in the flow's inputs, results or failures.
  expect(await history(`loadbalancer-${lb.id}-create`)).not.toContain(group.vrrpAuthPass);
});

test("a failover gives the replacement its role's keepalived, tells the survivor, and keeps the group", async () => {
  const lb = await activeLb(await createPair());
  const group = await sys.db.vrrpGroup.findUniqueOrThrow({ where: { loadBalancerId: lb.id } });
  const [master, backup] = await liveAmphorae(lb.id);

  uploads.length = 0;
  expect((await sys.api('PUT', `/v2/octavia/amphorae/${master!.id}/failover`)).status).toBe(202);
  await sys.temporal.workflow.getHandle(`amphora-${master!.id}-failover`).result();
  await activeLb(lb.id);

  const [replacement, survivor] = await liveAmphorae(lb.id);
  expect(survivor!.id).toBe(backup!.id);
  expect(replacement!.id).not.toBe(master!.id);
  expect([replacement!.role, replacement!.vrrpPriority, replacement!.vrrpId, replacement!.vrrpInterface]).toEqual(['MASTER', 100, 1, 'eth1']);
  expect(sys.amphoraDriver.vrrpConfigs.get(replacement!.id)).toContain(`    state MASTER\n`);
  expect(sys.amphoraDriver.vrrpStarted.has(replacement!.id)).toBe(true);
  // The replacement first, then the survivor learns its new peer.
  expect(uploads).toEqual([replacement!.id, survivor!.id]);
  expect(await sys.db.vrrpGroup.findUniqueOrThrow({ where: { loadBalancerId: lb.id } })).toEqual(group);
  expect(await history(`amphora-${master!.id}-failover`)).not.toContain(group.vrrpAuthPass);
});

test('a SINGLE load balancer gets no VRRP group and no keepalived', async () => {
  const created = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  const lb = await activeLb(created.body.loadbalancer.id);
  const [amphora] = await liveAmphorae(lb.id);
  expect(await sys.db.vrrpGroup.findUnique({ where: { loadBalancerId: lb.id } })).toBeNull();
  expect(sys.amphoraDriver.vrrpConfigs.has(amphora!.id)).toBe(false);
  // vrrp_id 1 on every plugged amphora, as Octavia's UpdateAmphoraeVIPData records it; no keepalived interface.
  expect([amphora!.vrrpId, amphora!.vrrpInterface, amphora!.vrrpPriority]).toEqual([1, null, null]);
});

test('a create whose keepalived cannot be configured compensates: LB ERROR, both amphorae gone', async () => {
  sys.failingSteps.add('configureAmphoraVrrp');
  const lb = await settledLb(await createPair());
  expect(lb.provisioningStatus).toBe('ERROR');
  await sys.temporal.workflow.getHandle(`loadbalancer-${lb.id}-create`).result().catch(() => undefined);
  expect((await sys.db.amphora.findMany({ where: { loadBalancerId: lb.id } })).filter((a) => a.status !== 'DELETED')).toEqual([]);
});

test("a failover whose replacement's keepalived fails leaves the old pair as it was (LB ERROR, replacement gone)", async () => {
  const lb = await activeLb(await createPair());
  const [master, backup] = await liveAmphorae(lb.id);
  sys.failingSteps.add('configureAmphoraVrrp');
  expect((await sys.api('PUT', `/v2/octavia/amphorae/${master!.id}/failover`)).status).toBe(202);
  await sys.temporal.workflow.getHandle(`amphora-${master!.id}-failover`).result().catch(() => undefined);
  expect((await settledLb(lb.id)).provisioningStatus).toBe('ERROR');
  const left = await sys.db.amphora.findMany({ where: { loadBalancerId: lb.id, status: { not: 'DELETED' } }, orderBy: { role: 'asc' } });
  expect(left.map((a) => [a.id, a.status])).toEqual([
    [master!.id, 'ALLOCATED'],
    [backup!.id, 'ALLOCATED'],
  ]);
});

test('a survivor that cannot learn its new peer does not undo the failover (Octavia skips it)', async () => {
  const lb = await activeLb(await createPair());
  const [master, backup] = await liveAmphorae(lb.id);
  refusing.add(backup!.id);
  expect((await sys.api('PUT', `/v2/octavia/amphorae/${master!.id}/failover`)).status).toBe(202);
  await sys.temporal.workflow.getHandle(`amphora-${master!.id}-failover`).result();
  await activeLb(lb.id);
  const [replacement, survivor] = await liveAmphorae(lb.id);
  expect([replacement!.role, survivor!.id]).toEqual(['MASTER', backup!.id]);
  expect(uploads.filter((id) => id === backup!.id).length).toBeGreaterThanOrEqual(2);
});
