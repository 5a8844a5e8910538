/**
 * /v2/lbaas/flavors and /v2/lbaas/availabilityzones (Octavia api-ref: Flavors, Availability Zones):
 * what a load balancer is created with. Every persona may list and show them; only admins write them.
 *   - A flavor names a flavor profile; a load balancer created with it takes the profile's topology
 *     and compute flavor. A disabled flavor cannot be chosen for new load balancers.
 *   - An availability zone is keyed by name, as in Octavia: a load balancer's `availability_zone`
 *     names one, which must exist and be enabled when the load balancer is created
 *     (domain/loadbalancer-flavor.ts checkAvailabilityZone, in the creating transaction); its
 *     profile's `compute_zone` is where the load balancer's amphorae are built.
 * Either one in use by a load balancer cannot be deleted (409, api/catalog.ts).
 */
import { randomUUID } from 'node:crypto';
import { ProvisioningStatus } from '../../common/status';
import type { AvailabilityZone, Flavor } from '../../generated/prisma/client';
import { guarded, refusedWrite, type Guarded } from '../catalog';
import { collection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { authorize } from '../context';
import type { Tx } from '../lifecycle';
import type { Body, Resource } from '../resource';
import { availabilityZones } from '../resources/availability-zone';
import { flavors } from '../resources/flavor';
import { InvalidOption, RecordAlreadyExists } from '../../common/errors';

type Row = { name: string } & Record<string, unknown>;
type Fields = { name?: string | null; description?: string | null; enabled?: boolean | null } & Record<string, unknown>;

interface CatalogKind<R extends Row> {
  resource: Resource<R> & { bodies: { create: Body; update: Body } };
  /** Whose policy actions its routes are. */
  rbac: 'flavor' | 'availability-zone';
  /** How Octavia names it in "already exists" faults. */
  kind: string;
  guard: Guarded;
  /** The profile it names: wire field and column. */
  profile: { wire: string; column: string };
  table(tx: Tx): {
    create(args: { data: Record<string, unknown> }): Promise<R>;
    update(args: { where: Record<string, string>; data: Record<string, unknown> }): Promise<R>;
    delete(args: { where: Record<string, string> }): Promise<unknown>;
  };
}

function catalogRoutes<R extends Row>(deps: ApiDeps, k: CatalogKind<R>): ApiRouter {
  const { db } = deps;
  const { resource } = k;
  const { key } = resource.keying;
  const routes = new ApiRouter();
  // Flavors and availability zones belong to no project: Octavia checks the caller before looking them up.
  const all = collection(deps, resource, { rbac: k.rbac, projectOf: 'none' });
  all.routes(routes);
  const bodyOf = (parsed: unknown) => (parsed as Record<string, Fields>)[resource.singular]!;
  const taken = (name: string) => () => new RecordAlreadyExists(k.kind, name);

  routes.post('/', { summary: `Create a ${k.kind}`, body: resource.bodies.create, response: resource.showSchema }, async (req, res, body) => {
    const created = bodyOf(body());
    authorize(req, `${k.rbac}:post`);
    const row = await k
      .table(db)
      .create({
        data: {
          ...(key === 'id' ? { id: randomUUID() } : {}),
          name: created.name,
          description: created.description ?? null,
          enabled: created.enabled ?? true,
          [k.profile.column]: created[k.profile.wire],
        },
      })
      .catch((err: unknown) =>
        refusedWrite(err, { P2002: taken(String(created.name)), P2003: () => new InvalidOption(created[k.profile.wire], k.profile.wire) }),
      );
    res.status(201).json({ [resource.singular]: resource.view(row) });
  });

  routes.put(`/:${key}`, { summary: `Update a ${k.kind}`, body: resource.bodies.update, response: resource.showSchema }, async (req, res, body) => {
    const update = bodyOf(body());
    authorize(req, `${k.rbac}:put`);
    if (update.name === null) throw new InvalidOption(null, 'name');
    const current = await all.find(req, res);
    const row = await k
      .table(db)
      .update({
        where: { [key]: String(current[key]) },
        data: {
          ...(update.name !== undefined ? { name: update.name } : {}),
          ...(update.description !== undefined ? { description: update.description } : {}),
          // null is false, as Octavia reads a null boolean.
          ...(update.enabled !== undefined ? { enabled: update.enabled ?? false } : {}),
        },
      })
      .catch((err: unknown) => refusedWrite(err, { P2002: taken(update.name ?? current.name) }));
    res.json({ [resource.singular]: resource.view(row) });
  });

  routes.delete(`/:${key}`, { summary: `Delete a ${k.kind}` }, async (req, res) => {
    authorize(req, `${k.rbac}:delete`);
    const id = String((await all.find(req, res))[key]);
    await db.$transaction((tx) => guarded(tx, k.guard, id, true, () => k.table(tx).delete({ where: { [key]: id } })));
    res.status(204).end();
  });

  return routes;
}

const inUse = { provisioningStatus: { not: ProvisioningStatus.DELETED } };

export const flavorRoutes = (deps: ApiDeps) =>
  catalogRoutes<Flavor>(deps, {
    resource: flavors,
    rbac: 'flavor',
    kind: 'flavor',
    // Deleted load balancers keep no reference (their flavor_id is set NULL by the foreign key).
    guard: { resource: flavors, users: (tx, id) => tx.loadBalancer.count({ where: { flavorId: id, ...inUse } }) },
    profile: { wire: 'flavor_profile_id', column: 'flavorProfileId' },
    table: (tx) => tx.flavor as unknown as ReturnType<CatalogKind<Flavor>['table']>,
  });

export const availabilityZoneRoutes = (deps: ApiDeps) =>
  catalogRoutes<AvailabilityZone>(deps, {
    resource: availabilityZones,
    rbac: 'availability-zone',
    kind: 'availability zone',
    guard: { resource: availabilityZones, users: (tx, name) => tx.loadBalancer.count({ where: { availabilityZone: name, ...inUse } }) },
    profile: { wire: 'availability_zone_profile_id', column: 'availabilityZoneProfileId' },
    table: (tx) => tx.availabilityZone as unknown as ReturnType<CatalogKind<AvailabilityZone>['table']>,
  });
