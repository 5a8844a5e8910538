/** Load balancer request bodies (Octavia api-ref: Load Balancers). */
import { z } from 'zod';
import { fields, validationFailure } from '../validation';
import { optional } from './common';
import { listenerSingleCreate } from './listener';
import { poolSingleCreate } from './pool';

/** What a PUT may change, and a POST set too. */
const mutable = {
  name: optional(fields.name()),
  description: optional(fields.description()),
  admin_state_up: optional(z.boolean()),
  vip_qos_policy_id: optional(fields.uuid()),
  tags: optional(fields.tags()),
};

// In Octavia's order: the first of several problems is the one reported.
export const loadBalancerCreate = z
  .object({
    name: mutable.name,
    description: mutable.description,
    admin_state_up: mutable.admin_state_up,
    project_id: optional(fields.projectId()),
    tenant_id: optional(fields.projectId()),
    vip_address: optional(fields.ip()),
    vip_port_id: optional(fields.uuid()),
    vip_subnet_id: optional(fields.uuid()),
    vip_network_id: optional(fields.uuid()),
    vip_qos_policy_id: mutable.vip_qos_policy_id,
    provider: optional(z.string().max(64)),
    flavor_id: optional(fields.uuid()),
    availability_zone: optional(z.string().max(255)),
    tags: mutable.tags,
    // Octavia's single-call create: the whole tree in one request (api/graph.ts).
    listeners: optional(z.array(listenerSingleCreate)),
    pools: optional(z.array(poolSingleCreate)),
  })
  .strict()
  .refine((lb) => lb.vip_port_id || lb.vip_network_id || lb.vip_subnet_id, validationFailure(
    'VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.',
  ));

export const loadBalancerUpdate = z.object(mutable).strict();

export const loadBalancerUpdateRoot = z.object({ loadbalancer: loadBalancerUpdate }).strict();

export const loadBalancerCreateRoot = z.object({ loadbalancer: loadBalancerCreate }).strict();

export type LoadBalancerCreate = z.infer<typeof loadBalancerCreate>;
