/**
 * /v2/lbaas/flavorprofiles and /v2/lbaas/availabilityzoneprofiles (Octavia api-ref: Flavor Profiles,
 * Availability Zone Profiles; admin only). A profile holds a provider's metadata as a JSON string,
 * validated against the provider's capabilities (api/providers.ts). A profile used by a flavor (an
 * availability zone) cannot be deleted, nor its provider or metadata changed (409, api/catalog.ts).
 */
import { randomUUID } from 'node:crypto';
import type { AvailabilityZoneProfile, FlavorProfile } from '../../generated/prisma/client';
import { guarded, type Guarded } from '../catalog';
import { collection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { authorize } from '../context';
import type { Tx } from '../lifecycle';
import { parseMetadata, requireProvider, validateAvailabilityZoneData, validateFlavorData } from '../../domain/providers';
import type { Body, Resource } from '../resource';
import { availabilityZoneProfiles } from '../resources/availability-zone';
import { flavorProfiles } from '../resources/flavor';
import type { AmphoraComputeDriver } from '../../drivers/compute/port';
import { InvalidOption } from '../../common/errors';

type ProfileRow = { id: string; name: string; providerName: string } & Record<string, unknown>;
type Fields = { name?: string | null; provider_name?: string | null } & Record<string, unknown>;

interface ProfileKind<R extends ProfileRow> {
  resource: Resource<R> & { bodies: { create: Body; update: Body } };
  /** Whose policy actions its routes are. */
  rbac: 'flavor-profile' | 'availability-zone-profile';
  guard: Guarded;
  /** The metadata's wire field and column. */
  data: { wire: string; column: string };
  validate(provider: string, data: unknown, compute: AmphoraComputeDriver): Promise<void>;
  table(tx: Tx): {
    create(args: { data: Record<string, unknown> }): Promise<R>;
    update(args: { where: { id: string }; data: Record<string, unknown> }): Promise<R>;
    delete(args: { where: { id: string } }): Promise<unknown>;
  };
}

function profileRoutes<R extends ProfileRow>(deps: ApiDeps, kind: ProfileKind<R>): ApiRouter {
  const { db, compute } = deps;
  const { resource, data } = kind;
  const routes = new ApiRouter();
  // Profiles belong to no project: Octavia checks the caller before looking them up.
  const all = collection(deps, resource, { rbac: kind.rbac, projectOf: 'none' });
  all.routes(routes);
  const bodyOf = (parsed: unknown) => (parsed as Record<string, Fields>)[resource.singular]!;

  routes.post('/', { summary: `Create a ${resource.singular}`, body: resource.bodies.create, response: resource.showSchema }, async (req, res, body) => {
    const profile = bodyOf(body());
    authorize(req, `${kind.rbac}:post`);
    const metadata = parseMetadata(String(profile[data.wire]), data.wire);
    await kind.validate(requireProvider(String(profile.provider_name)), metadata, compute);
    const row = await kind.table(db).create({
      data: { id: randomUUID(), name: profile.name, providerName: profile.provider_name, [data.column]: profile[data.wire] },
    });
    res.status(201).json({ [resource.singular]: resource.view(row) });
  });

  routes.put('/:id', { summary: `Update a ${resource.singular}`, body: resource.bodies.update, response: resource.showSchema }, async (req, res, body) => {
    const update = bodyOf(body());
    authorize(req, `${kind.rbac}:put`);
    for (const field of ['name', 'provider_name', data.wire]) if (update[field] === null) throw new InvalidOption(null, field);
    const current = await all.find(req, res);
    const provider = update.provider_name ?? current.providerName;
    if (update.provider_name !== undefined) requireProvider(provider);
    const metadata = update[data.wire];
    if (metadata !== undefined) await kind.validate(provider, parseMetadata(String(metadata), data.wire), compute);
    const changesMetadata = update.provider_name !== undefined || metadata !== undefined;
    const row = await db.$transaction((tx) =>
      guarded(tx, kind.guard, current.id, changesMetadata, () =>
        kind.table(tx).update({
          where: { id: current.id },
          data: {
            ...(update.name !== undefined ? { name: update.name } : {}),
            ...(update.provider_name !== undefined ? { providerName: update.provider_name } : {}),
            ...(metadata !== undefined ? { [data.column]: metadata } : {}),
          },
        }),
      ),
    );
    res.json({ [resource.singular]: resource.view(row) });
  });

  routes.delete('/:id', { summary: `Delete a ${resource.singular}` }, async (req, res) => {
    authorize(req, `${kind.rbac}:delete`);
    const current = await all.find(req, res);
    await db.$transaction((tx) => guarded(tx, kind.guard, current.id, true, () => kind.table(tx).delete({ where: { id: current.id } })));
    res.status(204).end();
  });

  return routes;
}

export const flavorProfileRoutes = (deps: ApiDeps) =>
  profileRoutes<FlavorProfile>(deps, {
    resource: flavorProfiles,
    rbac: 'flavor-profile',
    guard: { resource: flavorProfiles, users: (tx, id) => tx.flavor.count({ where: { flavorProfileId: id } }), inUseName: 'Flavor profile' },
    data: { wire: 'flavor_data', column: 'flavorData' },
    validate: validateFlavorData,
    table: (tx) => tx.flavorProfile as unknown as ReturnType<ProfileKind<FlavorProfile>['table']>,
  });

export const availabilityZoneProfileRoutes = (deps: ApiDeps) =>
  profileRoutes<AvailabilityZoneProfile>(deps, {
    resource: availabilityZoneProfiles,
    rbac: 'availability-zone-profile',
    guard: { resource: availabilityZoneProfiles, users: (tx, id) => tx.availabilityZone.count({ where: { availabilityZoneProfileId: id } }) },
    data: { wire: 'availability_zone_data', column: 'availabilityZoneData' },
    validate: validateAvailabilityZoneData,
    table: (tx) => tx.availabilityZoneProfile as unknown as ReturnType<ProfileKind<AvailabilityZoneProfile>['table']>,
  });
