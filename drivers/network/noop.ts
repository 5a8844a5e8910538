/**
 * The no-op network driver, as Octavia's (octavia/network/drivers/noop_driver): every subnet, network
 * and port exists, a VIP is the requested address or 198.51.100.1 with made-up port and network ids,
 * and plugging an amphora gives it made-up VRRP/HA ports carrying 198.51.100.1. Nothing is plugged
 * anywhere; what each call was asked is remembered for tests.
 *
 * The API's VIP validation sees what Octavia's no-op network driver answers: every network holds every
 * subnet asked about (and one made up, its first), each with 254 free addresses; QoS is enabled and
 * every policy exists; a subnet keeps the network it was first seen on.
 */
import { randomUUID } from 'node:crypto';
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
    return {
      ipAddress: request.ipAddress ?? NOOP_ADDRESS,
      portId: request.portId ?? randomUUID(),
      subnetId: request.subnetId ?? randomUUID(),
      networkId: request.networkId ?? randomUUID(),
      qosPolicyId: request.qosPolicyId ?? null,
    };
  }

  async deallocateVip(loadBalancerId: string): Promise<void> {
    this.vipListeners.delete(loadBalancerId);
  }

  async plugVip(amphora: AmphoraRef, vip: Vip): Promise<AmphoraNetworkConfig> {
    this.plugged.add(amphora.amphoraId);
    return {
      vrrpPortId: randomUUID(),
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
        portId: randomUUID(),
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
      networkId = randomUUID();
      this.subnetNetworks.set(subnetId, networkId);
    }
    return { id: subnetId, networkId, cidr: '198.51.100.0/24', ipVersion: 4, gatewayIp: '198.51.100.254', hostRoutes: [] };
  }

  async getNetwork(networkId: string): Promise<Network> {
    let subnets = this.networkSubnets.get(networkId);
    if (!subnets) {
      subnets = new AnySubnet((subnetId) => this.subnetNetworks.set(subnetId, networkId));
      subnets.includes(randomUUID());
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
    return { id: portId, name: 'noop', networkId: randomUUID(), macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: randomUUID(), ipAddress: NOOP_ADDRESS }] };
  }
}
