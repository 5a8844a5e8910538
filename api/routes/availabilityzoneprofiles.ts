/**
 * /v2/lbaas/availabilityzoneprofiles (Octavia api-ref: Availability Zone Profiles; admin only). A
 * profile holds a provider's availability zone metadata as a JSON string (`compute_zone`, ...),
 * validated against the provider's capabilities (api/providers.ts). A profile used by an
 * availability zone cannot be deleted, nor its provider or metadata changed (409), under a lock of
 * the profile row as for flavor profiles.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { AvailabilityZoneProfile } from '../../generated/prisma/client';
import type { ApiDeps } from '../deps';
import { findOr404, type Tx } from '../lifecycle';
import { isUuid, selectOne, type FilterSpec, listPage } from '../listing';
import { parseMetadata, requireProvider, validateAvailabilityZoneData } from '../providers';
import { parseBody } from '../validation';
import { InvalidOption, NotFound, ObjectInUse } from '../../common/errors';

const name = () => z.string().max(255);
const data = () => z.string().max(4096);

export const availabilityZoneProfileCreateRoot = z
  .object({ availability_zone_profile: z.object({ name: name(), provider_name: name(), availability_zone_data: data() }).strict() })
  .strict();

export const availabilityZoneProfileUpdateRoot = z
  .object({
    availability_zone_profile: z
      .object({
        name: name().nullable().optional(),
        provider_name: name().nullable().optional(),
        availability_zone_data: data().nullable().optional(),
      })
      .strict(),
  })
  .strict();

export function availabilityZoneProfileView(p: AvailabilityZoneProfile) {
  return { id: p.id, name: p.name, provider_name: p.providerName, availability_zone_data: p.availabilityZoneData };
}

const filters: FilterSpec = {
  id: { column: 'id', kind: 'uuid' },
  name: { column: 'name', kind: 'string' },
  provider_name: { column: 'providerName', kind: 'string' },
  availability_zone_data: { column: 'availabilityZoneData', kind: 'string' },
};

const RESOURCE = 'Availability Zone Profile';

async function lockProfile(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM availability_zone_profile WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length > 0;
}

export function availabilityZoneProfileRoutes(deps: ApiDeps): Router {
  const { db, compute } = deps;
  const router = Router();
  const find = (id: string) => findOr404(RESOURCE, id, (i) => db.availabilityZoneProfile.findUnique({ where: { id: i } }));

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      timestamps: false,
      key: 'id',
      findMany: (args) => db.availabilityZoneProfile.findMany(args),
      findById: async (id) => (isUuid(id) ? db.availabilityZoneProfile.findUnique({ where: { id } }) : null),
      view: availabilityZoneProfileView,
    });
    res.json({ availability_zone_profiles: page.items, availability_zone_profile_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ availability_zone_profile: selectOne(req, availabilityZoneProfileView(await find(req.params.id))) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(availabilityZoneProfileCreateRoot, req.body, 'availability_zone_profile_').availability_zone_profile;
    const metadata = parseMetadata(body.availability_zone_data, 'availability_zone_data');
    await validateAvailabilityZoneData(requireProvider(body.provider_name), metadata, compute);
    const row = await db.availabilityZoneProfile.create({
      data: { id: randomUUID(), name: body.name, providerName: body.provider_name, availabilityZoneData: body.availability_zone_data },
    });
    res.status(201).json({ availability_zone_profile: availabilityZoneProfileView(row) });
  });

  router.put('/:id', async (req, res) => {
    const body = parseBody(availabilityZoneProfileUpdateRoot, req.body, 'availability_zone_profile_').availability_zone_profile;
    for (const field of ['name', 'provider_name', 'availability_zone_data'] as const) {
      if (body[field] === null) throw new InvalidOption(null, field);
    }
    const current = await find(req.params.id);
    const provider = body.provider_name ?? current.providerName;
    if (body.provider_name !== undefined) requireProvider(provider);
    if (body.availability_zone_data != null) {
      await validateAvailabilityZoneData(provider, parseMetadata(body.availability_zone_data, 'availability_zone_data'), compute);
    }
    const updated = await db.$transaction(async (tx) => {
      if (!(await lockProfile(tx, current.id))) throw new NotFound(RESOURCE, current.id);
      const changesMetadata = body.provider_name !== undefined || body.availability_zone_data !== undefined;
      if (changesMetadata && (await tx.availabilityZone.count({ where: { availabilityZoneProfileId: current.id } })) > 0) {
        throw new ObjectInUse(RESOURCE, current.id);
      }
      return tx.availabilityZoneProfile.update({
        where: { id: current.id },
        data: {
          ...(body.name != null ? { name: body.name } : {}),
          ...(body.provider_name != null ? { providerName: body.provider_name } : {}),
          ...(body.availability_zone_data != null ? { availabilityZoneData: body.availability_zone_data } : {}),
        },
      });
    });
    res.json({ availability_zone_profile: availabilityZoneProfileView(updated) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id);
    await db.$transaction(async (tx) => {
      if (!(await lockProfile(tx, current.id))) throw new NotFound(RESOURCE, current.id);
      if ((await tx.availabilityZone.count({ where: { availabilityZoneProfileId: current.id } })) > 0) {
        throw new ObjectInUse(RESOURCE, current.id);
      }
      await tx.availabilityZoneProfile.delete({ where: { id: current.id } });
    });
    res.status(204).end();
  });

  return router;
}
