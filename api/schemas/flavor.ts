/** Flavor and flavor profile request bodies (Octavia api-ref: Flavors, Flavor Profiles). */
import { z } from 'zod';
import { fields } from '../validation';
import { optional } from './common';

/** What a flavor and an availability zone are created with, besides the profile they name. */
export const catalogEntry = { name: fields.name(), description: optional(fields.description()), enabled: optional(z.boolean()) };

export const flavorCreateRoot = z.object({ flavor: z.object({ ...catalogEntry, flavor_profile_id: fields.uuid() }).strict() }).strict();

export const flavorUpdateRoot = z
  .object({
    flavor: z.object({ name: optional(fields.name()), description: optional(fields.description()), enabled: optional(z.boolean()) }).strict(),
  })
  .strict();

/** A provider's metadata, as the JSON text Octavia stores. */
export const metadata = () => z.string().max(4096);

export const flavorProfileCreateRoot = z
  .object({ flavorprofile: z.object({ name: fields.name(), provider_name: fields.name(), flavor_data: metadata() }).strict() })
  .strict();

export const flavorProfileUpdateRoot = z
  .object({
    flavorprofile: z
      .object({ name: optional(fields.name()), provider_name: optional(fields.name()), flavor_data: optional(metadata()) })
      .strict(),
  })
  .strict();
