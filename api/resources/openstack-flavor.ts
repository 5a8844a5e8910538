/** The openstack flavors API's flavor (Valence's shape, unwrapped, keyed `uuid`). */
import { z } from 'zod';
import { novaExtraSpecs } from '../../domain/flavor-capabilities';
import { OpenstackFlavorStatus } from '../../generated/prisma/enums';
import type { OpenstackFlavor } from '../../generated/prisma/client';
import { body, computed, resource, stored } from '../resource';
import { openstackFlavorCreate } from '../schemas/openstack-flavor';

const count = () => stored(z.number().int());

export const openstackFlavors = resource<OpenstackFlavor>()({
  model: 'openstackFlavor',
  name: 'Openstack flavor',
  singular: 'openstack_flavor',
  plural: 'openstack_flavors',
  fields: {
    uuid: stored(z.guid(), { column: 'id' }),
    name: stored(z.string()),
    ram: count(),
    vcpus: count(),
    disk: count(),
    cpu_speed: stored(z.number().int().nullable()),
    memory_speed: stored(z.number().int().nullable()),
    cpu_arch: stored(z.string().nullable()),
    properties: stored(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
    /** What the flavor carries (or will carry) in Nova. */
    extra_specs: computed(z.record(z.string(), z.string()), novaExtraSpecs),
    nova_flavor_id: stored(z.string().nullable()),
    status: stored(z.enum(OpenstackFlavorStatus)),
    created_at: stored(z.string()),
    updated_at: stored(z.string().nullable()),
  },
  // Not Octavia's API: its body's JSON types are taken as they are (Valence's JSON schema).
  bodies: { create: body(openstackFlavorCreate, 'openstack_flavor', 'strict') },
});
