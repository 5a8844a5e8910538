/**
 * The no-op network driver, as Octavia's (octavia/network/drivers/noop_driver): every subnet, network
 * and port exists, a VIP is the requested address or 198.51.100.1 with made-up port and network ids,
 * and plugging an amphora gives it made-up VRRP/HA ports carrying 198.51.100.1. Nothing is plugged
 * anywhere; what each call was asked is remembered for tests.
 */
import { randomUUID } from 'node:crypto';
import type { AmphoraNetworkConfig, AmphoraRef, Network, NetworkDriver, Port, Subnet, Vip, VipListener, VipRequest } from './port';

const NOOP_ADDRESS = '198.51.100.1';

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

  async updateVip(loadBalancerId: string, _vip: Vip, listeners: VipListener[]): Promise<void> {
    this.vipListeners.set(loadBalancerId, listeners);
  }

  async getSubnet(subnetId: string): Promise<Subnet> {
    return { id: subnetId, networkId: randomUUID(), cidr: '198.51.100.0/24', ipVersion: 4, gatewayIp: '198.51.100.254', hostRoutes: [] };
  }

  async getNetwork(networkId: string): Promise<Network> {
    return { id: networkId, name: 'noop', subnetIds: [randomUUID()], mtu: 1500 };
  }

  async getPort(portId: string): Promise<Port> {
    return { id: portId, name: 'noop', networkId: randomUUID(), macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: randomUUID(), ipAddress: NOOP_ADDRESS }] };
  }
}
