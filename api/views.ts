/** Octavia's wire shapes: snake_case fields, naive UTC timestamps, child references as `{id}` lists. */
import type { LoadBalancer } from '../generated/prisma/client';

/** Octavia prints `YYYY-MM-DDTHH:MM:SS` (UTC, no zone, no fraction). */
export const timestamp = (d: Date | null) => (d ? d.toISOString().slice(0, 19) : null);

const refs = (rows: { id: string }[]) => rows.map((r) => ({ id: r.id }));

export type LoadBalancerWithChildren = LoadBalancer & { listeners: { id: string }[]; pools: { id: string }[] };

export function loadBalancerView(lb: LoadBalancerWithChildren) {
  return {
    id: lb.id,
    name: lb.name,
    description: lb.description,
    provisioning_status: lb.provisioningStatus,
    operating_status: lb.operatingStatus,
    admin_state_up: lb.enabled,
    project_id: lb.projectId,
    created_at: timestamp(lb.createdAt),
    updated_at: timestamp(lb.updatedAt),
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
    tags: [...lb.tags].sort(),
    tenant_id: lb.projectId,
  };
}
