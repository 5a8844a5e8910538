/**
 * The local network driver (NETWORK_DRIVER=local): one tenant network on this machine, made of Linux
 * namespaces the project creates, with Neutron's semantics for what the flows and the API see.
 *
 *   root netns ── <uplink> 169.254.160.2/24 ─veth─ uplink ┐
 *                                                          │ br-tenant 169.254.160.1/24 (the gateway)
 *   amphora ethN (MAC fa:16:3e:..) ─veth─ tap<port id> ────┤   in netns `octavia-tenant`
 *   member eth0 (its own netns) ─veth─ tap<port id> ───────┘
 *
 * - One network and one subnet with fixed ids (LOCAL_NETWORK_ID, LOCAL_SUBNET_ID), CIDR
 *   LOCAL_TENANT_CIDR; host 1 is the gateway (the bridge), host 2 the root namespace's leg, so the host
 *   reaches every VIP directly (`curl http://<vip>/`).
 * - Ports (VIP, VRRP, members) and their addresses live in `<stateDir>/network.json`, changed under a
 *   lock (drivers/network/local/store.ts): Neutron's allocation rules (a requested address is honoured,
 *   taken → VipInUse (409), outside the subnet → InvalidNetworkRequest (400), full → VipInUse), one
 *   VIP port per load balancer (a retried allocation finds it), one VRRP port per amphora.
 * - Plugging a port into an amphora makes a veth: `tap<port id[:11]>` on the bridge, the other end in
 *   the amphora's root netns as `eth<n>`, down and unconfigured, with the port's MAC, as Nova hot-plugs
 *   a NIC. The amphora agent finds it by MAC and moves it into its `amphora-haproxy` namespace.
 * - No security groups: everything is on this machine, and `updateVip` has nothing to filter.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { amphoraNetns } from '../../compute/local/names';
import { InvalidNetworkRequest, NetworkError, NetworkObjectNotFound, PlugVipError, VipInUse } from '../errors';
import type { AmphoraNetworkConfig, AmphoraRef, MemberNic, Network, NetworkDriver, NetworkIpAvailability, PluggedNic, Port, QosPolicy, Subnet, Vip, VipRequest } from '../port';
import { hostAt, hostNumber, parseCidr, randomMac, type Cidr } from './addresses';
import { deleteBridgedNetwork, deleteNetns, ensureBridgedNetwork, ensureNetns, ensureVeth, ip, ipDelete, linkExists, linkNames, netnsExists } from './ip';
import { JsonStore } from './store';

export const LOCAL_DEFAULTS = {
  tenantCidr: '169.254.160.0/24',
  /** The subnet id the API examples and the no-op tests use, so a request works with either driver. */
  subnetId: '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11',
  networkId: '5f2b7c1e-3d4a-4e8b-9c6d-7a1e2f3b4c5d',
  tenantNetns: 'octavia-tenant',
  tenantUplink: 'oct-tenant',
} as const;

const BRIDGE = 'br-tenant';
const MTU = 1500;
/** Neutron's owner for the ports Octavia makes (deallocateVip deletes only those). */
const OCTAVIA_OWNER = 'Octavia';

export interface LocalNetworkOptions {
  /** LOCAL_STATE_DIR: the network's state is `<stateDir>/network.json`. */
  stateDir: string;
  /** LOCAL_TENANT_CIDR (default 169.254.160.0/24). */
  tenantCidr?: string;
  /** LOCAL_SUBNET_ID / LOCAL_NETWORK_ID: the fixed ids of the one subnet and network. */
  subnetId?: string;
  networkId?: string;
  /** LOCAL_TENANT_NETNS: the namespace that holds the bridge (default octavia-tenant). */
  tenantNetns?: string;
  /** LOCAL_TENANT_UPLINK: the root namespace's interface on the network (at most 15 characters). */
  tenantUplink?: string;
}

export interface LocalPort {
  id: string;
  name: string;
  macAddress: string;
  ipAddress: string;
  deviceOwner: string;
  /** `lb-<id>` for a VIP port, the amphora id for a VRRP port, as Octavia sets them. */
  deviceId: string;
  loadBalancerId?: string;
  amphoraId?: string;
  /** Where the port is plugged: the compute instance whose netns holds the other end of its tap. */
  computeId?: string;
  /** A host made by addHost (a member): its namespace. */
  hostNetns?: string;
  projectId?: string;
}

interface NetworkState {
  ports: Record<string, LocalPort>;
}

/** A namespace on the tenant network (a member): addHost's result. */
export interface TenantHost {
  name: string;
  netns: string;
  ipAddress: string;
  port: LocalPort;
}

/** What the local compute driver calls to hot-plug a port into an amphora (attachPort/detachPort). */
export interface LocalPortPlug {
  plugPort(portId: string, computeId: string): Promise<void>;
  unplugPort(portId: string): Promise<void>;
  /** A deleted instance's ports stay (as Neutron's do) but are no longer plugged anywhere. */
  unplugInstance(computeId: string): Promise<void>;
}

export class LocalNetworkDriver implements NetworkDriver, LocalPortPlug {
  readonly name = 'local';
  readonly cidr: Cidr;
  readonly subnetId: string;
  readonly networkId: string;
  readonly tenantNetns: string;
  readonly gatewayIp: string;
  /** The root namespace's address on the tenant network, and its interface there. */
  readonly hostIp: string;
  readonly tenantUplink: string;
  private readonly store: JsonStore<NetworkState>;

  constructor(opts: LocalNetworkOptions) {
    this.cidr = parseCidr(opts.tenantCidr ?? LOCAL_DEFAULTS.tenantCidr);
    this.subnetId = opts.subnetId ?? LOCAL_DEFAULTS.subnetId;
    this.networkId = opts.networkId ?? LOCAL_DEFAULTS.networkId;
    this.tenantNetns = opts.tenantNetns ?? LOCAL_DEFAULTS.tenantNetns;
    this.tenantUplink = opts.tenantUplink ?? LOCAL_DEFAULTS.tenantUplink;
    if (this.tenantUplink.length > 15) throw new Error(`Interface name ${this.tenantUplink} is longer than 15 characters`);
    this.gatewayIp = hostAt(this.cidr, 1);
    this.hostIp = hostAt(this.cidr, 2);
    this.store = new JsonStore(path.join(opts.stateDir, 'network.json'), () => ({ ports: {} }));
  }

  // ---- lookups ------------------------------------------------------------------------------------

  async getSubnet(subnetId: string): Promise<Subnet> {
    if (subnetId !== this.subnetId) throw new NetworkObjectNotFound('Subnet', subnetId);
    return { id: this.subnetId, networkId: this.networkId, cidr: this.cidr.text, ipVersion: 4, gatewayIp: this.gatewayIp, hostRoutes: [] };
  }

  async getNetwork(networkId: string): Promise<Network> {
    if (networkId !== this.networkId) throw new NetworkObjectNotFound('Network', networkId);
    return { id: this.networkId, name: this.tenantNetns, subnetIds: [this.subnetId], mtu: MTU };
  }

  async getPort(portId: string): Promise<Port> {
    const port = (await this.store.read()).ports[portId];
    if (!port) throw new NetworkObjectNotFound('Port', portId);
    return this.toPort(port);
  }

  /** No QoS on a local bridge: the API refuses a vip_qos_policy_id, as Octavia without Neutron's qos. */
  async qosEnabled(): Promise<boolean> {
    return false;
  }

  async getQosPolicy(policyId: string): Promise<QosPolicy> {
    throw new NetworkObjectNotFound('QoS Policy', policyId);
  }

  /** As Neutron counts: the pool is every host but the gateway; the host's own leg is in use. */
  async getNetworkIpAvailability(networkId: string): Promise<NetworkIpAvailability> {
    if (networkId !== this.networkId) throw new NetworkObjectNotFound('Network', networkId);
    const ports = Object.values((await this.store.read()).ports);
    const totalIps = this.cidr.size - 3;
    const usedIps = 1 + ports.length;
    return { networkId, totalIps, usedIps, subnets: [{ subnetId: this.subnetId, cidr: this.cidr.text, ipVersion: 4, totalIps, usedIps }] };
  }

  // ---- member networks ----------------------------------------------------------------------------

  /** The instance's ports: all on the one tenant network (its VIP port). */
  async getPluggedNetworks(computeId: string): Promise<PluggedNic[]> {
    return Object.values((await this.store.read()).ports)
      .filter((p) => p.computeId === computeId)
      .map((p) => ({ networkId: this.networkId, portId: p.id, fixedIps: [{ subnetId: this.subnetId, ipAddress: p.ipAddress }] }));
  }

  /**
   * Members here are on the tenant network, which every amphora is plugged into already (its VIP's):
   * no member network is ever missing. Any other network does not exist.
   */
  async plugNetwork(_amphora: AmphoraRef, networkId: string): Promise<MemberNic> {
    throw new NetworkObjectNotFound('Network', networkId);
  }

  async unplugNetwork(): Promise<void> {}

  // ---- VIPs ---------------------------------------------------------------------------------------

  async allocateVip(request: VipRequest): Promise<Vip> {
    if (request.subnetId && request.subnetId !== this.subnetId) throw new NetworkObjectNotFound('Subnet', request.subnetId);
    if (request.networkId && request.networkId !== this.networkId) throw new NetworkObjectNotFound('Network', request.networkId);
    const port = await this.store.update((s) => {
      if (request.portId) {
        const given = s.ports[request.portId];
        if (!given) throw new NetworkObjectNotFound('Port', request.portId);
        if (request.ipAddress && given.ipAddress !== request.ipAddress) {
          throw new InvalidNetworkRequest(`Port ${given.id} does not have the IP address ${request.ipAddress}.`);
        }
        given.loadBalancerId = request.loadBalancerId;
        return given;
      }
      const existing = Object.values(s.ports).find((p) => p.deviceId === `lb-${request.loadBalancerId}`);
      if (existing) return existing;
      return this.newPort(s, {
        name: `octavia-lb-${request.loadBalancerId}`,
        deviceOwner: OCTAVIA_OWNER,
        deviceId: `lb-${request.loadBalancerId}`,
        loadBalancerId: request.loadBalancerId,
        projectId: request.projectId,
        ipAddress: request.ipAddress ?? undefined,
      });
    });
    return { ipAddress: port.ipAddress, portId: port.id, subnetId: this.subnetId, networkId: this.networkId, qosPolicyId: request.qosPolicyId ?? null };
  }

  /** Deletes the load balancer's VRRP ports (unplugged first) and its VIP port if Octavia made it. */
  async deallocateVip(loadBalancerId: string, vip: Vip): Promise<void> {
    const ports = Object.values((await this.store.read()).ports).filter(
      (p) => p.loadBalancerId === loadBalancerId && (p.amphoraId !== undefined || p.id === vip.portId),
    );
    for (const p of ports) await this.unplugPort(p.id);
    await this.store.update((s) => {
      for (const p of ports) {
        if (p.deviceOwner === OCTAVIA_OWNER) delete s.ports[p.id];
        else delete s.ports[p.id]?.loadBalancerId;
      }
    });
  }

  /** Both topologies plug the same: one layer-2 network, where keepalived moves the VIP by itself. */
  async plugVip(amphora: AmphoraRef, vip: Vip, _topology?: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<AmphoraNetworkConfig> {
    const vipPort = (await this.store.read()).ports[vip.portId];
    if (!vipPort) throw new NetworkObjectNotFound('Port', vip.portId);
    const vrrp = await this.store.update((s) => {
      const existing = Object.values(s.ports).find((p) => p.amphoraId === amphora.amphoraId && p.loadBalancerId === vipPort.loadBalancerId);
      return (
        existing ??
        this.newPort(s, {
          name: `octavia-lb-vrrp-${amphora.amphoraId}`,
          deviceOwner: OCTAVIA_OWNER,
          deviceId: amphora.amphoraId,
          amphoraId: amphora.amphoraId,
          loadBalancerId: vipPort.loadBalancerId,
          projectId: vipPort.projectId,
        })
      );
    });
    await this.plugPort(vrrp.id, amphora.computeId);
    return {
      vrrpPortId: vrrp.id,
      vrrpIp: vrrp.ipAddress,
      haPortId: vipPort.id,
      haIp: vipPort.ipAddress,
      macAddress: vrrp.macAddress,
      subnetCidr: this.cidr.text,
      gateway: this.gatewayIp,
      hostRoutes: [],
      mtu: MTU,
    };
  }

  /** Unplugs and deletes the amphora's VRRP port (Octavia deletes the VRRP port it made). */
  async unplugVip(amphora: AmphoraRef, vip: Vip): Promise<void> {
    const vipPort = (await this.store.read()).ports[vip.portId];
    const vrrp = Object.values((await this.store.read()).ports).filter(
      (p) => p.amphoraId === amphora.amphoraId && (!vipPort || p.loadBalancerId === vipPort.loadBalancerId),
    );
    for (const p of vrrp) await this.unplugPort(p.id);
    await this.store.update((s) => {
      for (const p of vrrp) delete s.ports[p.id];
    });
  }

  /** No security groups here: every address on this machine may reach every listener. */
  async updateVip(): Promise<void> {}

  // ---- ports and plugging -------------------------------------------------------------------------

  /** A port on the tenant network, not plugged anywhere (Neutron's POST /ports). */
  async createPort(opts: { name: string; deviceOwner?: string; deviceId?: string; ipAddress?: string }): Promise<LocalPort> {
    return this.store.update((s) => this.newPort(s, { deviceOwner: '', deviceId: '', ...opts }));
  }

  async deletePort(portId: string): Promise<void> {
    await this.unplugPort(portId);
    await this.store.update((s) => {
      delete s.ports[portId];
    });
  }

  /** Hot-plugs a port into an amphora: its tap on the bridge, its other end down in the amphora's netns. */
  async plugPort(portId: string, computeId: string): Promise<void> {
    const port = (await this.store.read()).ports[portId];
    if (!port) throw new NetworkObjectNotFound('Port', portId);
    const tap = tapName(port.id);
    if (port.computeId && port.computeId !== computeId && (await this.tapExists(tap))) {
      throw new NetworkError(`Port ${port.id} is still in use.`, { retryable: false });
    }
    const netns = amphoraNetns(computeId);
    if (!netnsExists(netns)) throw new PlugVipError(`Compute instance ${computeId} has no network namespace here.`, { retryable: false });
    await this.ensureNetwork();
    if (!(await linkExists(tap, this.tenantNetns))) {
      const names = new Set(await linkNames(netns));
      let n = 1;
      while (names.has(`eth${n}`)) n += 1;
      await ensureVeth({ name: tap, netns: this.tenantNetns, peerName: `eth${n}`, peerNetns: netns, peerMac: port.macAddress });
    }
    await ip(['link', 'set', tap, 'master', BRIDGE, 'up'], this.tenantNetns);
    await this.store.update((s) => {
      const p = s.ports[portId];
      if (p) p.computeId = computeId;
    });
  }

  /** Removes the port's tap (its other end goes with it, wherever the amphora moved it). */
  async unplugPort(portId: string): Promise<void> {
    if (netnsExists(this.tenantNetns)) await ipDelete(['link', 'delete', tapName(portId)], this.tenantNetns);
    await this.store.update((s) => {
      delete s.ports[portId]?.computeId;
    });
  }

  async unplugInstance(computeId: string): Promise<void> {
    const ports = Object.values((await this.store.read()).ports).filter((p) => p.computeId === computeId);
    for (const p of ports) await this.unplugPort(p.id);
  }

  /**
   * A namespace of its own on the tenant network (a member: scripts/member.ts): `eth0` with an address
   * of the subnet. Idempotent by name.
   */
  async addHost(name: string): Promise<TenantHost> {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new InvalidNetworkRequest(`Not a host name: ${name}`);
    const netns = `${this.tenantNetns}-${name}`;
    const port = await this.store.update((s) => {
      const existing = Object.values(s.ports).find((p) => p.hostNetns === netns);
      return existing ?? this.newPort(s, { name: `member-${name}`, deviceOwner: 'compute:local', deviceId: netns, hostNetns: netns });
    });
    await this.ensureNetwork();
    await ensureNetns(netns);
    await ensureVeth({ name: tapName(port.id), netns: this.tenantNetns, peerName: 'eth0', peerNetns: netns, peerMac: port.macAddress });
    await ip(['link', 'set', tapName(port.id), 'master', BRIDGE, 'up'], this.tenantNetns);
    await ip(['addr', 'replace', `${port.ipAddress}/${this.cidr.prefixLength}`, 'dev', 'eth0'], netns);
    await ip(['link', 'set', 'eth0', 'up'], netns);
    await ip(['route', 'replace', 'default', 'via', this.gatewayIp], netns);
    return { name, netns, ipAddress: port.ipAddress, port };
  }

  async removeHost(name: string): Promise<void> {
    const netns = `${this.tenantNetns}-${name}`;
    const port = Object.values((await this.store.read()).ports).find((p) => p.hostNetns === netns);
    if (port) await this.deletePort(port.id);
    await deleteNetns(netns);
  }

  /** The bridge, its namespace and the root namespace's leg; made at first use, checked after. */
  async ensureNetwork(): Promise<void> {
    await ensureBridgedNetwork({
      netns: this.tenantNetns,
      bridge: BRIDGE,
      bridgeAddress: `${this.gatewayIp}/${this.cidr.prefixLength}`,
      uplink: { hostName: this.tenantUplink, bridgeName: 'uplink', hostAddress: `${this.hostIp}/${this.cidr.prefixLength}` },
    });
  }

  /** Removes the whole network: hosts, taps, bridge, namespace, uplink, and the state (tests; an operator). */
  async destroy(): Promise<void> {
    for (const p of Object.values((await this.store.read()).ports)) {
      if (p.hostNetns) await deleteNetns(p.hostNetns);
    }
    await deleteBridgedNetwork({ netns: this.tenantNetns, uplink: { hostName: this.tenantUplink } });
    await this.store.update((s) => {
      s.ports = {};
    });
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private async tapExists(tap: string): Promise<boolean> {
    return netnsExists(this.tenantNetns) && linkExists(tap, this.tenantNetns);
  }

  /** A new port in `s` with the requested address, or the lowest free one (Neutron's rules). */
  private newPort(s: NetworkState, p: Omit<LocalPort, 'id' | 'macAddress' | 'ipAddress'> & { ipAddress?: string }): LocalPort {
    const taken = new Set(Object.values(s.ports).map((x) => x.ipAddress));
    taken.add(this.gatewayIp).add(this.hostIp);
    let address = p.ipAddress;
    if (address) {
      const n = hostNumber(this.cidr, address);
      if (n === undefined || n === 0 || n === this.cidr.size - 1) {
        throw new InvalidNetworkRequest(`IP address ${address} is not a valid IP for the specified subnet.`);
      }
      if (taken.has(address)) throw new VipInUse(`IP address ${address} already allocated in subnet ${this.subnetId}`);
    } else {
      for (let n = 1; n < this.cidr.size - 1 && !address; n += 1) {
        if (!taken.has(hostAt(this.cidr, n))) address = hostAt(this.cidr, n);
      }
      if (!address) throw new VipInUse(`No more IP addresses available on network ${this.networkId}.`);
    }
    const macs = new Set(Object.values(s.ports).map((x) => x.macAddress));
    let mac = randomMac();
    while (macs.has(mac)) mac = randomMac();
    const port: LocalPort = { ...p, id: randomUUID(), macAddress: mac, ipAddress: address };
    s.ports[port.id] = port;
    return port;
  }

  private toPort(p: LocalPort): Port {
    return {
      id: p.id,
      name: p.name,
      networkId: this.networkId,
      macAddress: p.macAddress,
      fixedIps: [{ subnetId: this.subnetId, ipAddress: p.ipAddress }],
      deviceId: p.deviceId,
      deviceOwner: p.deviceOwner,
      securityGroupIds: [],
      qosPolicyId: null,
    };
  }
}

/** Neutron's tap device name: `tap` + the first 11 characters of the port id (15, the kernel's limit). */
export function tapName(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}
