/**
 * What the emulated Neutron knows: networks, subnets (IPv4, with Neutron's IPAM: a requested address
 * is honoured, taken → 409 IpAddressAlreadyAllocated, outside → 400 InvalidIpForSubnet, free ones
 * picked at random from the pools, none left → 409 IpAddressGenerationFailure), ports with their
 * binding, security groups and rules, QoS policies.
 *
 * A port's life as recorded (shared/reference/neutron, README): created unbound (`binding:vif_type`
 * unbound, status DOWN); attached by Nova (device_owner compute:nova, device_id the server, bound to
 * the host, `ovs`, ACTIVE `activeMs` later; a network whose physical network no agent serves binds
 * `binding_failed`); detached by Nova `detachMs` after the os-interface DELETE (device fields and
 * binding cleared, DOWN). Time moves lazily: `tick()` applies what is due, at the start of every
 * request; nothing runs on a timer.
 */
import { randomUUID } from 'node:crypto';
import { contains, defaultPools, ipToNumber, parseCidr, poolAddresses, randomMac, type Cidr } from './addresses';

export class NeutronFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Neutron's 404 per resource (types and messages as recorded, 55-59 and 68, 54). */
const NOT_FOUND = {
  network: ['NetworkNotFound', (id: string) => `Network ${id} could not be found.`],
  subnet: ['SubnetNotFound', (id: string) => `Subnet ${id} could not be found.`],
  port: ['PortNotFound', (id: string) => `Port ${id} could not be found.`],
  securityGroup: ['SecurityGroupNotFound', (id: string) => `Security group ${id} does not exist`],
  rule: ['SecurityGroupRuleNotFound', (id: string) => `Security group rule ${id} does not exist`],
  qosPolicy: ['QosPolicyNotFound', (id: string) => `QoS policy ${id} could not be found.`],
} as const;

export type ResourceKind = keyof typeof NOT_FOUND;

export function notFound(kind: ResourceKind, id: string): never {
  const [type, message] = NOT_FOUND[kind];
  throw new NeutronFault(404, type, message(id));
}

export interface NetworkRec {
  id: string;
  name: string;
  projectId: string;
  adminStateUp: boolean;
  mtu: number;
  shared: boolean;
  external: boolean;
  portSecurityEnabled: boolean;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  description: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface SubnetRec {
  id: string;
  name: string;
  projectId: string;
  networkId: string;
  cidr: Cidr;
  gatewayIp: string | null;
  pools: Array<{ start: string; end: string }>;
  hostRoutes: Array<{ destination: string; nexthop: string }>;
  dnsNameservers: string[];
  enableDhcp: boolean;
  description: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface PortRec {
  id: string;
  name: string;
  networkId: string;
  projectId: string;
  macAddress: string;
  adminStateUp: boolean;
  deviceId: string;
  deviceOwner: string;
  fixedIps: Array<{ subnetId: string; ipAddress: string }>;
  securityGroups: string[];
  allowedAddressPairs: Array<{ ipAddress: string; macAddress: string }>;
  qosPolicyId: string | null;
  portSecurityEnabled: boolean;
  hostId: string;
  vifType: 'unbound' | 'ovs' | 'binding_failed';
  boundAt: number | null;
  /** When Nova's detach completes (os-interface DELETE is asynchronous). */
  unbindAt: number | null;
  description: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface SecurityGroupRec {
  id: string;
  name: string;
  projectId: string;
  description: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface RuleRec {
  id: string;
  securityGroupId: string;
  projectId: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** As Neutron stores it: a name (`tcp`), a number as a string (`"112"`), or null (any). */
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  /** null for the rules Neutron makes itself, '' for the ones asked for without one. */
  description: string | null;
  standardAttrId: number;
  createdAt: number;
  updatedAt: number;
}

export interface QosPolicyRec {
  id: string;
  name: string;
  projectId: string;
  shared: boolean;
  description: string;
  createdAt: number;
  updatedAt: number;
  revision: number;
}

export interface StateOptions {
  /** ms from Nova's bind to status ACTIVE. */
  activeMs: number;
  /** ms from Nova's os-interface DELETE to the port being released. */
  detachMs: number;
  /** Physical networks an agent serves (flat/vlan networks on others bind `binding_failed`). */
  physicalNetworks: string[];
  /** Hosts with an agent (a port bound to another host is `binding_failed`). */
  agentHosts: string[];
}

export interface PortRequest {
  projectId: string;
  networkId: string;
  name?: string;
  adminStateUp?: boolean;
  deviceId?: string;
  deviceOwner?: string;
  fixedIps?: Array<{ subnetId?: string; ipAddress?: string }>;
  securityGroups?: string[];
  allowedAddressPairs?: Array<{ ipAddress: string; macAddress?: string }>;
  qosPolicyId?: string | null;
  portSecurityEnabled?: boolean;
  hostId?: string;
  description?: string;
}

export type PortUpdate = Partial<
  Pick<PortRequest, 'name' | 'adminStateUp' | 'deviceId' | 'deviceOwner' | 'securityGroups' | 'allowedAddressPairs' | 'qosPolicyId' | 'hostId' | 'description'>
>;

export class NeutronState {
  readonly networks = new Map<string, NetworkRec>();
  readonly subnets = new Map<string, SubnetRec>();
  readonly ports = new Map<string, PortRec>();
  readonly securityGroups = new Map<string, SecurityGroupRec>();
  readonly rules = new Map<string, RuleRec>();
  readonly qosPolicies = new Map<string, QosPolicyRec>();
  private standardAttrIds = 100;

  constructor(readonly opts: StateOptions) {}

  /** Applies what is due: finished detaches. */
  tick(now = Date.now()): void {
    for (const p of this.ports.values()) {
      if (p.unbindAt !== null && p.unbindAt <= now) {
        Object.assign(p, { unbindAt: null, deviceId: '', deviceOwner: '', hostId: '', vifType: 'unbound', boundAt: null });
        this.touch(p, now);
      }
    }
  }

  portStatus(p: PortRec, now = Date.now()): 'ACTIVE' | 'DOWN' {
    return p.adminStateUp && p.vifType === 'ovs' && p.boundAt !== null && now >= p.boundAt + this.opts.activeMs ? 'ACTIVE' : 'DOWN';
  }

  // ---- lookups that fail as Neutron does -----------------------------------------------------------

  network(id: string): NetworkRec {
    return this.networks.get(id) ?? notFound('network', id);
  }

  subnet(id: string): SubnetRec {
    return this.subnets.get(id) ?? notFound('subnet', id);
  }

  port(id: string): PortRec {
    return this.ports.get(id) ?? notFound('port', id);
  }

  securityGroup(id: string): SecurityGroupRec {
    return this.securityGroups.get(id) ?? notFound('securityGroup', id);
  }

  rule(id: string): RuleRec {
    return this.rules.get(id) ?? notFound('rule', id);
  }

  qosPolicy(id: string): QosPolicyRec {
    return this.qosPolicies.get(id) ?? notFound('qosPolicy', id);
  }

  subnetsOf(networkId: string): SubnetRec[] {
    return [...this.subnets.values()].filter((s) => s.networkId === networkId).sort((a, b) => a.createdAt - b.createdAt);
  }

  // ---- networks and subnets -------------------------------------------------------------------------

  createNetwork(o: {
    projectId: string;
    name?: string;
    adminStateUp?: boolean;
    shared?: boolean;
    networkType?: string;
    physicalNetwork?: string | null;
    mtu?: number;
    description?: string;
  }): NetworkRec {
    const now = Date.now();
    const type = o.networkType ?? 'vxlan';
    const net: NetworkRec = {
      id: randomUUID(),
      name: o.name ?? '',
      projectId: o.projectId,
      adminStateUp: o.adminStateUp ?? true,
      // vxlan's 50-byte header comes off the physical 1500.
      mtu: o.mtu ?? (type === 'vxlan' ? 1450 : 1500),
      shared: o.shared ?? false,
      external: false,
      portSecurityEnabled: true,
      networkType: type,
      physicalNetwork: o.physicalNetwork ?? null,
      segmentationId: type === 'vxlan' || type === 'vlan' ? 1 + Math.floor(Math.random() * 1000) : null,
      description: o.description ?? '',
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    this.networks.set(net.id, net);
    return net;
  }

  deleteNetwork(id: string): void {
    this.network(id);
    if ([...this.ports.values()].some((p) => p.networkId === id)) {
      throw new NeutronFault(409, 'NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`);
    }
    for (const s of this.subnetsOf(id)) this.subnets.delete(s.id);
    this.networks.delete(id);
  }

  createSubnet(o: {
    projectId: string;
    networkId: string;
    cidr: string;
    ipVersion: number;
    name?: string;
    gatewayIp?: string | null;
    allocationPools?: Array<{ start: string; end: string }>;
    hostRoutes?: Array<{ destination: string; nexthop: string }>;
    dnsNameservers?: string[];
    enableDhcp?: boolean;
    description?: string;
  }): SubnetRec {
    const net = this.network(o.networkId);
    if (o.ipVersion !== 4) throw new NeutronFault(400, 'InvalidInput', 'Invalid input for operation: only IPv4 subnets are emulated.');
    const cidr = parseCidr(o.cidr);
    if (!cidr || cidr.prefixLength > 30) throw new NeutronFault(400, 'InvalidInput', `Invalid input for cidr. Reason: '${o.cidr}' is not a valid IP subnet.`);
    const gatewayIp = o.gatewayIp === undefined ? defaultPools(cidr, null)[0]?.start ?? null : o.gatewayIp;
    if (gatewayIp !== null && !contains(cidr, gatewayIp)) {
      throw new NeutronFault(400, 'InvalidInput', `Invalid input for operation: Gateway IP ${gatewayIp} is not in subnet ${cidr.text}.`);
    }
    const pools = o.allocationPools ?? defaultPools(cidr, gatewayIp);
    for (const p of pools) {
      if (!contains(cidr, p.start) || !contains(cidr, p.end)) {
        throw new NeutronFault(400, 'OutOfBoundsAllocationPool', `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${cidr.text}.`);
      }
    }
    const now = Date.now();
    const subnet: SubnetRec = {
      id: randomUUID(),
      name: o.name ?? '',
      projectId: o.projectId,
      networkId: net.id,
      cidr,
      gatewayIp,
      pools,
      hostRoutes: o.hostRoutes ?? [],
      dnsNameservers: o.dnsNameservers ?? [],
      enableDhcp: o.enableDhcp ?? true,
      description: o.description ?? '',
      createdAt: now,
      updatedAt: now,
      revision: 0,
    };
    this.subnets.set(subnet.id, subnet);
    this.touch(net, now);
    return subnet;
  }

  deleteSubnet(id: string): void {
    this.subnet(id);
    if ([...this.ports.values()].some((p) => p.fixedIps.some((f) => f.subnetId === id))) {
      throw new NeutronFault(409, 'SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
    }
    this.subnets.delete(id);
  }

  /** network-ip-availabilities: pool sizes and the addresses ports hold, per subnet. */
  ipAvailability(networkId: string): { subnets: Array<{ subnet: SubnetRec; used: number; total: number }>; used: number; total: number } {
    this.network(networkId);
    const subnets = this.subnetsOf(networkId).map((subnet) => ({
      subnet,
      used: this.usedAddresses(subnet.id).size,
      total: poolAddresses(subnet.pools).length,
    }));
    return { subnets, used: subnets.reduce((n, s) => n + s.used, 0), total: subnets.reduce((n, s) => n + s.total, 0) };
  }

  private usedAddresses(subnetId: string): Set<string> {
    const used = new Set<string>();
    for (const p of this.ports.values()) for (const f of p.fixedIps) if (f.subnetId === subnetId) used.add(f.ipAddress);
    return used;
  }

  /** One address on the subnet: the requested one if free and valid, else a random free pool address. */
  private allocate(subnet: SubnetRec, requested: string | undefined): string {
    const used = this.usedAddresses(subnet.id);
    if (requested !== undefined) {
      const offset = contains(subnet.cidr, requested) ? ipToNumber(requested) - subnet.cidr.network : -1;
      // Neither the network address nor the broadcast address is a host's.
      if (offset <= 0 || offset >= subnet.cidr.size - 1) {
        throw new NeutronFault(400, 'InvalidIpForSubnet', `IP address ${requested} is not a valid IP for the specified subnet.`);
      }
      if (used.has(requested) || requested === subnet.gatewayIp) {
        throw new NeutronFault(409, 'IpAddressAlreadyAllocated', `IP address ${requested} already allocated in subnet ${subnet.id}`);
      }
      return requested;
    }
    const free = poolAddresses(subnet.pools).filter((a) => !used.has(a));
    const pick = free[Math.floor(Math.random() * free.length)];
    if (pick === undefined) {
      throw new NeutronFault(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${subnet.networkId}.`);
    }
    return pick;
  }

  // ---- ports --------------------------------------------------------------------------------------

  createPort(o: PortRequest): PortRec {
    const net = this.network(o.networkId);
    const now = Date.now();
    const fixedIps = this.fixedIpsFor(net, o.fixedIps);
    const portSecurityEnabled = o.portSecurityEnabled ?? net.portSecurityEnabled;
    const securityGroups = o.securityGroups ?? (portSecurityEnabled ? [this.defaultSecurityGroup(o.projectId).id] : []);
    for (const g of securityGroups) this.securityGroup(g);
    if (o.qosPolicyId) this.qosPolicy(o.qosPolicyId);
    const macs = new Set([...this.ports.values()].map((p) => p.macAddress));
    let mac = randomMac();
    while (macs.has(mac)) mac = randomMac();
    const port: PortRec = {
      id: randomUUID(),
      name: o.name ?? '',
      networkId: net.id,
      projectId: o.projectId,
      macAddress: mac,
      adminStateUp: o.adminStateUp ?? true,
      deviceId: o.deviceId ?? '',
      deviceOwner: o.deviceOwner ?? '',
      fixedIps,
      securityGroups,
      allowedAddressPairs: [],
      qosPolicyId: o.qosPolicyId ?? null,
      portSecurityEnabled,
      hostId: '',
      vifType: 'unbound',
      boundAt: null,
      unbindAt: null,
      description: o.description ?? '',
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    port.allowedAddressPairs = (o.allowedAddressPairs ?? []).map((a) => ({ ipAddress: a.ipAddress, macAddress: a.macAddress ?? mac }));
    if (o.hostId) this.bind(port, o.hostId, now);
    this.ports.set(port.id, port);
    return port;
  }

  private fixedIpsFor(net: NetworkRec, asked: PortRequest['fixedIps']): PortRec['fixedIps'] {
    if (asked === undefined) {
      // No fixed_ips: one address from the first subnet that has one.
      const subnets = this.subnetsOf(net.id);
      if (subnets.length === 0) return [];
      for (const s of subnets) {
        try {
          return [{ subnetId: s.id, ipAddress: this.allocate(s, undefined) }];
        } catch (e) {
          if (!(e instanceof NeutronFault) || e.type !== 'IpAddressGenerationFailure') throw e;
        }
      }
      throw new NeutronFault(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${net.id}.`);
    }
    const out: PortRec['fixedIps'] = [];
    for (const f of asked) {
      let subnet: SubnetRec | undefined;
      if (f.subnetId !== undefined) {
        subnet = this.subnet(f.subnetId);
        if (subnet.networkId !== net.id) {
          throw new NeutronFault(
            400,
            'InvalidInput',
            `Invalid input for operation: Failed to create port on network ${net.id}, because fixed_ips included invalid subnet ${f.subnetId}.`,
          );
        }
      } else if (f.ipAddress !== undefined) {
        subnet = this.subnetsOf(net.id).find((s) => contains(s.cidr, f.ipAddress as string));
        if (!subnet) throw new NeutronFault(400, 'InvalidIpForNetwork', `IP address ${f.ipAddress} is not a valid IP for any of the subnets on the specified network.`);
      }
      if (!subnet) continue;
      const ipAddress = this.allocate(subnet, f.ipAddress);
      if (out.some((x) => x.ipAddress === ipAddress)) {
        throw new NeutronFault(409, 'IpAddressAlreadyAllocated', `IP address ${ipAddress} already allocated in subnet ${subnet.id}`);
      }
      out.push({ subnetId: subnet.id, ipAddress });
    }
    return out;
  }

  updatePort(id: string, u: PortUpdate): PortRec {
    const port = this.port(id);
    if (u.securityGroups) for (const g of u.securityGroups) this.securityGroup(g);
    if (u.qosPolicyId) this.qosPolicy(u.qosPolicyId);
    if (u.name !== undefined) port.name = u.name;
    if (u.description !== undefined) port.description = u.description;
    if (u.adminStateUp !== undefined) port.adminStateUp = u.adminStateUp;
    if (u.deviceId !== undefined) port.deviceId = u.deviceId;
    if (u.deviceOwner !== undefined) port.deviceOwner = u.deviceOwner;
    if (u.securityGroups !== undefined) port.securityGroups = [...new Set(u.securityGroups)];
    if (u.qosPolicyId !== undefined) port.qosPolicyId = u.qosPolicyId;
    if (u.allowedAddressPairs !== undefined) {
      // Neutron stores each pair with the port's own MAC when none is given.
      port.allowedAddressPairs = u.allowedAddressPairs.map((a) => ({ ipAddress: a.ipAddress, macAddress: a.macAddress ?? port.macAddress }));
    }
    if (u.hostId !== undefined) {
      if (u.hostId) this.bind(port, u.hostId, Date.now());
      else Object.assign(port, { hostId: '', vifType: 'unbound', boundAt: null });
    }
    this.touch(port);
    return port;
  }

  deletePort(id: string): void {
    this.port(id);
    this.ports.delete(id);
  }

  /** Nova's attach rewrite: device fields, then the binding (two revisions, as recorded). */
  attach(portId: string, serverId: string, host: string): void {
    const port = this.port(portId);
    const now = Date.now();
    Object.assign(port, { deviceId: serverId, deviceOwner: 'compute:nova', unbindAt: null });
    this.bind(port, host, now);
    port.revision += 1;
    this.touch(port, now);
  }

  /** Nova's detach: the port is released `detachMs` later. */
  detach(portId: string): void {
    const port = this.ports.get(portId);
    if (port && port.deviceId && port.unbindAt === null) port.unbindAt = Date.now() + this.opts.detachMs;
  }

  private bind(port: PortRec, host: string, now: number): void {
    const net = this.network(port.networkId);
    const served = this.opts.agentHosts.includes(host) && (net.physicalNetwork === null || this.opts.physicalNetworks.includes(net.physicalNetwork));
    Object.assign(port, { hostId: host, vifType: served ? 'ovs' : 'binding_failed', boundAt: served ? now : null });
  }

  // ---- security groups ----------------------------------------------------------------------------

  /** The project's `default` group, made at first need with Neutron's four rules. */
  defaultSecurityGroup(projectId: string): SecurityGroupRec {
    const existing = [...this.securityGroups.values()].find((g) => g.projectId === projectId && g.name === 'default');
    if (existing) return existing;
    const g = this.addSecurityGroup(projectId, 'default', 'Default security group');
    for (const ethertype of ['IPv4', 'IPv6'] as const) {
      this.addRule({ securityGroupId: g.id, projectId, direction: 'ingress', ethertype, remoteGroupId: g.id, description: null });
    }
    return g;
  }

  /** A new group comes with two egress rules (any protocol, IPv4 and IPv6). */
  createSecurityGroup(projectId: string, name: string, description: string): SecurityGroupRec {
    if (name !== 'default') this.defaultSecurityGroup(projectId);
    else if ([...this.securityGroups.values()].some((g) => g.projectId === projectId && g.name === 'default')) {
      throw new NeutronFault(409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    }
    const g = this.addSecurityGroup(projectId, name, description);
    for (const ethertype of ['IPv4', 'IPv6'] as const) this.addRule({ securityGroupId: g.id, projectId, direction: 'egress', ethertype, description: null });
    return g;
  }

  private addSecurityGroup(projectId: string, name: string, description: string): SecurityGroupRec {
    const now = Date.now();
    const g: SecurityGroupRec = { id: randomUUID(), name, projectId, description, createdAt: now, updatedAt: now, revision: 1 };
    this.securityGroups.set(g.id, g);
    return g;
  }

  deleteSecurityGroup(id: string): void {
    this.securityGroup(id);
    if ([...this.ports.values()].some((p) => p.securityGroups.includes(id))) {
      throw new NeutronFault(409, 'SecurityGroupInUse', `Security Group ${id} in use.`);
    }
    for (const r of this.rulesOf(id)) this.rules.delete(r.id);
    this.securityGroups.delete(id);
  }

  rulesOf(securityGroupId: string): RuleRec[] {
    return [...this.rules.values()].filter((r) => r.securityGroupId === securityGroupId);
  }

  /** A rule; the same rule twice is 409 SecurityGroupRuleExists naming the first. */
  createRule(o: Omit<RuleRec, 'id' | 'standardAttrId' | 'createdAt' | 'updatedAt' | 'projectId' | 'remoteGroupId'> & { remoteGroupId?: string | null }): RuleRec {
    const group = this.securityGroup(o.securityGroupId);
    const same = this.rulesOf(group.id).find(
      (r) =>
        r.direction === o.direction &&
        r.ethertype === o.ethertype &&
        r.protocol === o.protocol &&
        r.portRangeMin === o.portRangeMin &&
        r.portRangeMax === o.portRangeMax &&
        normalizedCidr(r.remoteIpPrefix) === normalizedCidr(o.remoteIpPrefix) &&
        r.remoteGroupId === (o.remoteGroupId ?? null),
    );
    if (same) throw new NeutronFault(409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${same.id}.`);
    const rule = this.addRule({ ...o, projectId: group.projectId });
    this.touch(group);
    return rule;
  }

  private addRule(o: Partial<RuleRec> & Pick<RuleRec, 'securityGroupId' | 'projectId' | 'direction' | 'ethertype'>): RuleRec {
    const now = Date.now();
    const rule: RuleRec = {
      id: randomUUID(),
      protocol: null,
      portRangeMin: null,
      portRangeMax: null,
      remoteIpPrefix: null,
      remoteGroupId: null,
      description: '',
      ...o,
      standardAttrId: (this.standardAttrIds += 1),
      createdAt: now,
      updatedAt: now,
    };
    this.rules.set(rule.id, rule);
    return rule;
  }

  deleteRule(id: string): void {
    const rule = this.rule(id);
    this.rules.delete(id);
    const group = this.securityGroups.get(rule.securityGroupId);
    if (group) this.touch(group);
  }

  // ---- QoS ----------------------------------------------------------------------------------------

  createQosPolicy(projectId: string, name: string, description: string, shared: boolean): QosPolicyRec {
    const now = Date.now();
    const q: QosPolicyRec = { id: randomUUID(), name, projectId, shared, description, createdAt: now, updatedAt: now, revision: 0 };
    this.qosPolicies.set(q.id, q);
    return q;
  }

  deleteQosPolicy(id: string): void {
    this.qosPolicy(id);
    if ([...this.ports.values()].some((p) => p.qosPolicyId === id)) {
      throw new NeutronFault(409, 'QosPolicyInUse', `QoS Policy ${id} is used by port.`);
    }
    this.qosPolicies.delete(id);
  }

  private touch(o: { updatedAt: number; revision?: number }, now = Date.now()): void {
    o.updatedAt = now;
    if (o.revision !== undefined) o.revision += 1;
  }
}

/** Neutron's normalized_cidr: the prefix's network address (`10.0.0.5/8` → `10.0.0.0/8`). */
export function normalizedCidr(prefix: string | null): string | null {
  if (prefix === null) return null;
  return parseCidr(prefix)?.text ?? prefix;
}
