/** Availability zone and availability zone profile request bodies (Octavia api-ref). */
import { z } from 'zod';
import { fields } from '../validation';
import { optional } from './common';
import { catalogEntry, metadata } from './flavor';

export const availabilityZoneCreateRoot = z
  .object({ availability_zone: z.object({ ...catalogEntry, availability_zone_profile_id: fields.uuid() }).strict() })
  .strict();

export const availabilityZoneUpdateRoot = z
  .object({
    availability_zone: z.object({ description: optional(fields.description()), enabled: optional(z.boolean()) }).strict(),
  })
  .strict();

export const availabilityZoneProfileCreateRoot = z
  .object({
    availability_zone_profile: z
      .object({ name: fields.name(), provider_name: fields.name(), availability_zone_data: metadata() })
      .strict(),
  })
  .strict();

export const availabilityZoneProfileUpdateRoot = z
  .object({
    availability_zone_profile: z
      .object({
        name: optional(fields.name()),
        provider_name: optional(fields.name()),
        availability_zone_data: optional(metadata()),
      })
      .strict(),
  })
  .strict();
