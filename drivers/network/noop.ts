/**
 * The no-op network driver, as Octavia's (octavia/network/drivers/noop_driver): every subnet, network
 * and port exists, a VIP is the requested address or 198.51.100.1 with made-up port and network ids,
 * and plugging an amphora gives it a made-up VRRP port carrying 198.51.100.1 (its HA port is the VIP's). Nothing is plugged
 * anywhere; what each call was asked is remembered for tests.
 *
 * The API's VIP validation sees what Octavia's no-op network driver answers: every network holds every
 * subnet asked about (and one made up, its first), each with 254 free addresses; QoS is enabled and
 * every policy exists; a subnet keeps the network it was first seen on.
 *
 * Unlike Octavia's, the made-up ids are not random: each is derived from what it belongs to (the load
 * balancer for its VIP, the amphora for its VRRP port, the subnet for its network), so a retried step,
 * a second worker or a restarted process finds the same ids, as a real network service would.
 */
import { createHash } from 'node:crypto';
import type {
  AmphoraNetworkConfig,
  AmphoraRef,
  MemberNic,
  Network,
  NetworkDriver,
  NetworkIpAvailability,
  PluggedNic,
  Port,
  QosPolicy,
  Subnet,
  Vip,
  VipListener,
  VipRequest,
} from './port';

const NOOP_ADDRESS = '198.51.100.1';
/** The namespace of the no-op driver's name-based UUIDs: fixed, so ids stay the same across releases. */
const NAMESPACE = Buffer.from('5b0c1e4a8d7f4f4e9a3b2c6d1e0f7a8b', 'hex');

/** An RFC 4122 version 5 UUID (SHA-1, name-based): the same name always gives the same id. */
export function noopId(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A network's subnets as Octavia's no-op driver has them (its ItIsInsideMe list): asking whether one is
 * there says yes, and from then on it is one of them.
 */
class AnySubnet extends Array<string> {
  constructor(private readonly onAsk: (subnetId: string) => void) {
    super();
  }
  override includes(subnetId: string): boolean {
    if (!super.includes(subnetId)) {
      this.push(subnetId);
      this.onAsk(subnetId);
    }
    return true;
  }
  // Array methods that make new arrays (map, filter) build plain ones.
  static override get [Symbol.species]() {
    return Array;
  }
}

export class NoopNetworkDriver implements NetworkDriver {
  readonly name = 'noop';
  /** Per load balancer, the listeners the last updateVip was given. */
  readonly vipListeners = new Map<string, VipListener[]>();
  /** Amphora ids plugged into a VIP network and not unplugged since. */
  readonly plugged = new Set<string>();

  async allocateVip(request: VipRequest): Promise<Vip> {
    const lb = request.loadBalancerId;
    const subnetId = request.subnetId ?? noopId(`vip-subnet:${lb}`);
    return {
      ipAddress: request.ipAddress ?? NOOP_ADDRESS,
      portId: request.portId ?? noopId(`vip-port:${lb}`),
      subnetId,
      networkId: request.networkId ?? (await this.getSubnet(subnetId)).networkId,
      qosPolicyId: request.qosPolicyId ?? null,
    };
  }

  async deallocateVip(loadBalancerId: string): Promise<void> {
    this.vipListeners.delete(loadBalancerId);
  }

  async plugVip(amphora: AmphoraRef, vip: Vip): Promise<AmphoraNetworkConfig> {
    this.plugged.add(amphora.amphoraId);
    return {
      vrrpPortId: noopId(`vrrp-port:${amphora.amphoraId}`),
      vrrpIp: NOOP_ADDRESS,
      haPortId: vip.portId,
      haIp: vip.ipAddress,
      macAddress: 'fa:16:3e:00:00:01',
      subnetCidr: '198.51.100.0/24',
      gateway: '198.51.100.254',
      hostRoutes: [],
      mtu: 1500,
    };
  }

  async unplugVip(amphora: AmphoraRef): Promise<void> {
    this.plugged.delete(amphora.amphoraId);
  }

  /** Per compute instance, its member networks (network id -> NIC). */
  readonly memberNics = new Map<string, Map<string, MemberNic>>();

  async getPluggedNetworks(computeId: string): Promise<PluggedNic[]> {
    return [...(this.memberNics.get(computeId)?.values() ?? [])].map((n) => ({ networkId: n.networkId, portId: n.portId, fixedIps: n.fixedIps }));
  }

  async plugNetwork(amphora: AmphoraRef, networkId: string): Promise<MemberNic> {
    const nics = this.memberNics.get(amphora.computeId) ?? new Map<string, MemberNic>();
    this.memberNics.set(amphora.computeId, nics);
    let nic = nics.get(networkId);
    if (!nic) {
      const subnetId = [...(await this.getNetwork(networkId)).subnetIds][0]!;
      nic = {
        networkId,
        portId: noopId(`member-port:${amphora.computeId}:${networkId}`),
        macAddress: 'fa:16:3e:00:00:02',
        mtu: 1500,
        fixedIps: [{ subnetId, ipAddress: '198.51.100.2', subnetCidr: '198.51.100.0/24', gateway: '198.51.100.254', hostRoutes: [] }],
      };
      nics.set(networkId, nic);
    }
    return nic;
  }

  async unplugNetwork(amphora: AmphoraRef, networkId: string): Promise<void> {
    this.memberNics.get(amphora.computeId)?.delete(networkId);
  }

  async updateVip(loadBalancerId: string, _vip: Vip, listeners: VipListener[]): Promise<void> {
    this.vipListeners.set(loadBalancerId, listeners);
  }

  /** Subnet id → the network it is on; network id → its subnets (both made up at first sight). */
  private readonly subnetNetworks = new Map<string, string>();
  private readonly networkSubnets = new Map<string, AnySubnet>();

  async getSubnet(subnetId: string): Promise<Subnet> {
    let networkId = this.subnetNetworks.get(subnetId);
    if (!networkId) {
      networkId = noopId(`network-of-subnet:${subnetId}`);
      this.subnetNetworks.set(subnetId, networkId);
    }
    return { id: subnetId, networkId, cidr: '198.51.100.0/24', ipVersion: 4, gatewayIp: '198.51.100.254', hostRoutes: [] };
  }

  async getNetwork(networkId: string): Promise<Network> {
    let subnets = this.networkSubnets.get(networkId);
    if (!subnets) {
      subnets = new AnySubnet((subnetId) => this.subnetNetworks.set(subnetId, networkId));
      subnets.includes(noopId(`subnet-of-network:${networkId}`));
      this.networkSubnets.set(networkId, subnets);
    }
    return { id: networkId, name: 'noop', subnetIds: subnets, mtu: 1500 };
  }

  async qosEnabled(): Promise<boolean> {
    return true;
  }

  async getQosPolicy(policyId: string): Promise<QosPolicy> {
    return { id: policyId, name: 'noop' };
  }

  async getNetworkIpAvailability(networkId: string): Promise<NetworkIpAvailability> {
    const { subnetIds } = await this.getNetwork(networkId);
    const subnets = [...subnetIds].map((subnetId) => ({ subnetId, cidr: '198.51.100.0/24', ipVersion: 4, totalIps: 254, usedIps: 0 }));
    return { networkId, totalIps: 254 * subnets.length, usedIps: 0, subnets };
  }

  async getPort(portId: string): Promise<Port> {
    return {
      id: portId,
      name: 'noop',
      networkId: noopId(`network-of-port:${portId}`),
      macAddress: 'fa:16:3e:00:00:01',
      fixedIps: [{ subnetId: noopId(`subnet-of-port:${portId}`), ipAddress: NOOP_ADDRESS }],
    };
  }
}
