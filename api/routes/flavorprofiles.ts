/**
 * /v2/lbaas/flavorprofiles (Octavia api-ref: Flavor Profiles; admin only). A profile holds a
 * provider's flavor metadata as a JSON string, validated against the provider's capabilities
 * (api/providers.ts). A profile used by a flavor cannot be deleted, nor its provider or metadata
 * changed (409); both checks lock the profile row, so a flavor created concurrently cannot slip in.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { FlavorProfile } from '../../generated/prisma/client';
import type { ApiDeps } from '../deps';
import { findOr404, type Tx } from '../lifecycle';
import { isUuid, selectOne, type FilterSpec, listPage } from '../listing';
import { parseMetadata, requireProvider, validateFlavorData } from '../providers';
import { parseBody } from '../validation';
import { InvalidOption, NotFound, ObjectInUse } from '../../common/errors';

const name = () => z.string().max(255);
const data = () => z.string().max(4096);

export const flavorProfileCreateRoot = z
  .object({ flavorprofile: z.object({ name: name(), provider_name: name(), flavor_data: data() }).strict() })
  .strict();

export const flavorProfileUpdateRoot = z
  .object({
    flavorprofile: z
      .object({ name: name().nullable().optional(), provider_name: name().nullable().optional(), flavor_data: data().nullable().optional() })
      .strict(),
  })
  .strict();

export function flavorProfileView(p: FlavorProfile) {
  return { id: p.id, name: p.name, provider_name: p.providerName, flavor_data: p.flavorData };
}

const filters: FilterSpec = {
  id: { column: 'id', kind: 'uuid' },
  name: { column: 'name', kind: 'string' },
  provider_name: { column: 'providerName', kind: 'string' },
  flavor_data: { column: 'flavorData', kind: 'string' },
};

/** Locks the profile against flavors being created on it (their foreign key check waits). */
async function lockProfile(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM flavor_profile WHERE id = ${id}::uuid FOR UPDATE`;
  return rows.length > 0;
}

export function flavorProfileRoutes(deps: ApiDeps): Router {
  const { db, compute } = deps;
  const router = Router();
  const find = (id: string) => findOr404('Flavor Profile', id, (i) => db.flavorProfile.findUnique({ where: { id: i } }));

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      timestamps: false,
      key: 'id',
      findMany: (args) => db.flavorProfile.findMany(args),
      findById: async (id) => (isUuid(id) ? db.flavorProfile.findUnique({ where: { id } }) : null),
      view: flavorProfileView,
    });
    // Octavia's (singular) links key.
    res.json({ flavorprofiles: page.items, flavorprofile_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ flavorprofile: selectOne(req, flavorProfileView(await find(req.params.id))) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(flavorProfileCreateRoot, req.body, 'flavor_profile_').flavorprofile;
    const metadata = parseMetadata(body.flavor_data, 'flavor_data');
    await validateFlavorData(requireProvider(body.provider_name), metadata, compute);
    const row = await db.flavorProfile.create({
      data: { id: randomUUID(), name: body.name, providerName: body.provider_name, flavorData: body.flavor_data },
    });
    res.status(201).json({ flavorprofile: flavorProfileView(row) });
  });

  router.put('/:id', async (req, res) => {
    const body = parseBody(flavorProfileUpdateRoot, req.body, 'flavor_profile_').flavorprofile;
    for (const field of ['name', 'provider_name', 'flavor_data'] as const) {
      if (body[field] === null) throw new InvalidOption(null, field);
    }
    const current = await find(req.params.id);
    const provider = body.provider_name ?? current.providerName;
    if (body.provider_name !== undefined) requireProvider(provider);
    if (body.flavor_data !== undefined && body.flavor_data !== null) {
      await validateFlavorData(provider, parseMetadata(body.flavor_data, 'flavor_data'), compute);
    }
    const updated = await db.$transaction(async (tx) => {
      if (!(await lockProfile(tx, current.id))) throw new NotFound('Flavor Profile', current.id);
      const changesMetadata = body.provider_name !== undefined || body.flavor_data !== undefined;
      if (changesMetadata && (await tx.flavor.count({ where: { flavorProfileId: current.id } })) > 0) {
        throw new ObjectInUse('Flavor profile', current.id);
      }
      return tx.flavorProfile.update({
        where: { id: current.id },
        data: {
          ...(body.name != null ? { name: body.name } : {}),
          ...(body.provider_name != null ? { providerName: body.provider_name } : {}),
          ...(body.flavor_data != null ? { flavorData: body.flavor_data } : {}),
        },
      });
    });
    res.json({ flavorprofile: flavorProfileView(updated) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id);
    await db.$transaction(async (tx) => {
      if (!(await lockProfile(tx, current.id))) throw new NotFound('Flavor Profile', current.id);
      if ((await tx.flavor.count({ where: { flavorProfileId: current.id } })) > 0) throw new ObjectInUse('Flavor profile', current.id);
      await tx.flavorProfile.delete({ where: { id: current.id } });
    });
    res.status(204).end();
  });

  return router;
}
