/**
 * Member networks (patch member-network-steps), against the Nova + Neutron emulators: a member whose
 * subnet_id is on a network the amphora is not plugged into gets the amphora a NIC there (Nova makes
 * the port, os-interface with net_id) and the agent's post_network_plug; the last member there gone,
 * the NIC goes; a failover's replacement is plugged as its predecessor was; a cascade delete leaves no
 * port on the member network.
 */
import { awaitFlow, watchFlows } from '../support/fixtures';
import { startNeutronTestSystem, type NeutronTestSystem } from '../support/neutron-system';
import { eventually } from '../support/system';

jest.setTimeout(120_000);

let sys: NeutronTestSystem;
let members: { networkId: string; subnetId: string };
beforeAll(async () => {
  sys = await startNeutronTestSystem();
  members = sys.cloud.neutron.addNetwork({ name: 'members-net', cidr: '10.90.0.0/24' });
});
afterAll(async () => {
  await sys?.stop();
});

/** The amphora's ports on the member network, as Neutron has them (Nova's and Neutron's time moved on first). */
const nicsOn = (computeId: string, networkId: string) => {
  sys.cloud.nova.liveServers();
  return sys.cloud.neutron.inventory().ports.filter((p) => p.deviceId === computeId && p.networkId === networkId);
};

async function amphoraOf(lbId: string) {
  return sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });
}

it('plugs a member network with its first member, keeps it for the second, unplugs it with the last', async () => {
  const flows = watchFlows(sys);
  const lbRes = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: sys.vipSubnetId } });
  const lb = lbRes.body.loadbalancer.id as string;
  await awaitFlow(sys, `loadbalancer-${lb}-create`);
  const pool = (await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool.id as string;
  await flows.settled();
  const amphora = await amphoraOf(lb);
  const computeId = amphora.computeId!;
  expect(nicsOn(computeId, members.networkId)).toEqual([]);

  // A member on the VIP subnet needs no other network.
  const onVip = await sys.api('POST', `/v2/lbaas/pools/${pool}/members`, { member: { address: '10.77.0.60', protocol_port: 80, subnet_id: sys.vipSubnetId } });
  await flows.settled();
  expect(onVip.status).toBe(201);
  expect((await sys.network.getPluggedNetworks(computeId)).map((n) => n.networkId)).toEqual([sys.vipNetworkId]);

  const first = (await sys.api('POST', `/v2/lbaas/pools/${pool}/members`, { member: { address: '10.90.0.10', protocol_port: 80, subnet_id: members.subnetId } })).body.member.id;
  await flows.settled();
  const [nic] = nicsOn(computeId, members.networkId);
  expect(nic).toMatchObject({ deviceOwner: 'compute:nova', fixedIps: [{ subnetId: members.subnetId, ipAddress: expect.stringMatching(/^10\.90\.0\./) }] });
  // post_network_plug got the NIC by its MAC, with its subnet's CIDR and gateway and the network's MTU.
  expect(sys.amphoraDriver.networkPlugs.get(amphora.id)?.get(nic!.macAddress)).toEqual({
    networkId: members.networkId,
    portId: nic!.id,
    macAddress: nic!.macAddress,
    mtu: 1450,
    fixedIps: [{ subnetId: members.subnetId, ipAddress: nic!.fixedIps[0]!.ipAddress, subnetCidr: '10.90.0.0/24', gateway: '10.90.0.1', hostRoutes: [] }],
  });
  expect((await sys.api('GET', `/v2/lbaas/pools/${pool}/members/${first}`)).body.member.provisioning_status).toBe('ACTIVE');

  const second = (await sys.api('POST', `/v2/lbaas/pools/${pool}/members`, { member: { address: '10.90.0.11', protocol_port: 80, subnet_id: members.subnetId } })).body.member.id;
  await flows.settled();
  expect(nicsOn(computeId, members.networkId).map((p) => p.id)).toEqual([nic!.id]);

  expect((await sys.api('DELETE', `/v2/lbaas/pools/${pool}/members/${first}`)).status).toBe(204);
  await flows.settled();
  expect(nicsOn(computeId, members.networkId).map((p) => p.id)).toEqual([nic!.id]);

  expect((await sys.api('DELETE', `/v2/lbaas/pools/${pool}/members/${second}`)).status).toBe(204);
  await flows.settled();
  expect(nicsOn(computeId, members.networkId)).toEqual([]);
  expect(sys.cloud.neutron.state.ports.has(nic!.id)).toBe(false);
  // The VIP network stays.
  expect((await sys.network.getPluggedNetworks(computeId)).map((n) => n.networkId)).toEqual([sys.vipNetworkId]);
  expect(await sys.leaks()).toEqual({ extra: [], missing: [] });
});

it('plugs a failover replacement into its members networks; a cascade delete leaves no port on them', async () => {
  const flows = watchFlows(sys);
  const lbRes = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: sys.vipSubnetId } });
  const lb = lbRes.body.loadbalancer.id as string;
  await awaitFlow(sys, `loadbalancer-${lb}-create`);
  const pool = (await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool.id as string;
  await flows.settled();
  // A batch update is a member change too.
  expect((await sys.api('PUT', `/v2/lbaas/pools/${pool}/members`, { members: [{ address: '10.90.0.20', protocol_port: 80, subnet_id: members.subnetId }] })).status).toBe(202);
  await flows.settled();
  const old = await amphoraOf(lb);
  expect(nicsOn(old.computeId!, members.networkId)).toHaveLength(1);

  expect((await sys.api('PUT', `/v2/lbaas/loadbalancers/${lb}/failover`)).status).toBe(202);
  await flows.settled();
  const replacement = await amphoraOf(lb);
  expect(replacement.id).not.toBe(old.id);
  const [nic] = nicsOn(replacement.computeId!, members.networkId);
  expect(nic).toBeDefined();
  expect(sys.amphoraDriver.networkPlugs.get(replacement.id)?.has(nic!.macAddress)).toBe(true);
  // The old amphora's instance is gone (Nova deletes it a moment after the 204), and its member port with it.
  await eventually(async () => (nicsOn(old.computeId!, members.networkId).length === 0 ? true : undefined), 5000, "the old amphora's member port to go");

  expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb}?cascade=true`)).status).toBe(204);
  await awaitFlow(sys, `loadbalancer-${lb}-delete`);
  await eventually(async () => (sys.cloud.nova.liveServers() && sys.cloud.neutron.inventory().ports.every((p) => p.networkId !== members.networkId) ? true : undefined), 5000, 'no port on the member network');
  expect(await sys.leaks()).toEqual({ extra: [], missing: [] });
});
