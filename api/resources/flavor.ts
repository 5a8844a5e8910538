/** Flavors and flavor profiles (Octavia's FlavorResponse, FlavorProfileResponse). */
import { z } from 'zod';
import type { Flavor, FlavorProfile } from '../../generated/prisma/client';
import { body, resource, stored } from '../resource';
import { flavorCreateRoot, flavorProfileCreateRoot, flavorProfileUpdateRoot, flavorUpdateRoot } from '../schemas/flavor';
import { defaulted, text } from './common';

export const flavors = resource<Flavor>()({
  model: 'flavor',
  name: 'Flavor',
  singular: 'flavor',
  plural: 'flavors',
  timestamps: false,
  fields: {
    id: stored(z.guid()),
    name: stored(z.string()),
    description: text(),
    enabled: defaulted(z.boolean(), true),
    flavor_profile_id: stored(z.guid()),
  },
  bodies: {
    create: body(flavorCreateRoot, 'flavor_'),
    update: body(flavorUpdateRoot, 'flavor_'),
  },
});

export const flavorProfiles = resource<FlavorProfile>()({
  model: 'flavorProfile',
  name: 'Flavor Profile',
  singular: 'flavorprofile',
  plural: 'flavorprofiles',
  // Octavia's (singular) links key.
  links: 'flavorprofile_links',
  timestamps: false,
  fields: {
    id: stored(z.guid()),
    name: stored(z.string()),
    provider_name: stored(z.string()),
    flavor_data: stored(z.string()),
  },
  bodies: {
    create: body(flavorProfileCreateRoot, 'flavor_profile_'),
    update: body(flavorProfileUpdateRoot, 'flavor_profile_'),
  },
});
