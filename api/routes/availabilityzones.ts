/**
 * /v2/lbaas/availabilityzones (Octavia api-ref: Availability Zones). Keyed by name, as in Octavia: a
 * load balancer's `availability_zone` names one, which must exist and be enabled when the load
 * balancer is created (domain/loadbalancer-flavor.ts checkAvailabilityZone, in the creating transaction). Its profile's
 * `compute_zone` is where the load balancer's amphorae are built. An availability zone in use by a
 * load balancer cannot be deleted (409): the delete locks the zone's row, which a load balancer being
 * created holds a share lock on, so neither can slip past the other.
 */
import { Router } from 'express';
import { z } from 'zod';
import { ProvisioningStatus } from '../../common/status';
import { Prisma, type AvailabilityZone } from '../../generated/prisma/client';
import type { ApiDeps } from '../deps';
import { selectOne, type FilterSpec, listPage } from '../listing';
import { fields, parseBody } from '../validation';
import { InvalidOption, NotFound, ObjectInUse, RecordAlreadyExists } from '../../common/errors';

export const availabilityZoneCreateRoot = z
  .object({
    availability_zone: z
      .object({
        name: fields.name(),
        description: fields.description().nullable().optional(),
        enabled: z.boolean().nullable().optional(),
        availability_zone_profile_id: fields.uuid(),
      })
      .strict(),
  })
  .strict();

export const availabilityZoneUpdateRoot = z
  .object({
    availability_zone: z.object({ description: fields.description().nullable().optional(), enabled: z.boolean().nullable().optional() }).strict(),
  })
  .strict();

export function availabilityZoneView(az: AvailabilityZone) {
  return {
    name: az.name,
    description: az.description ?? '',
    enabled: az.enabled,
    availability_zone_profile_id: az.availabilityZoneProfileId,
  };
}

const filters: FilterSpec = {
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  enabled: { column: 'enabled', kind: 'bool' },
  availability_zone_profile_id: { column: 'availabilityZoneProfileId', kind: 'uuid' },
};

const RESOURCE = 'Availability Zone';

export function availabilityZoneRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = async (name: string) => {
    const az = name.includes('\0') ? null : await db.availabilityZone.findUnique({ where: { name } });
    if (!az) throw new NotFound(RESOURCE, name);
    return az;
  };

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      timestamps: false,
      key: 'name',
      findMany: (args) => db.availabilityZone.findMany(args),
      findById: (name) => db.availabilityZone.findUnique({ where: { name } }),
      view: availabilityZoneView,
    });
    res.json({ availability_zones: page.items, availability_zones_links: page.links });
  });

  router.get('/:name', async (req, res) => {
    res.json({ availability_zone: selectOne(req, availabilityZoneView(await find(req.params.name))) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(availabilityZoneCreateRoot, req.body, 'availability_zone_').availability_zone;
    let row: AvailabilityZone;
    try {
      row = await db.availabilityZone.create({
        data: {
          name: body.name,
          description: body.description ?? null,
          enabled: body.enabled ?? true,
          availabilityZoneProfileId: body.availability_zone_profile_id,
        },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new RecordAlreadyExists('availability zone', body.name);
      }
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') {
        throw new InvalidOption(body.availability_zone_profile_id, 'availability_zone_profile_id');
      }
      throw err;
    }
    res.status(201).json({ availability_zone: availabilityZoneView(row) });
  });

  router.put('/:name', async (req, res) => {
    const body = parseBody(availabilityZoneUpdateRoot, req.body, 'availability_zone_').availability_zone;
    const current = await find(req.params.name);
    const row = await db.availabilityZone.update({
      where: { name: current.name },
      data: {
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled ?? false } : {}),
      },
    });
    res.json({ availability_zone: availabilityZoneView(row) });
  });

  router.delete('/:name', async (req, res) => {
    const current = await find(req.params.name);
    await db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ name: string }[]>`SELECT name FROM availability_zone WHERE name = ${current.name} FOR UPDATE`;
      if (locked.length === 0) throw new NotFound(RESOURCE, current.name);
      const inUse = await tx.loadBalancer.count({
        where: { availabilityZone: current.name, provisioningStatus: { not: ProvisioningStatus.DELETED } },
      });
      if (inUse > 0) throw new ObjectInUse(RESOURCE, current.name);
      await tx.availabilityZone.delete({ where: { name: current.name } });
    });
    res.status(204).end();
  });

  return router;
}
