/**
 * The network driver contract (test/support/network-contract.ts) against the no-op driver and the
 * Neutron driver on the Neutron + Nova + Keystone emulators (test/emulators/neutron), attaching ports
 * through the Nova compute driver. The local driver's run (a real octavia-agent amphora in namespaces;
 * root) is network-contract-local.test.ts, in the system suite.
 *
 * On Neutron, after every scenario, the emulator must hold no port, security group or rule the
 * scenario did not leave on purpose. The tests after the contract check what only Neutron has: the
 * calls in Octavia's order and bodies, the security group rules, QoS, the attach rewrite and the
 * detach wait, the extension checks, and which failures are retryable.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { loadOpenStackConfig } from '../../config/openstack';
import { createNovaDriver, type NovaComputeDriver } from '../../drivers/compute/nova';
import {
  AllocateVipError,
  InvalidNetworkRequest,
  NetworkError,
  NoopNetworkDriver,
  PlugVipError,
  VipInUse,
  type AmphoraRef,
  type Vip,
} from '../../drivers/network';
import { createNeutronDriver, type NeutronNetworkDriver } from '../../drivers/network/neutron';
import type { NeutronConfig } from '../../drivers/network/neutron';
import { startNeutronCloud, type NeutronCloud } from '../emulators/neutron';
import { LISTENERS, networkDriverContract, outcome } from '../support/network-contract';

networkDriverContract('no-op', { keepsState: false }, async () => ({
  driver: new NoopNetworkDriver(),
  subnetId: randomUUID(),
  networkId: randomUUID(),
  cidr: '198.51.100.0/24',
  freeAddress: () => '198.51.100.7',
  outsideAddress: '203.0.113.9',
  amphora: { amphoraId: randomUUID(), computeId: randomUUID() },
  teardown: async () => {},
}));

const SETTINGS: NeutronConfig = {
  requestTimeoutSeconds: 2,
  circuitBreaker: { threshold: 5, resetSeconds: 30 },
  portDetachTimeoutSeconds: 5,
  retryIntervalSeconds: 0.05,
  maxRetries: 3,
};

interface NeutronSetup {
  cloud: NeutronCloud;
  nova: NovaComputeDriver;
  net: NeutronNetworkDriver;
  networkId: string;
  subnetId: string;
  amphora: AmphoraRef;
  make(settings?: Partial<NeutronConfig>): NeutronNetworkDriver;
  stop(): Promise<void>;
}

/** The emulated cloud, a VIP network 10.77.0.0/24, the Nova and Neutron drivers, one ACTIVE amphora. */
async function neutronSetup(): Promise<NeutronSetup> {
  const cloud = await startNeutronCloud({ nova: { bootMs: 50, deleteMs: 50 }, neutron: { activeMs: 10, detachMs: 150 } });
  const c = cloud.nova.credentials;
  const os = loadOpenStackConfig({ OS_AUTH_URL: cloud.nova.authUrl, OS_USERNAME: c.username, OS_PASSWORD: c.password, OS_PROJECT_NAME: c.projectName, NOVA_REQUEST_TIMEOUT_SECONDS: '5' });
  const log = pino({ level: 'silent' });
  const nova = createNovaDriver(os, { log });
  const made: NeutronNetworkDriver[] = [];
  const make = (settings: Partial<NeutronConfig> = {}) => {
    const d = createNeutronDriver(os, { ...SETTINGS, ...settings }, nova, { log });
    made.push(d);
    return d;
  };
  const { networkId, subnetId } = cloud.neutron.addNetwork({ name: 'vip-net', cidr: '10.77.0.0/24' });
  const amphoraId = randomUUID();
  const computeId = await nova.build({ name: `amphora-${amphoraId}`, flavorId: cloud.nova.seed.amphoraFlavorId, imageId: cloud.nova.seed.amphoraImageId });
  for (let i = 0; (await nova.status(computeId)) !== 'ACTIVE'; i += 1) {
    if (i > 200) throw new Error('amphora not ACTIVE');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    cloud,
    nova,
    net: make(),
    networkId,
    subnetId,
    amphora: { amphoraId, computeId },
    make,
    async stop() {
      await nova.delete(computeId);
      for (const d of made) d.close();
      nova.close();
      await cloud.stop();
    },
  };
}

networkDriverContract('neutron (emulator)', { keepsState: true }, async () => {
  const n = await neutronSetup();
  let host = 100;
  return {
    driver: n.net,
    subnetId: n.subnetId,
    networkId: n.networkId,
    cidr: '10.77.0.0/24',
    freeAddress: () => `10.77.0.${(host += 1)}`,
    outsideAddress: '10.99.0.5',
    amphora: n.amphora,
    leftovers: () => {
      const left = n.cloud.neutron.inventory();
      return { ports: left.ports.map((p) => `${p.name} ${p.id}`), securityGroups: left.securityGroups, rules: left.rules };
    },
    teardown: () => n.stop(),
  };
});

describe('neutron driver: what only Neutron has', () => {
  let n: NeutronSetup;
  let mark = 0;

  beforeAll(async () => {
    n = await neutronSetup();
    await n.net.checkExtensions();
  });
  afterAll(async () => {
    await n?.stop();
  });
  afterEach(() => {
    n.cloud.neutron.faults.next = [];
    n.cloud.neutron.faults.latencyMs = 0;
    // Every test cleans up what it made: nothing may be left.
    const left = n.cloud.neutron.inventory();
    expect({ ports: left.ports.map((p) => `${p.name} ${p.id}`), securityGroups: left.securityGroups, rules: left.rules }).toEqual({ ports: [], securityGroups: [], rules: [] });
  });

  /** The Neutron and os-interface calls since `mark`, ids replaced by the names given. */
  function calls(names: Record<string, string>): string[] {
    return n.cloud.nova.requests
      .slice(mark)
      .filter((r) => r.path.startsWith('/network/') || r.path.includes('/os-interface'))
      .map((r) => {
        let line = `${r.method} ${decodeURIComponent(r.path).replace('/network/v2.0', '').replace('/compute/v2.1', 'nova ')}`;
        for (const [id, name] of Object.entries(names)) line = line.split(id).join(name);
        return line;
      });
  }
  const since = () => (mark = n.cloud.nova.requests.length);
  const bodyOf = (method: string, re: RegExp) => n.cloud.nova.requests.slice(mark).find((r) => r.method === method && re.test(r.path))?.body;
  const portsNamed = (name: string) => [...n.cloud.neutron.state.ports.values()].filter((p) => p.name === name);
  const groupOf = (lbId: string) => [...n.cloud.neutron.state.securityGroups.values()].find((g) => g.name === `lb-${lbId}`);
  const ingress = (groupId: string) =>
    n.cloud.neutron.state
      .rulesOf(groupId)
      .filter((r) => r.direction === 'ingress')
      .map((r) => `${r.protocol}${r.portRangeMax === null ? '' : `/${r.portRangeMax}`}${r.remoteIpPrefix ? ` from ${r.remoteIpPrefix}` : ''} ${r.ethertype}`)
      .sort();

  it("checks the extensions once, in Octavia's order; without allowed-address-pairs or security-group it refuses, finally", async () => {
    const fresh = n.make();
    since();
    expect(await fresh.checkExtensions()).toEqual({ securityGroup: true, allowedAddressPairs: true, qos: true, dnsIntegration: false, projectId: true });
    await fresh.getSubnet(n.subnetId);
    expect(calls({ [n.subnetId]: '{subnet}' })).toEqual([
      'GET /extensions/security-group',
      'GET /extensions/dns-integration',
      'GET /extensions/qos',
      'GET /extensions/allowed-address-pairs',
      'GET /extensions/project-id',
      'GET /subnets/{subnet}',
    ]);
    for (const alias of ['allowed-address-pairs', 'security-group']) {
      n.cloud.neutron.extensions.delete(alias);
      try {
        const err = await outcome(n.make().allocateVip({ loadBalancerId: randomUUID(), projectId: 'demo', subnetId: n.subnetId }));
        expect(err).toBeInstanceOf(NetworkError);
        expect(err).toMatchObject({
          retryable: false,
          message: `The ${alias} extension is not enabled in neutron. This driver cannot be used with the ${alias} extension disabled.`,
        });
      } finally {
        n.cloud.neutron.extensions.add(alias);
      }
    }
    expect(portsNamed('')).toEqual([]);
  });

  it('allocateVip: the port and the security group as Octavia makes them, in its order', async () => {
    const lbId = randomUUID();
    since();
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'project-a', subnetId: n.subnetId, ipAddress: '10.77.0.50' });
    const group = groupOf(lbId);
    const names = { [vip.portId]: '{vip}', [n.subnetId]: '{subnet}', [group?.id ?? '-']: '{sg}', [lbId]: '{lb}' };
    expect(calls(names)).toEqual([
      'GET /ports?name=octavia-lb-{lb}',
      'GET /subnets/{subnet}',
      'POST /ports',
      'GET /security-groups?name=lb-{lb}',
      'POST /security-groups',
      'PUT /ports/{vip}',
    ]);
    expect(bodyOf('POST', /\/ports$/)).toEqual({
      port: {
        name: `octavia-lb-${lbId}`,
        network_id: n.networkId,
        admin_state_up: false,
        device_id: `lb-${lbId}`,
        device_owner: 'Octavia',
        project_id: 'project-a',
        fixed_ips: [{ subnet_id: n.subnetId, ip_address: '10.77.0.50' }],
      },
    });
    expect(bodyOf('POST', /\/security-groups$/)).toEqual({ security_group: { name: `lb-${lbId}` } });
    expect(bodyOf('PUT', /\/ports\//)).toEqual({ port: { security_groups: [group?.id] } });
    expect(n.cloud.neutron.state.port(vip.portId)).toMatchObject({ adminStateUp: false, projectId: 'project-a', securityGroups: [group?.id] });
    // A re-entry: found by name, nothing written.
    since();
    expect(await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'project-a', subnetId: n.subnetId, ipAddress: '10.77.0.50' })).toEqual(vip);
    expect(calls(names)).toEqual(['GET /ports?name=octavia-lb-{lb}', 'GET /security-groups?name=lb-{lb}']);
    since();
    await n.net.deallocateVip(lbId, vip);
    expect(calls(names)).toEqual(['GET /ports/{vip}', 'GET /security-groups?name=lb-{lb}', 'PUT /ports/{vip}', 'DELETE /security-groups/{sg}', 'DELETE /ports/{vip}']);
  });

  it('allocateVip: a lost answer is found again, not made twice; a failure after the port is made leaves nothing; a full subnet is VipInUse', async () => {
    const lbId = randomUUID();
    n.cloud.neutron.faults.next = [{ method: 'POST', path: /\/ports$/, status: 504, after: true }];
    const lost = await outcome(n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', subnetId: n.subnetId }));
    expect(lost).toBeInstanceOf(AllocateVipError);
    expect(lost).toMatchObject({ retryable: true });
    expect(portsNamed(`octavia-lb-${lbId}`)).toHaveLength(1);
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', subnetId: n.subnetId });
    expect(portsNamed(`octavia-lb-${lbId}`).map((p) => p.id)).toEqual([vip.portId]);
    await n.net.deallocateVip(lbId, vip);

    const other = randomUUID();
    n.cloud.neutron.faults.next = [{ method: 'POST', path: /\/security-groups$/, status: 500 }];
    expect(await outcome(n.net.allocateVip({ loadBalancerId: other, projectId: 'demo', subnetId: n.subnetId }))).toMatchObject({ name: 'AllocateVipError', retryable: true });
    expect(portsNamed(`octavia-lb-${other}`)).toEqual([]);
    // The group made, its assignment failing: the group goes too (the afterEach checks it).
    n.cloud.neutron.faults.next = [{ method: 'PUT', path: /\/ports\//, status: 503 }];
    expect(await outcome(n.net.allocateVip({ loadBalancerId: other, projectId: 'demo', subnetId: n.subnetId }))).toMatchObject({ name: 'AllocateVipError', retryable: true });
    expect(portsNamed(`octavia-lb-${other}`)).toEqual([]);
    expect(groupOf(other)).toBeUndefined();

    const tiny = n.cloud.neutron.addNetwork({ name: 'tiny', cidr: '10.79.0.0/29', allocationPools: [{ start: '10.79.0.2', end: '10.79.0.3' }] });
    const vips: Array<[string, Vip]> = [];
    for (let i = 0; i < 2; i += 1) {
      const id = randomUUID();
      vips.push([id, await n.net.allocateVip({ loadBalancerId: id, projectId: 'demo', subnetId: tiny.subnetId })]);
    }
    const full = await outcome(n.net.allocateVip({ loadBalancerId: randomUUID(), projectId: 'demo', subnetId: tiny.subnetId }));
    expect(full).toBeInstanceOf(VipInUse);
    expect((full as Error).message).toBe(`No more IP addresses available on network ${tiny.networkId}.`);
    for (const [id, v] of vips) await n.net.deallocateVip(id, v);
  });

  it("plugVip: the VRRP port, Nova's attach (Neutron sees the port rewritten), the pair, the group, QoS; unplug waits for the detach", async () => {
    const lbId = randomUUID();
    const qos = n.cloud.neutron.addQosPolicy('vip-qos');
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', subnetId: n.subnetId, qosPolicyId: qos });
    expect(vip.qosPolicyId).toBe(qos);
    const { amphoraId, computeId } = n.amphora;
    since();
    const plugged = await n.net.plugVip(n.amphora, vip, 'SINGLE');
    const group = groupOf(lbId)?.id as string;
    const names = { [plugged.vrrpPortId]: '{vrrp}', [vip.portId]: '{vip}', [n.subnetId]: '{subnet}', [n.networkId]: '{net}', [computeId]: '{server}', [amphoraId]: '{amp}' };
    expect(calls(names)).toEqual([
      'GET /ports?name=octavia-lb-vrrp-{amp}',
      'POST /ports',
      'POST nova /servers/{server}/os-interface',
      'PUT /ports/{vrrp}',
      'GET /ports/{vip}',
      'PUT /ports/{vrrp}',
      'PUT /ports/{vrrp}',
      'GET /subnets/{subnet}',
      'GET /networks/{net}',
    ]);
    expect(bodyOf('POST', /\/ports$/)).toEqual({
      port: { name: `octavia-lb-vrrp-${amphoraId}`, network_id: n.networkId, fixed_ips: [{ subnet_id: n.subnetId }], admin_state_up: true, device_owner: 'Octavia' },
    });
    expect(bodyOf('POST', /os-interface$/)).toEqual({ interfaceAttachment: { port_id: plugged.vrrpPortId } });
    const puts = n.cloud.nova.requests.slice(mark).filter((r) => r.method === 'PUT').map((r) => r.body);
    expect(puts).toEqual([
      { port: { allowed_address_pairs: [{ ip_address: vip.ipAddress }] } },
      { port: { security_groups: [group] } },
      { port: { qos_policy_id: qos } },
    ]);
    const port = n.cloud.neutron.state.port(plugged.vrrpPortId);
    expect(port).toMatchObject({
      deviceOwner: 'compute:nova',
      deviceId: computeId,
      hostId: 'novaref-compute',
      vifType: 'ovs',
      allowedAddressPairs: [{ ipAddress: vip.ipAddress, macAddress: port.macAddress }],
      securityGroups: [group],
      qosPolicyId: qos,
    });
    expect(plugged).toEqual({
      vrrpPortId: port.id,
      vrrpIp: port.fixedIps[0]?.ipAddress,
      haPortId: vip.portId,
      haIp: vip.ipAddress,
      macAddress: port.macAddress,
      subnetCidr: '10.77.0.0/24',
      gateway: '10.77.0.1',
      hostRoutes: [],
      mtu: 1450,
    });

    since();
    await n.net.unplugVip(n.amphora, vip);
    const unplug = calls(names);
    expect(unplug[0]).toBe('GET /ports?name=octavia-lb-vrrp-{amp}');
    expect(unplug[1]).toBe('DELETE nova /servers/{server}/os-interface/{vrrp}');
    // Nova releases the port 150 ms later: polled until Neutron no longer lists it on the server.
    const polls = unplug.slice(2, -2);
    expect(polls.length).toBeGreaterThan(1);
    expect(new Set(polls)).toEqual(new Set(['GET /ports?device_id={server}']));
    expect(unplug.slice(-2)).toEqual(['PUT /ports/{vrrp}', 'DELETE /ports/{vrrp}']);
    expect(portsNamed(`octavia-lb-vrrp-${amphoraId}`)).toEqual([]);
    await n.net.deallocateVip(lbId, vip);
    n.cloud.neutron.state.deleteQosPolicy(qos);
  });

  it('plugVip: an attach that fails deletes the VRRP port it made; an unplug whose detach does not finish goes on after the timeout', async () => {
    const lbId = randomUUID();
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', subnetId: n.subnetId });
    const ghost = { amphoraId: randomUUID(), computeId: randomUUID() };
    const err = await outcome(n.net.plugVip(ghost, vip, 'SINGLE'));
    expect(err).toBeInstanceOf(PlugVipError);
    expect(err).toMatchObject({ retryable: false });
    expect(portsNamed(`octavia-lb-vrrp-${ghost.amphoraId}`)).toEqual([]);

    const slow = n.make({ portDetachTimeoutSeconds: 0.3 });
    await slow.plugVip(n.amphora, vip, 'SINGLE');
    n.cloud.neutron.state.opts.detachMs = 60_000;
    try {
      const started = Date.now();
      await slow.unplugVip(n.amphora, vip);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(portsNamed(`octavia-lb-vrrp-${n.amphora.amphoraId}`)).toEqual([]);
    } finally {
      n.cloud.neutron.state.opts.detachMs = 150;
    }
    await n.net.deallocateVip(lbId, vip);
  });

  it('updateVip: one ingress rule per listener port, protocol and CIDR (+ VRRP and AH for ACTIVE_STANDBY), removed with their listener; 409 and 404 tolerated', async () => {
    const lbId = randomUUID();
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', subnetId: n.subnetId });
    const group = groupOf(lbId)?.id as string;
    await n.net.updateVip(lbId, vip, LISTENERS, 'SINGLE');
    expect(ingress(group)).toEqual(['tcp/443 from 10.0.0.0/8 IPv4', 'tcp/80 IPv4', 'udp/53 IPv4']);
    await n.net.updateVip(lbId, vip, [...LISTENERS, { protocol: 'SCTP', protocolPort: 3868, allowedCidrs: [] }], 'ACTIVE_STANDBY');
    expect(ingress(group)).toEqual(['112 IPv4', '51 IPv4', 'sctp/3868 IPv4', 'tcp/443 from 10.0.0.0/8 IPv4', 'tcp/80 IPv4', 'udp/53 IPv4']);
    // Nothing to change: two reads, no writes.
    since();
    await n.net.updateVip(lbId, vip, [...LISTENERS, { protocol: 'SCTP', protocolPort: 3868, allowedCidrs: [] }], 'ACTIVE_STANDBY');
    expect(calls({ [group]: '{sg}', [lbId]: '{lb}' })).toEqual(['GET /security-groups?name=lb-{lb}', 'GET /security-group-rules?security_group_id={sg}']);
    // A rule made meanwhile by another try (409) and one deleted meanwhile (404) are fine.
    n.cloud.neutron.faults.next = [
      { method: 'POST', path: /security-group-rules$/, status: 409, body: { NeutronError: { type: 'SecurityGroupRuleExists', message: 'Security group rule already exists. Rule id is x.', detail: '' } } },
      { method: 'DELETE', path: /security-group-rules\//, status: 404, after: true, body: { NeutronError: { type: 'SecurityGroupRuleNotFound', message: 'Security group rule x does not exist', detail: '' } } },
    ];
    await n.net.updateVip(lbId, vip, [{ protocol: 'HTTP', protocolPort: 80, allowedCidrs: [] }, { protocol: 'HTTP', protocolPort: 8080, allowedCidrs: [] }], 'ACTIVE_STANDBY');
    expect(n.cloud.neutron.faults.next).toEqual([]);
    // The 8080 rule's create was answered 409 (as if another try had made it): not there now, made next time.
    await n.net.updateVip(lbId, vip, [{ protocol: 'HTTP', protocolPort: 80, allowedCidrs: [] }, { protocol: 'HTTP', protocolPort: 8080, allowedCidrs: [] }], 'ACTIVE_STANDBY');
    expect(ingress(group)).toEqual(['112 IPv4', '51 IPv4', 'tcp/80 IPv4', 'tcp/8080 IPv4']);
    await n.net.deallocateVip(lbId, vip);
    // No group: final for listeners to filter, nothing to do without.
    expect(await outcome(n.net.updateVip(lbId, vip, LISTENERS, 'SINGLE'))).toMatchObject({ name: 'NetworkError', retryable: false });
    await expect(n.net.updateVip(lbId, vip, [], 'SINGLE')).resolves.toBeUndefined();
  });

  it("deallocateVip: a user's port stays (without our group); a VRRP port left behind is cleaned so the group can go", async () => {
    const userPort = n.cloud.neutron.state.createPort({ projectId: 'demo', networkId: n.networkId, name: 'my-vip', fixedIps: [{ subnetId: n.subnetId, ipAddress: '10.77.0.77' }] });
    const lbId = randomUUID();
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', portId: userPort.id });
    expect(vip).toMatchObject({ portId: userPort.id, ipAddress: '10.77.0.77', subnetId: n.subnetId });
    const group = groupOf(lbId)?.id;
    expect(userPort.securityGroups).toEqual([group]);
    expect(await outcome(n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', portId: userPort.id, ipAddress: '10.77.0.78' }))).toBeInstanceOf(InvalidNetworkRequest);
    // Plugged, never unplugged: the VRRP port keeps the group in use.
    await n.net.plugVip(n.amphora, vip, 'SINGLE');
    await n.net.deallocateVip(lbId, vip);
    expect(n.cloud.neutron.state.port(userPort.id)).toMatchObject({ name: 'my-vip', securityGroups: [] });
    expect(groupOf(lbId)).toBeUndefined();
    expect(portsNamed(`octavia-lb-vrrp-${n.amphora.amphoraId}`)).toEqual([]);
    n.cloud.neutron.state.deletePort(userPort.id);
  });

  it("the API's lookups: QoS policies, and a network's free addresses", async () => {
    const qos = n.cloud.neutron.addQosPolicy('gold');
    expect(await n.net.getQosPolicy(qos)).toEqual({ id: qos, name: 'gold' });
    expect(await outcome(n.net.getQosPolicy(randomUUID()))).toMatchObject({ name: 'NetworkObjectNotFound', kind: 'QoS Policy', retryable: false });
    const lbId = randomUUID();
    const vip = await n.net.allocateVip({ loadBalancerId: lbId, projectId: 'demo', networkId: n.networkId });
    expect(vip).toMatchObject({ networkId: n.networkId, subnetId: n.subnetId });
    expect(await n.net.getNetworkIpAvailability(n.networkId)).toEqual({
      networkId: n.networkId,
      totalIps: 253,
      usedIps: 1,
      subnets: [{ subnetId: n.subnetId, cidr: '10.77.0.0/24', ipVersion: 4, totalIps: 253, usedIps: 1 }],
    });
    expect(await outcome(n.net.getNetworkIpAvailability(randomUUID()))).toMatchObject({ name: 'NetworkObjectNotFound', kind: 'Network' });
    await n.net.deallocateVip(lbId, vip);
    n.cloud.neutron.state.deleteQosPolicy(qos);
  });

  it('Neutron failing: 5xx and timeouts are retryable, a 4xx is final; NEUTRON_ENDPOINT replaces the catalog', async () => {
    n.cloud.neutron.faults.next = [{ method: 'GET', path: /\/subnets\//, status: 503 }];
    expect(await outcome(n.net.getSubnet(n.subnetId))).toMatchObject({ name: 'NetworkError', retryable: true, message: expect.stringContaining('503') });
    n.cloud.neutron.faults.next = [{ method: 'GET', path: /\/subnets\//, status: 403, body: { NeutronError: { type: 'HTTPForbidden', message: 'no', detail: '' } } }];
    expect(await outcome(n.net.getSubnet(n.subnetId))).toMatchObject({ name: 'NetworkError', retryable: false });
    const impatient = n.make({ requestTimeoutSeconds: 0.2 });
    await impatient.checkExtensions();
    n.cloud.neutron.faults.latencyMs = 500;
    expect(await outcome(impatient.getSubnet(n.subnetId))).toMatchObject({ name: 'NetworkError', retryable: true, message: expect.stringContaining('did not answer') });
    n.cloud.neutron.faults.latencyMs = 0;
    const direct = n.make({ endpoint: `${n.cloud.nova.networkUrl}/v2.0` });
    expect(await direct.getNetwork(n.networkId)).toMatchObject({ id: n.networkId, name: 'vip-net', mtu: 1450, subnetIds: [n.subnetId] });
  });
});
