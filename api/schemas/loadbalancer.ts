/** Load balancer request bodies (Octavia api-ref: Load Balancers). */
import { z } from 'zod';
import { fields, validationFailure } from '../validation';

const optional = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const loadBalancerCreate = z
  .object({
    name: optional(fields.name()),
    description: optional(fields.description()),
    admin_state_up: optional(z.boolean()),
    project_id: optional(fields.projectId()),
    tenant_id: optional(fields.projectId()),
    vip_address: optional(fields.ip()),
    vip_port_id: optional(fields.uuid()),
    vip_subnet_id: optional(fields.uuid()),
    vip_network_id: optional(fields.uuid()),
    vip_qos_policy_id: optional(fields.uuid()),
    provider: optional(z.string().max(64)),
    flavor_id: optional(fields.uuid()),
    availability_zone: optional(z.string().max(255)),
    tags: optional(fields.tags()),
  })
  .strict()
  .refine((lb) => lb.vip_port_id || lb.vip_network_id || lb.vip_subnet_id, validationFailure(
    'VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.',
  ));

export const loadBalancerUpdate = z
  .object({
    name: optional(fields.name()),
    description: optional(fields.description()),
    admin_state_up: optional(z.boolean()),
    vip_qos_policy_id: optional(fields.uuid()),
    tags: optional(fields.tags()),
  })
  .strict();

export const loadBalancerUpdateRoot = z.object({ loadbalancer: loadBalancerUpdate }).strict();

export const loadBalancerCreateRoot = z.object({ loadbalancer: loadBalancerCreate }).strict();

export type LoadBalancerCreate = z.infer<typeof loadBalancerCreate>;

/** Fields a list may be filtered by (any other query parameter is a 400, as in Octavia). */
export const loadBalancerFilterFields = [
  'id',
  'name',
  'description',
  'project_id',
  'provisioning_status',
  'operating_status',
  'vip_address',
  'vip_port_id',
  'vip_subnet_id',
  'vip_network_id',
  'vip_qos_policy_id',
  'provider',
  'flavor_id',
  'availability_zone',
  'admin_state_up',
] as const;
