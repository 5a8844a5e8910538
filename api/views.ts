/** Octavia's wire shapes: snake_case fields, naive UTC timestamps, child references as `{id}` lists. */
import type { Amphora, Listener, LoadBalancer } from '../generated/prisma/client';

/** Octavia prints `YYYY-MM-DDTHH:MM:SS` (UTC, no zone, no fraction). */
export const timestamp = (d: Date | null) => (d ? d.toISOString().slice(0, 19) : null);

/** What every load-balancing object shows: id, statuses, admin state, project (twice, as Octavia), times, tags. */
export function objectView(o: {
  id: string;
  provisioningStatus: string;
  operatingStatus: string;
  enabled: boolean;
  projectId: string;
  createdAt: Date;
  updatedAt: Date | null;
  tags: string[];
}) {
  return {
    id: o.id,
    provisioning_status: o.provisioningStatus,
    operating_status: o.operatingStatus,
    admin_state_up: o.enabled,
    project_id: o.projectId,
    created_at: timestamp(o.createdAt),
    updated_at: timestamp(o.updatedAt),
    tags: [...o.tags].sort(),
    tenant_id: o.projectId,
  };
}

export const refs = (rows: { id: string }[]) => rows.map((r) => ({ id: r.id }));

export type LoadBalancerWithChildren = LoadBalancer & { listeners: { id: string }[]; pools: { id: string }[] };

export function loadBalancerView(lb: LoadBalancerWithChildren) {
  return {
    ...objectView(lb),
    name: lb.name ?? '',
    description: lb.description ?? '',
    vip_address: lb.vipAddress,
    vip_port_id: lb.vipPortId,
    vip_subnet_id: lb.vipSubnetId,
    vip_network_id: lb.vipNetworkId,
    vip_qos_policy_id: lb.vipQosPolicyId,
    additional_vips: [],
    listeners: refs(lb.listeners),
    pools: refs(lb.pools),
    provider: lb.provider,
    flavor_id: lb.flavorId,
    availability_zone: lb.availabilityZone,
  };
}

/** `l7Policies`: the listener's policies in position order (a listener read without them has none yet). */
export function listenerView(l: Listener & { l7Policies?: { id: string }[] }) {
  return {
    ...objectView(l),
    name: l.name ?? '',
    description: l.description ?? '',
    protocol: l.protocol,
    protocol_port: l.protocolPort,
    connection_limit: l.connectionLimit,
    default_tls_container_ref: l.defaultTlsContainerRef,
    sni_container_refs: l.sniContainerRefs,
    default_pool_id: l.defaultPoolId,
    l7policies: refs(l.l7Policies ?? []),
    insert_headers: l.insertHeaders,
    loadbalancers: [{ id: l.loadBalancerId }],
    timeout_client_data: l.timeoutClientData,
    timeout_member_connect: l.timeoutMemberConnect,
    timeout_member_data: l.timeoutMemberData,
    timeout_tcp_inspect: l.timeoutTcpInspect,
    client_ca_tls_container_ref: null,
    client_authentication: l.clientAuthentication,
    client_crl_container_ref: null,
    allowed_cidrs: l.allowedCidrs.length > 0 ? l.allowedCidrs : null,
    tls_ciphers: null,
    tls_versions: null,
    alpn_protocols: null,
  };
}

export function amphoraView(a: Amphora) {
  return {
    id: a.id,
    loadbalancer_id: a.loadBalancerId,
    compute_id: a.computeId,
    lb_network_ip: a.lbNetworkIp,
    vrrp_ip: a.vrrpIp,
    ha_ip: a.haIp,
    vrrp_port_id: a.vrrpPortId,
    ha_port_id: a.haPortId,
    cert_expiration: timestamp(a.certExpiration),
    cert_busy: false,
    role: a.role,
    status: a.status,
    vrrp_interface: null,
    vrrp_id: null,
    vrrp_priority: a.vrrpPriority,
    cached_zone: a.cachedZone,
    image_id: a.imageId,
    compute_flavor: a.computeFlavor,
    created_at: timestamp(a.createdAt),
    updated_at: timestamp(a.updatedAt),
  };
}
