/**
 * /v2/lbaas/flavors (Octavia api-ref: Flavors). Everyone may list and show flavors; only admins
 * write them. A flavor names a flavor profile; a load balancer created with it takes the profile's
 * topology and compute flavor. A disabled flavor cannot be chosen for new load balancers; a flavor in
 * use by a load balancer cannot be deleted (409): the delete locks the flavor row, and a load balancer
 * being created with it holds the row's key-share lock (its foreign key), so neither can slip past
 * the other.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { ProvisioningStatus } from '../../common/status';
import { Prisma, type Flavor } from '../../generated/prisma/client';
import type { ApiDeps } from '../deps';
import { findOr404 } from '../lifecycle';
import { isUuid, selectOne, type FilterSpec, listPage } from '../listing';
import { fields, parseBody } from '../validation';
import { InvalidOption, NotFound, ObjectInUse, RecordAlreadyExists } from '../../common/errors';

export const flavorCreateRoot = z
  .object({
    flavor: z
      .object({
        name: fields.name(),
        description: fields.description().nullable().optional(),
        enabled: z.boolean().nullable().optional(),
        flavor_profile_id: fields.uuid(),
      })
      .strict(),
  })
  .strict();

export const flavorUpdateRoot = z
  .object({
    flavor: z
      .object({ name: fields.name().nullable().optional(), description: fields.description().nullable().optional(), enabled: z.boolean().nullable().optional() })
      .strict(),
  })
  .strict();

export function flavorView(f: Flavor) {
  return { id: f.id, name: f.name, description: f.description ?? '', enabled: f.enabled, flavor_profile_id: f.flavorProfileId };
}

const filters: FilterSpec = {
  id: { column: 'id', kind: 'uuid' },
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  enabled: { column: 'enabled', kind: 'bool' },
  flavor_profile_id: { column: 'flavorProfileId', kind: 'uuid' },
};

const isUniqueViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
const isForeignKeyViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003';

export function flavorRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string) => findOr404('Flavor', id, (i) => db.flavor.findUnique({ where: { id: i } }));

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      timestamps: false,
      key: 'id',
      findMany: (args) => db.flavor.findMany(args),
      findById: async (id) => (isUuid(id) ? db.flavor.findUnique({ where: { id } }) : null),
      view: flavorView,
    });
    res.json({ flavors: page.items, flavors_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ flavor: selectOne(req, flavorView(await find(req.params.id))) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(flavorCreateRoot, req.body, 'flavor_').flavor;
    let row: Flavor;
    try {
      row = await db.flavor.create({
        data: {
          id: randomUUID(),
          name: body.name,
          description: body.description ?? null,
          enabled: body.enabled ?? true,
          flavorProfileId: body.flavor_profile_id,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new RecordAlreadyExists('flavor', body.name);
      if (isForeignKeyViolation(err)) throw new InvalidOption(body.flavor_profile_id, 'flavor_profile_id');
      throw err;
    }
    res.status(201).json({ flavor: flavorView(row) });
  });

  router.put('/:id', async (req, res) => {
    const body = parseBody(flavorUpdateRoot, req.body, 'flavor_').flavor;
    if (body.name === null) throw new InvalidOption(null, 'name');
    const current = await find(req.params.id);
    let row: Flavor;
    try {
      row = await db.flavor.update({
        where: { id: current.id },
        data: {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          // null is false, as Octavia reads a null boolean.
          ...(body.enabled !== undefined ? { enabled: body.enabled ?? false } : {}),
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new RecordAlreadyExists('flavor', body.name ?? current.name);
      throw err;
    }
    res.json({ flavor: flavorView(row) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id);
    await db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM flavor WHERE id = ${current.id}::uuid FOR UPDATE`;
      if (locked.length === 0) throw new NotFound('Flavor', current.id);
      const inUse = await tx.loadBalancer.count({ where: { flavorId: current.id, provisioningStatus: { not: ProvisioningStatus.DELETED } } });
      if (inUse > 0) throw new ObjectInUse('Flavor', current.id);
      // Deleted load balancers keep no reference (their flavor_id is set NULL by the foreign key).
      await tx.flavor.delete({ where: { id: current.id } });
    });
    res.status(204).end();
  });

  return router;
}
