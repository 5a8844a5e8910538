/** Availability zones and their profiles (Octavia's AvailabilityZoneResponse, AvailabilityZoneProfileResponse). */
import { z } from 'zod';
import type { AvailabilityZone, AvailabilityZoneProfile } from '../../generated/prisma/client';
import { body, resource, stored } from '../resource';
import {
  availabilityZoneCreateRoot,
  availabilityZoneProfileCreateRoot,
  availabilityZoneProfileUpdateRoot,
  availabilityZoneUpdateRoot,
} from '../schemas/availability-zone';
import { defaulted, text } from './common';

/** Keyed by name, as in Octavia. */
export const availabilityZones = resource<AvailabilityZone>()({
  model: 'availabilityZone',
  name: 'Availability Zone',
  singular: 'availability_zone',
  plural: 'availability_zones',
  key: 'name',
  timestamps: false,
  fields: {
    name: stored(z.string()),
    description: text(),
    enabled: defaulted(z.boolean(), true),
    availability_zone_profile_id: stored(z.guid()),
  },
  bodies: {
    create: body(availabilityZoneCreateRoot, 'availability_zone_'),
    update: body(availabilityZoneUpdateRoot, 'availability_zone_'),
  },
});

export const availabilityZoneProfiles = resource<AvailabilityZoneProfile>()({
  model: 'availabilityZoneProfile',
  name: 'Availability Zone Profile',
  singular: 'availability_zone_profile',
  plural: 'availability_zone_profiles',
  // Octavia's (singular) links key.
  links: 'availability_zone_profile_links',
  timestamps: false,
  fields: {
    id: stored(z.guid()),
    name: stored(z.string()),
    provider_name: stored(z.string()),
    availability_zone_data: stored(z.string()),
  },
  bodies: {
    create: body(availabilityZoneProfileCreateRoot, 'availability_zone_profile_'),
    update: body(availabilityZoneProfileUpdateRoot, 'availability_zone_profile_'),
  },
});
