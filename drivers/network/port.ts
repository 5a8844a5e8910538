/**
 * The network driver port, shaped after Octavia's AbstractNetworkDriver (octavia/network/base.py): how
 * a load balancer gets its VIP, how each amphora is plugged into the VIP's network and its members'
 * networks, and what the API looks up before it accepts a `vip_subnet_id`, `vip_network_id`,
 * `vip_port_id`, `vip_qos_policy_id` or a member's `subnet_id` (the rules: domain/validate.ts).
 *
 * Implementations: `noop` (addresses made up, nothing plugged: the default), `local` (one tenant network
 * on this machine, in namespaces the project makes) and `neutron` (Octavia's allowed-address-pairs
 * driver). Every call is idempotent: flows retry them, and a re-entry finds what the first try made.
 */

export interface HostRoute {
  destination: string;
  nexthop: string;
}

export interface Subnet {
  id: string;
  networkId: string;
  cidr: string;
  ipVersion: 4 | 6;
  gatewayIp: string | null;
  hostRoutes: HostRoute[];
  projectId?: string;
}

export interface Network {
  id: string;
  name: string;
  subnetIds: string[];
  mtu: number;
  projectId?: string;
}

export interface Port {
  id: string;
  name: string;
  networkId: string;
  macAddress: string;
  fixedIps: Array<{ subnetId: string; ipAddress: string }>;
  deviceId?: string;
  deviceOwner?: string;
  securityGroupIds?: string[];
  qosPolicyId?: string | null;
}

/** What a load balancer asks for (the API's vip_* fields); allocateVip fills in the rest. */
export interface VipRequest {
  loadBalancerId: string;
  projectId: string;
  subnetId?: string | null;
  networkId?: string | null;
  portId?: string | null;
  ipAddress?: string | null;
  qosPolicyId?: string | null;
}

export interface Vip {
  ipAddress: string;
  portId: string;
  subnetId: string;
  networkId: string;
  qosPolicyId?: string | null;
}

/** The amphora end of a VIP plug: what the amphora agent's `POST /1.0/plug/vip/<vip>` needs. */
export interface AmphoraNetworkConfig {
  /** The amphora's port on the VIP network (Octavia's VRRP port), carrying the VIP as an allowed pair. */
  vrrpPortId: string;
  vrrpIp: string;
  /** The VIP port (Octavia's `ha_port_id` / `ha_ip`). */
  haPortId: string;
  haIp: string;
  macAddress: string;
  subnetCidr: string;
  gateway: string | null;
  hostRoutes: HostRoute[];
  mtu: number;
}

/** The amphora as the network driver sees it: its id and the compute instance that holds it. */
export interface AmphoraRef {
  amphoraId: string;
  computeId: string;
}

/** A listener as the VIP's security group needs it (update_vip): one ingress rule per port and protocol. */
export interface VipListener {
  protocol: string;
  protocolPort: number;
  allowedCidrs: string[];
  /** The listener's HAProxy peer port (Octavia's peer_port): ACTIVE_STANDBY pairs sync stick tables on it. */
  peerPort?: number | null;
}

/** A NIC of an amphora as Neutron lists it (Octavia's get_plugged_networks): management, VIP, members. */
export interface PluggedNic {
  networkId: string;
  portId: string;
  fixedIps: Array<{ subnetId: string; ipAddress: string }>;
}

/** A member network plugged into an amphora: what the agent's `POST /1.0/plug/network` needs. */
export interface MemberNic {
  networkId: string;
  portId: string;
  macAddress: string;
  mtu: number;
  fixedIps: Array<{ subnetId: string; ipAddress: string; subnetCidr: string; gateway: string | null; hostRoutes: HostRoute[] }>;
}

export interface QosPolicy {
  id: string;
  name: string;
}

/** Addresses of a network, used and in its pools, per subnet (Neutron's network-ip-availabilities). */
export interface NetworkIpAvailability {
  networkId: string;
  totalIps: number;
  usedIps: number;
  subnets: Array<{ subnetId: string; cidr: string; ipVersion: number; totalIps: number; usedIps: number }>;
}

export interface NetworkDriver {
  readonly name: string;

  /** Creates (or finds again, by load balancer) the VIP port and returns its address. */
  allocateVip(request: VipRequest): Promise<Vip>;
  /** Releases the VIP port (only one this driver made). Gone already is fine. */
  deallocateVip(loadBalancerId: string, vip: Vip): Promise<void>;

  /** Plugs one amphora into the VIP's network; returns what the amphora agent's VIP plug needs. */
  plugVip(amphora: AmphoraRef, vip: Vip, topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<AmphoraNetworkConfig>;
  /** Unplugs it again (detach, remove the amphora's VIP-network port). Gone already is fine. */
  unplugVip(amphora: AmphoraRef, vip: Vip): Promise<void>;

  /** Every network the amphora's instance has a port on (Octavia's get_plugged_networks). */
  getPluggedNetworks(computeId: string): Promise<PluggedNic[]>;
  /**
   * A member network into the amphora (Octavia's plug_network: the compute service makes the port, so it
   * goes with the instance). Plugged already is fine: that NIC is returned.
   */
  plugNetwork(amphora: AmphoraRef, networkId: string): Promise<MemberNic>;
  /** Out again (detach, wait, delete the port). Not plugged is fine. */
  unplugNetwork(amphora: AmphoraRef, networkId: string): Promise<void>;

  /** Brings the VIP's filtering in line with the listeners (security group rules per port). */
  updateVip(loadBalancerId: string, vip: Vip, listeners: VipListener[], topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<void>;

  /** Lookups for API validation; each throws the matching *NotFound error. */
  getSubnet(subnetId: string): Promise<Subnet>;
  getNetwork(networkId: string): Promise<Network>;
  getPort(portId: string): Promise<Port>;
  /** Whether VIPs can carry a QoS policy here (Octavia's qos_enabled: Neutron's qos extension). */
  qosEnabled(): Promise<boolean>;
  getQosPolicy(policyId: string): Promise<QosPolicy>;
  /** Free addresses per subnet of a network: the API picks a `vip_network_id`'s subnet by them. */
  getNetworkIpAvailability(networkId: string): Promise<NetworkIpAvailability>;
}
