/** The load balancer (Octavia's LoadBalancerResponse). */
import { z } from 'zod';
import type { LoadBalancer } from '../../generated/prisma/client';
import { body, computed, resource, stored } from '../resource';
import { loadBalancerCreateRoot, loadBalancerUpdateRoot } from '../schemas/loadbalancer';
import { objectFields, refsOf, text } from './common';

/** What a load balancer's view needs besides the row: its listeners and pools. */
export const loadBalancerInclude = { listeners: { select: { id: true } }, pools: { select: { id: true } } } as const;

export type LoadBalancerRow = LoadBalancer & { listeners: { id: string }[]; pools: { id: string }[] };

export const loadBalancers = resource<LoadBalancerRow>()({
  model: 'loadBalancer',
  name: 'Load Balancer',
  singular: 'loadbalancer',
  plural: 'loadbalancers',
  fields: {
    ...objectFields,
    name: text(),
    description: text(),
    vip_address: stored(z.string().nullable()),
    vip_port_id: stored(z.string().nullable()),
    vip_subnet_id: stored(z.string().nullable()),
    vip_network_id: stored(z.string().nullable()),
    vip_qos_policy_id: stored(z.string().nullable()),
    additional_vips: computed(z.array(z.object({ subnet_id: z.string(), ip_address: z.string() })), () => []),
    listeners: refsOf('listeners'),
    pools: refsOf('pools'),
    provider: stored(z.string()),
    flavor_id: stored(z.guid().nullable()),
    availability_zone: stored(z.string().nullable()),
  },
  bodies: {
    create: body(loadBalancerCreateRoot, 'load_balancer'),
    update: body(loadBalancerUpdateRoot, 'load_balancer'),
  },
});
