/**
 * The openstack flavors API (seed 004, Valence's /v1/openstack_flavors; admin only): compute flavors
 * that carry, besides ram, vcpus and disk, the capabilities of the composed nodes they are meant for
 * (cpu speed, memory speed, cpu architecture, and an open set of extra properties), registered in Nova
 * with those capabilities as extra specs.
 *
 *   GET    /v1/openstack_flavors                    the flavors (a JSON list, as Valence answers)
 *   POST   /v1/openstack_flavors                    201: stored, UNREGISTERED
 *   GET    /v1/openstack_flavors/{uuid}             one flavor
 *   POST   /v1/openstack_flavors/{uuid}/register    202 REGISTERING: the registerOpenstackFlavor flow
 *                                                   creates the Nova flavor; 200 when it is already
 *                                                   REGISTERED (registering twice changes nothing)
 *   DELETE /v1/openstack_flavors/{uuid}             204. A flavor never registered is deleted at
 *                                                   once. A registered one (or one left ERROR with a
 *                                                   Nova flavor) goes DELETING: the deleteOpenstackFlavor
 *                                                   flow deletes the Nova flavor, then the row. Nova
 *                                                   flavors are never left behind on purpose.
 *
 * While a flow runs (REGISTERING, DELETING), asking again for the same thing is idempotent (and
 * restarts the flow if it was lost, e.g. by a crash between the database write and its start);
 * asking for the other thing is a 409. Errors have Octavia's fault body.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { novaSpecKey } from '../../domain/flavor-capabilities';
import { openstackFlavorFlow, startFlow } from '../../common/flows';
import { noteFlow } from '../request-log';
import type { OpenstackFlavor } from '../../generated/prisma/client';
import { OpenstackFlavorStatus } from '../../generated/prisma/enums';
import { refusedWrite } from '../catalog';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { authorize } from '../context';
import { findOr404, startOrRevert } from '../lifecycle';
import { openstackFlavors } from '../resources/openstack-flavor';
import { InvalidFilter, InvalidState, NotFound, RecordAlreadyExists, ServiceUnavailable, ValidationFailure } from '../../common/errors';

/** Nova's extra spec key format. */
const SPEC_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const BUILT_IN_SPECS = ['capabilities:cpu_arch', 'capabilities:cpu_speed', 'capabilities:memory_speed'];

const view = (f: OpenstackFlavor) => openstackFlavors.view(f);
const aFlavor = { response: openstackFlavors.schema };
const listQuery = z.object({ name: z.string().optional(), status: z.enum(OpenstackFlavorStatus).optional() });

export function openstackFlavorRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const find = (id: string) => findOr404(openstackFlavors.name, id, (i) => db.openstackFlavor.findUnique({ where: { id: i } }));

  /**
   * Starts a flow for a flavor whose state the request has already set (or found) in progress. A
   * flow of the same operation still running is fine: the request joins it.
   */
  async function ensureFlow(operation: 'register' | 'delete', id: string): Promise<void> {
    try {
      const flow = openstackFlavorFlow(operation, id);
      await startFlow(deps.temporal, deps.config.temporal.taskQueue, flow);
      noteFlow(flow);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      deps.log.error({ err, openstackFlavorId: id, operation }, 'Could not start the flow');
      throw new ServiceUnavailable('The workflow service');
    }
  }

  routes.get('/', { summary: 'List the flavors (a JSON list)', query: listQuery, response: z.array(openstackFlavors.schema) }, async (req, res) => {
    authorize(req, 'openstack-flavor:get_all');
    const allowed = new Set(['name', 'status']);
    if (Object.keys(req.query).some((k) => !allowed.has(k))) throw new InvalidFilter();
    // PostgreSQL text holds no NUL: such a filter matches nothing.
    if (Object.values(req.query).flat().some((v) => String(v).includes('\0'))) return void res.json([]);
    const one = (v: unknown) => (v === undefined ? undefined : String([v].flat()[0]));
    const status = one(req.query.status);
    if (status !== undefined && !(status in OpenstackFlavorStatus)) return void res.json([]);
    const rows = await db.openstackFlavor.findMany({
      where: { ...(req.query.name !== undefined ? { name: one(req.query.name) } : {}), ...(status ? { status: status as OpenstackFlavorStatus } : {}) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    res.json(rows.map(view));
  });

  routes.get('/:id', { summary: 'Show a flavor', ...aFlavor }, async (req, res) => {
    authorize(req, 'openstack-flavor:get_one');
    res.json(view(await find(String(req.params.id))));
  });

  routes.post('/', { summary: 'Create a flavor (UNREGISTERED)', body: openstackFlavors.bodies.create, ...aFlavor }, async (req, res, parse) => {
    const body = parse();
    authorize(req, 'openstack-flavor:post');
    const properties = body.properties ?? {};
    for (const key of Object.keys(properties)) {
      if (!SPEC_KEY.test(key)) {
        throw new ValidationFailure(`Property name ${key} is not a valid extra spec key (1-255 letters, digits, spaces and - _ : .).`);
      }
      if (BUILT_IN_SPECS.includes(novaSpecKey(key))) {
        throw new ValidationFailure(`Property ${key} is set by the flavor's cpu_arch, cpu_speed or memory_speed.`);
      }
    }
    const row = await db.openstackFlavor
      .create({
        data: {
          id: randomUUID(),
          name: body.name,
          ram: body.ram,
          vcpus: body.vcpus,
          disk: body.disk,
          cpuSpeed: body.cpu_speed ?? null,
          memorySpeed: body.memory_speed ?? null,
          cpuArch: body.cpu_arch ?? null,
          properties,
          status: OpenstackFlavorStatus.UNREGISTERED,
        },
      })
      .catch((err: unknown) => refusedWrite(err, { P2002: () => new RecordAlreadyExists('openstack flavor', body.name) }));
    res.status(201).json(view(row));
  });

  routes.post('/:id/register', { summary: 'Register a flavor in Nova (202 REGISTERING; 200 when REGISTERED)', status: 202, ...aFlavor }, async (req, res) => {
    authorize(req, 'openstack-flavor:post_register');
    const flavor = await find(String(req.params.id));
    switch (flavor.status) {
      case OpenstackFlavorStatus.REGISTERED:
        return void res.status(200).json(view(flavor));
      case OpenstackFlavorStatus.REGISTERING:
        await ensureFlow('register', flavor.id);
        return void res.status(202).json(view(flavor));
      case OpenstackFlavorStatus.DELETING:
        throw new InvalidState('openstack flavor', flavor.id, flavor.status);
    }
    // UNREGISTERED or ERROR: one conditional update, so two concurrent requests start one flow.
    const from = [OpenstackFlavorStatus.UNREGISTERED, OpenstackFlavorStatus.ERROR];
    const { count } = await db.openstackFlavor.updateMany({
      where: { id: flavor.id, status: { in: from } },
      data: { status: OpenstackFlavorStatus.REGISTERING, updatedAt: new Date() },
    });
    if (count === 0) {
      // Someone else moved it meanwhile: answer as for the state it is in now.
      const now = await find(flavor.id);
      if (now.status === OpenstackFlavorStatus.DELETING) throw new InvalidState('openstack flavor', now.id, now.status);
      return void res.status(now.status === OpenstackFlavorStatus.REGISTERED ? 200 : 202).json(view(now));
    }
    // A concurrent request that saw our REGISTERING may have started the flow first (ensureFlow): a
    // flow started after the state we moved from was written is this registration's, and is joined.
    // One started before it is the previous registration's, still finishing: 409, as for any flow.
    const movedFrom = flavor.updatedAt ?? flavor.createdAt;
    await startOrRevert(
      deps,
      openstackFlavorFlow('register', flavor.id),
      () => db.openstackFlavor.updateMany({ where: { id: flavor.id, status: OpenstackFlavorStatus.REGISTERING }, data: { status: flavor.status } }),
      (running) => running.startTime >= movedFrom,
    );
    res.status(202).json(view({ ...flavor, status: OpenstackFlavorStatus.REGISTERING }));
  });

  routes.delete('/:id', { summary: 'Delete a flavor (and its Nova flavor)' }, async (req, res) => {
    authorize(req, 'openstack-flavor:delete');
    const flavor = await find(String(req.params.id));
    if (flavor.status === OpenstackFlavorStatus.REGISTERING) throw new InvalidState('openstack flavor', flavor.id, flavor.status);
    if (flavor.status === OpenstackFlavorStatus.DELETING) {
      await ensureFlow('delete', flavor.id);
      return void res.status(204).end();
    }
    // Nothing in Nova: the row goes at once (conditionally, in case a registration began meanwhile).
    if (!flavor.novaFlavorId && flavor.status !== OpenstackFlavorStatus.REGISTERED) {
      const { count } = await db.openstackFlavor.deleteMany({
        where: { id: flavor.id, novaFlavorId: null, status: { in: [OpenstackFlavorStatus.UNREGISTERED, OpenstackFlavorStatus.ERROR] } },
      });
      if (count === 1) return void res.status(204).end();
      const now = await db.openstackFlavor.findUnique({ where: { id: flavor.id } });
      if (!now) throw new NotFound(openstackFlavors.name, flavor.id);
      throw new InvalidState('openstack flavor', now.id, now.status);
    }
    const { count } = await db.openstackFlavor.updateMany({
      where: { id: flavor.id, status: { in: [OpenstackFlavorStatus.REGISTERED, OpenstackFlavorStatus.ERROR] } },
      data: { status: OpenstackFlavorStatus.DELETING, updatedAt: new Date() },
    });
    if (count === 0) {
      const now = await find(flavor.id);
      if (now.status !== OpenstackFlavorStatus.DELETING) throw new InvalidState('openstack flavor', now.id, now.status);
      return void res.status(204).end();
    }
    await startOrRevert(deps, openstackFlavorFlow('delete', flavor.id), () =>
      db.openstackFlavor.updateMany({ where: { id: flavor.id, status: OpenstackFlavorStatus.DELETING }, data: { status: flavor.status } }),
    );
    res.status(204).end();
  });

  return routes;
}
