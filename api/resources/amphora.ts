/** The amphora (Octavia's AmphoraResponse; admin only). */
import { z } from 'zod';
import { AmphoraRole, AmphoraStatus } from '../../common/status';
import type { Amphora } from '../../generated/prisma/client';
import { computed, resource, stored } from '../resource';

const text = () => stored(z.string().nullable());

export const amphorae = resource<Amphora>()({
  model: 'amphora',
  name: 'Amphora',
  singular: 'amphora',
  plural: 'amphorae',
  fields: {
    id: stored(z.guid()),
    loadbalancer_id: stored(z.guid().nullable(), { column: 'loadBalancerId' }),
    compute_id: text(),
    lb_network_ip: text(),
    vrrp_ip: text(),
    ha_ip: text(),
    vrrp_port_id: text(),
    ha_port_id: text(),
    cert_expiration: text(),
    cert_busy: computed(z.boolean(), () => false),
    role: stored(z.enum(AmphoraRole).nullable()),
    status: stored(z.enum(AmphoraStatus)),
    vrrp_interface: text(),
    vrrp_id: stored(z.number().int().nullable()),
    vrrp_priority: stored(z.number().int().nullable()),
    cached_zone: text(),
    image_id: text(),
    compute_flavor: text(),
    created_at: stored(z.string()),
    updated_at: text(),
  },
  bodies: {},
});
