/**
 * Neutron 21's JSON for each resource, field for field as recorded (shared/reference/neutron/samples).
 * Differences the recordings show and these keep: a network's create answer has `is_default`, its
 * show does not; rules embedded in a security group carry `standard_attr_id` and `tags`, rules shown
 * on their own do not; a port's update answer lists `binding:vif_details` without `bound_drivers`.
 */
import { normalizedCidr, type NeutronState, type NetworkRec, type PortRec, type QosPolicyRec, type RuleRec, type SecurityGroupRec, type SubnetRec } from './state';

type Json = Record<string, unknown>;

/** Neutron's timestamps: seconds, UTC, `Z`. */
export function neutronTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const stamps = (o: { createdAt: number; updatedAt: number }) => ({ created_at: neutronTime(o.createdAt), updated_at: neutronTime(o.updatedAt) });

export function networkView(state: NeutronState, n: NetworkRec, created = false): Json {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.projectId,
    admin_state_up: n.adminStateUp,
    mtu: n.mtu,
    status: 'ACTIVE',
    subnets: state.subnetsOf(n.id).map((s) => s.id),
    shared: n.shared,
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    'router:external': n.external,
    description: n.description,
    port_security_enabled: n.portSecurityEnabled,
    qos_policy_id: null,
    tags: [],
    ...stamps(n),
    revision_number: n.revision,
    project_id: n.projectId,
    'provider:network_type': n.networkType,
    'provider:physical_network': n.physicalNetwork,
    'provider:segmentation_id': n.segmentationId,
    ...(created ? { is_default: false } : {}),
  };
}

export function subnetView(s: SubnetRec): Json {
  return {
    id: s.id,
    name: s.name,
    tenant_id: s.projectId,
    network_id: s.networkId,
    ip_version: 4,
    subnetpool_id: null,
    enable_dhcp: s.enableDhcp,
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    gateway_ip: s.gatewayIp,
    cidr: s.cidr.text,
    allocation_pools: s.pools.map((p) => ({ ...p })),
    host_routes: s.hostRoutes.map((r) => ({ ...r })),
    dns_nameservers: [...s.dnsNameservers],
    description: s.description,
    service_types: [],
    tags: [],
    ...stamps(s),
    revision_number: s.revision,
    project_id: s.projectId,
  };
}

const OVS_VIF_DETAILS = { connectivity: 'l2', port_filter: true, ovs_hybrid_plug: false, datapath_type: 'system', bridge_name: 'br-int' };

export function portView(state: NeutronState, p: PortRec, updated = false): Json {
  const vifDetails = p.vifType === 'ovs' ? { ...OVS_VIF_DETAILS, ...(updated ? {} : { bound_drivers: { '0': 'openvswitch' } }) } : {};
  return {
    id: p.id,
    name: p.name,
    network_id: p.networkId,
    tenant_id: p.projectId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: state.portStatus(p),
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    allowed_address_pairs: p.allowedAddressPairs.map((a) => ({ mac_address: a.macAddress, ip_address: a.ipAddress })),
    extra_dhcp_opts: [],
    security_groups: [...p.securityGroups],
    description: p.description,
    'binding:vnic_type': 'normal',
    'binding:profile': {},
    'binding:host_id': p.hostId,
    'binding:vif_type': p.vifType,
    'binding:vif_details': vifDetails,
    port_security_enabled: p.portSecurityEnabled,
    qos_policy_id: p.qosPolicyId,
    qos_network_policy_id: null,
    resource_request: null,
    tags: [],
    ...stamps(p),
    revision_number: p.revision,
    project_id: p.projectId,
  };
}

export function ruleView(r: RuleRec, embedded = false): Json {
  return {
    id: r.id,
    tenant_id: r.projectId,
    security_group_id: r.securityGroupId,
    ethertype: r.ethertype,
    direction: r.direction,
    protocol: r.protocol,
    port_range_min: r.portRangeMin,
    port_range_max: r.portRangeMax,
    remote_ip_prefix: r.remoteIpPrefix,
    remote_address_group_id: null,
    normalized_cidr: normalizedCidr(r.remoteIpPrefix),
    remote_group_id: r.remoteGroupId,
    ...(embedded ? { standard_attr_id: r.standardAttrId } : {}),
    description: r.description,
    ...(embedded ? { tags: [] } : {}),
    ...stamps(r),
    revision_number: 0,
    project_id: r.projectId,
  };
}

export function securityGroupView(state: NeutronState, g: SecurityGroupRec): Json {
  return {
    id: g.id,
    name: g.name,
    stateful: true,
    tenant_id: g.projectId,
    description: g.description,
    shared: false,
    security_group_rules: state.rulesOf(g.id).map((r) => ruleView(r, true)),
    tags: [],
    ...stamps(g),
    revision_number: g.revision,
    project_id: g.projectId,
  };
}

export function qosPolicyView(q: QosPolicyRec): Json {
  return {
    id: q.id,
    project_id: q.projectId,
    name: q.name,
    shared: q.shared,
    rules: [],
    is_default: false,
    revision_number: q.revision,
    description: q.description,
    ...stamps(q),
    tenant_id: q.projectId,
    tags: [],
  };
}

export function ipAvailabilityView(state: NeutronState, n: NetworkRec): Json {
  const a = state.ipAvailability(n.id);
  return {
    network_id: n.id,
    network_name: n.name,
    tenant_id: n.projectId,
    project_id: n.projectId,
    subnet_ip_availability: a.subnets.map(({ subnet, used, total }) => ({
      subnet_id: subnet.id,
      ip_version: 4,
      cidr: subnet.cidr.text,
      subnet_name: subnet.name,
      used_ips: used,
      total_ips: total,
    })),
    used_ips: a.used,
    total_ips: a.total,
  };
}
