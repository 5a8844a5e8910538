/**
 * The API's VIP and member-subnet checks through the network driver (domain/validate.ts
 * validateVipRequest, checkMemberSubnets), as Octavia's _validate_vip_request_object and
 * validate.subnet_exists: against the Neutron emulator (NETWORK_DRIVER=neutron, COMPUTE_DRIVER=nova on
 * the Nova emulator), against the no-op driver (Octavia's no-op answers), and the local driver's "no
 * QoS here" on its own (no namespaces needed for a lookup).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalNetworkDriver } from '../../drivers/network';
import { validateVipRequest } from '../../domain/validate';
import { awaitFlow } from '../support/fixtures';
import { startNeutronTestSystem, type NeutronTestSystem } from '../support/neutron-system';
import { PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

jest.setTimeout(120_000);

const fault = (text: string) => ({ faultcode: 'Client', faultstring: text, debuginfo: null });

describe('VIP validation against Neutron', () => {
  let sys: NeutronTestSystem;
  beforeAll(async () => {
    sys = await startNeutronTestSystem();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const post = (lb: Record<string, unknown>) => sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: lb });
  const created = async (lb: Record<string, unknown>) => {
    const res = await post(lb);
    expect([res.status, res.text]).toEqual([201, expect.any(String)]);
    await awaitFlow(sys, `loadbalancer-${res.body.loadbalancer.id}-create`);
    return res.body.loadbalancer as Record<string, string | null>;
  };

  it('refuses an unknown vip_subnet_id with 400 `Subnet <id> not found.`, and makes nothing', async () => {
    const id = randomUUID();
    const before = sys.cloud.neutron.inventory();
    const res = await post({ vip_subnet_id: id });
    expect([res.status, res.body]).toEqual([400, fault(`Subnet ${id} not found.`)]);
    expect(sys.cloud.neutron.inventory().ports.length).toBe(before.ports.length);
    expect(await sys.db.loadBalancer.count({ where: { vipSubnetId: id } })).toBe(0);
  });

  it('refuses an unknown vip_network_id, and a subnet that is not on the network', async () => {
    const id = randomUUID();
    expect((await post({ vip_network_id: id })).body).toEqual(fault(`Network ${id} not found.`));
    const other = sys.cloud.neutron.addNetwork({ name: 'other', cidr: '10.88.0.0/24' });
    const res = await post({ vip_network_id: sys.vipNetworkId, vip_subnet_id: other.subnetId });
    expect([res.status, res.body]).toEqual([400, fault(`Subnet ${other.subnetId} not found.`)]);
  });

  it('fills in the subnet of a vip_network_id (by its free addresses, or the one holding vip_address)', async () => {
    const lb = await created({ vip_network_id: sys.vipNetworkId });
    expect(lb).toMatchObject({ vip_network_id: sys.vipNetworkId, vip_subnet_id: sys.vipSubnetId, vip_address: expect.stringMatching(/^10\.77\.0\./) });
    const byAddress = await created({ vip_network_id: sys.vipNetworkId, vip_address: '10.77.0.200' });
    expect(byAddress).toMatchObject({ vip_subnet_id: sys.vipSubnetId, vip_address: '10.77.0.200' });
    const res = await post({ vip_network_id: sys.vipNetworkId, vip_address: '10.99.0.5' });
    expect([res.status, res.body]).toEqual([400, fault('Validation failure: Supplied network does not contain a subnet for VIP address specified.')]);
  });

  it('needs two free addresses on a vip_network_id for SINGLE and three for ACTIVE_STANDBY (network-ip-availabilities)', async () => {
    // A /29 whose pool is two addresses, as the recording's tiny subnet (07).
    const tiny = sys.cloud.neutron.addNetwork({ name: 'tiny', cidr: '10.79.0.0/29', allocationPools: [{ start: '10.79.0.2', end: '10.79.0.3' }] });
    const profile = await sys.api('POST', '/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: 'pair', provider_name: 'amphora', flavor_data: JSON.stringify({ loadbalancer_topology: 'ACTIVE_STANDBY' }) },
    });
    const flavor = await sys.api('POST', '/v2/lbaas/flavors', { flavor: { name: `pair-${randomUUID().slice(0, 8)}`, flavor_profile_id: profile.body.flavorprofile.id } });
    const pair = await post({ vip_network_id: tiny.networkId, flavor_id: flavor.body.flavor.id });
    expect([pair.status, pair.body]).toEqual([400, fault('Validation failure: Subnet(s) in the supplied network do not contain enough available IPs.')]);
    // The same network is enough for one amphora: its VIP and VRRP port take the two addresses.
    const single = await created({ vip_network_id: tiny.networkId });
    expect(single).toMatchObject({ vip_subnet_id: tiny.subnetId });
    const full = await post({ vip_network_id: tiny.networkId });
    expect(full.body).toEqual(fault('Validation failure: Subnet(s) in the supplied network do not contain enough available IPs.'));
  });

  it('checks a vip_port_id: exists, not in use, its address (and QoS policy) become the VIP', async () => {
    const missing = randomUUID();
    expect((await post({ vip_port_id: missing })).body).toEqual(fault(`Port ${missing} not found.`));
    const qos = sys.cloud.neutron.addQosPolicy('port-qos');
    const port = sys.cloud.neutron.state.createPort({ projectId: PROJECT_ID, networkId: sys.vipNetworkId, name: 'user-vip', qosPolicyId: qos });
    const wrong = await post({ vip_port_id: port.id, vip_address: '10.77.0.250' });
    expect(wrong.body).toEqual(fault('Validation failure: Specified VIP address not found on the specified VIP port.'));
    const lb = await created({ vip_port_id: port.id });
    expect(lb).toMatchObject({ vip_port_id: port.id, vip_address: port.fixedIps[0]!.ipAddress, vip_subnet_id: sys.vipSubnetId, vip_network_id: sys.vipNetworkId, vip_qos_policy_id: qos });
    // A port some device holds (here another load balancer's VIP port, device_id lb-<id>) is refused.
    const other = await created({ vip_subnet_id: sys.vipSubnetId });
    const held = sys.cloud.neutron.state.port(other.vip_port_id!);
    const res = await post({ vip_port_id: held.id });
    expect([res.status, res.body]).toEqual([400, fault(`Validation failure: Port ${held.id} is already used by device ${held.deviceId} `)]);
  });

  it('checks vip_qos_policy_id: unknown is 400 `qos_policy <id> not found.`, a known one is the VIP\'s', async () => {
    const id = randomUUID();
    expect((await post({ vip_subnet_id: sys.vipSubnetId, vip_qos_policy_id: id })).body).toEqual(fault(`qos_policy ${id} not found.`));
    const qos = sys.cloud.neutron.addQosPolicy('vip-qos');
    const lb = await created({ vip_subnet_id: sys.vipSubnetId, vip_qos_policy_id: qos });
    expect(lb.vip_qos_policy_id).toBe(qos);
    // The amphora's VRRP port carries it (apply_qos_on_port).
    const amphora = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lb.id as string } });
    expect(sys.cloud.neutron.state.port(amphora.vrrpPortId!).qosPolicyId).toBe(qos);
  });

  it('checks a member subnet_id (create and batch update), once per subnet', async () => {
    const lb = await created({ vip_subnet_id: sys.vipSubnetId });
    const pool = await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } });
    await awaitFlow(sys, `pool-${pool.body.pool.id}-create`);
    const members = `/v2/lbaas/pools/${pool.body.pool.id}/members`;
    const id = randomUUID();
    const res = await sys.api('POST', members, { member: { address: '10.77.0.50', protocol_port: 80, subnet_id: id } });
    expect([res.status, res.body]).toEqual([400, fault(`Subnet ${id} not found.`)]);
    const batch = await sys.api('PUT', members, { members: [{ address: '10.77.0.51', protocol_port: 80, subnet_id: sys.vipSubnetId }, { address: '10.77.0.52', protocol_port: 80, subnet_id: id }] });
    expect([batch.status, batch.body]).toEqual([400, fault(`Subnet ${id} not found.`)]);
    expect(await sys.db.member.count({ where: { poolId: pool.body.pool.id } })).toBe(0);
    const ok = await sys.api('POST', members, { member: { address: '10.77.0.50', protocol_port: 80, subnet_id: sys.vipSubnetId } });
    expect(ok.status).toBe(201);
    await awaitFlow(sys, `member-${ok.body.member.id}-create`);
  });

  it('leaves Neutron holding exactly what the database knows', async () => {
    expect(await sys.leaks()).toEqual({ extra: [], missing: [] });
  });
});

describe('VIP validation against the no-op driver (Octavia no-op answers)', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('accepts any network, its subnets, ports and QoS policies, and fills in what the request left out', async () => {
    const network = randomUUID();
    const onlyNetwork = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_network_id: network } });
    expect(onlyNetwork.status).toBe(201);
    expect(onlyNetwork.body.loadbalancer).toMatchObject({ vip_network_id: network, vip_subnet_id: expect.any(String) });
    const subnet = randomUUID();
    const both = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_network_id: network, vip_subnet_id: subnet, vip_qos_policy_id: randomUUID() } });
    expect(both.body.loadbalancer).toMatchObject({ vip_network_id: network, vip_subnet_id: subnet });
    // The subnet stays on the network it was seen on.
    const again = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnet } });
    expect(again.body.loadbalancer).toMatchObject({ vip_network_id: network, vip_subnet_id: subnet });
    const port = randomUUID();
    const byPort = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_port_id: port } });
    expect(byPort.body.loadbalancer).toMatchObject({ vip_port_id: port, vip_address: '198.51.100.1', vip_subnet_id: expect.any(String) });
    for (const res of [onlyNetwork, both, again, byPort]) await awaitFlow(sys, `loadbalancer-${res.body.loadbalancer.id}-create`);
  });
});

describe('VIP validation against the local driver', () => {
  const net = new LocalNetworkDriver({ stateDir: mkdtempSync(path.join(tmpdir(), 'vip-validation-')) });

  it('has no QoS: a vip_qos_policy_id is refused as Octavia refuses it without Neutron qos', async () => {
    await expect(validateVipRequest(net, { subnetId: net.subnetId, qosPolicyId: randomUUID() }, 'SINGLE')).rejects.toMatchObject({
      code: 400,
      message: 'Validation failure: VIP QoS policy is not allowed in this deployment.',
    });
  });

  it('knows its one network: unknown ones are 400s, its subnet is found from it and its free addresses', async () => {
    expect(await validateVipRequest(net, { networkId: net.networkId }, 'ACTIVE_STANDBY')).toMatchObject({ networkId: net.networkId, subnetId: net.subnetId });
    const id = randomUUID();
    await expect(validateVipRequest(net, { networkId: id }, 'SINGLE')).rejects.toMatchObject({ code: 400, message: `Network ${id} not found.` });
    await expect(validateVipRequest(net, { subnetId: id }, 'SINGLE')).rejects.toMatchObject({ code: 400, message: `Subnet ${id} not found.` });
  });
});
