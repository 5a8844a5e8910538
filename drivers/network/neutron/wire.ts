/** The fields of Neutron's resources the driver reads, and their mapping to the port's types. */
import type { Network, Port, Subnet } from '../port';

export interface NeutronPort {
  id: string;
  name?: string;
  network_id: string;
  mac_address?: string;
  device_id?: string;
  device_owner?: string;
  fixed_ips?: Array<{ subnet_id: string; ip_address: string }>;
  security_groups?: string[];
  allowed_address_pairs?: Array<{ ip_address: string; mac_address?: string }>;
  qos_policy_id?: string | null;
  project_id?: string;
}

export interface NeutronSubnet {
  id: string;
  network_id: string;
  cidr: string;
  ip_version: 4 | 6;
  gateway_ip: string | null;
  host_routes?: Array<{ destination: string; nexthop: string }>;
  project_id?: string;
}

export interface NeutronNetwork {
  id: string;
  name?: string;
  subnets?: string[];
  mtu?: number;
  project_id?: string;
}

export interface NeutronSecurityGroup {
  id: string;
  name: string;
}

export interface NeutronRule {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** A name (`tcp`) or a number as a string (`"112"`), or null. */
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
}

export function toPort(p: NeutronPort): Port {
  return {
    id: p.id,
    name: p.name ?? '',
    networkId: p.network_id,
    macAddress: p.mac_address ?? '',
    fixedIps: (p.fixed_ips ?? []).map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address })),
    deviceId: p.device_id ?? '',
    deviceOwner: p.device_owner ?? '',
    securityGroupIds: p.security_groups ?? [],
    qosPolicyId: p.qos_policy_id ?? null,
  };
}

export function toSubnet(s: NeutronSubnet): Subnet {
  return {
    id: s.id,
    networkId: s.network_id,
    cidr: s.cidr,
    ipVersion: s.ip_version,
    gatewayIp: s.gateway_ip,
    hostRoutes: (s.host_routes ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    ...(s.project_id ? { projectId: s.project_id } : {}),
  };
}

/** Neutron's default MTU when a network reports none (no `net-mtu` extension). */
const DEFAULT_MTU = 1500;

export function toNetwork(n: NeutronNetwork): Network {
  return {
    id: n.id,
    name: n.name ?? '',
    subnetIds: n.subnets ?? [],
    mtu: n.mtu ?? DEFAULT_MTU,
    ...(n.project_id ? { projectId: n.project_id } : {}),
  };
}
