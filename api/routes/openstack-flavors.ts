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
import { Router } from 'express';
import { z } from 'zod';
import { novaExtraSpecs, novaSpecKey } from '../../domain/flavor-capabilities';
import { openstackFlavorFlow, startFlow } from '../../common/flows';
import { Prisma, type OpenstackFlavor } from '../../generated/prisma/client';
import { OpenstackFlavorStatus } from '../../generated/prisma/enums';
import type { ApiDeps } from '../deps';
import { findOr404, startOrRevert } from '../lifecycle';
import { timestamp } from '../views';
import { parseBody } from '../validation';
import { InvalidFilter, InvalidState, NotFound, RecordAlreadyExists, ServiceUnavailable, ValidationFailure } from '../../common/errors';

const INT_MAX = 2147483647;
const optional = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** One definition of the request body (Valence's, unwrapped). */
export const openstackFlavorCreate = z
  .object({
    name: z.string().min(1).max(255),
    /** MiB, vCPUs and GiB, with Nova's bounds. */
    ram: z.number().int().min(1).max(INT_MAX),
    vcpus: z.number().int().min(1).max(INT_MAX),
    disk: z.number().int().min(0).max(INT_MAX),
    /** MHz. */
    cpu_speed: optional(z.number().int().min(1).max(INT_MAX)),
    memory_speed: optional(z.number().int().min(1).max(INT_MAX)),
    /** e.g. x86_64, aarch64. */
    cpu_arch: optional(z.string().min(1).max(32)),
    /** Extra capabilities: `{"gpu": "nvidia-a100", "hw:cpu_policy": "dedicated"}`. */
    properties: optional(z.record(z.string(), z.union([z.string().max(255), z.number(), z.boolean()]))),
  })
  .strict();

/** Nova's extra spec key format. */
const SPEC_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const BUILT_IN_SPECS = ['capabilities:cpu_arch', 'capabilities:cpu_speed', 'capabilities:memory_speed'];

export function openstackFlavorView(f: OpenstackFlavor) {
  return {
    uuid: f.id,
    name: f.name,
    ram: f.ram,
    vcpus: f.vcpus,
    disk: f.disk,
    cpu_speed: f.cpuSpeed,
    memory_speed: f.memorySpeed,
    cpu_arch: f.cpuArch,
    properties: f.properties,
    /** What the flavor carries (or will carry) in Nova. */
    extra_specs: novaExtraSpecs(f),
    nova_flavor_id: f.novaFlavorId,
    status: f.status,
    created_at: timestamp(f.createdAt),
    updated_at: timestamp(f.updatedAt),
  };
}

const RESOURCE = 'Openstack flavor';

export function openstackFlavorRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string) => findOr404(RESOURCE, id, (i) => db.openstackFlavor.findUnique({ where: { id: i } }));

  /**
   * Starts a flow for a flavor whose state the request has already set (or found) in progress. A
   * flow of the same operation still running is fine: the request joins it.
   */
  async function ensureFlow(operation: 'register' | 'delete', id: string): Promise<void> {
    try {
      await startFlow(deps.temporal, deps.config.temporal.taskQueue, openstackFlavorFlow(operation, id));
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      deps.log.error({ err, openstackFlavorId: id, operation }, 'Could not start the flow');
      throw new ServiceUnavailable('The workflow service');
    }
  }

  router.get('/', async (req, res) => {
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
    res.json(rows.map(openstackFlavorView));
  });

  router.get('/:id', async (req, res) => {
    res.json(openstackFlavorView(await find(req.params.id)));
  });

  router.post('/', async (req, res) => {
    const body = parseBody(openstackFlavorCreate, req.body, 'openstack_flavor');
    const properties = body.properties ?? {};
    for (const key of Object.keys(properties)) {
      if (!SPEC_KEY.test(key)) {
        throw new ValidationFailure(`Property name ${key} is not a valid extra spec key (1-255 letters, digits, spaces and - _ : .).`);
      }
      if (BUILT_IN_SPECS.includes(novaSpecKey(key))) {
        throw new ValidationFailure(`Property ${key} is set by the flavor's cpu_arch, cpu_speed or memory_speed.`);
      }
    }
    let row: OpenstackFlavor;
    try {
      row = await db.openstackFlavor.create({
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
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw new RecordAlreadyExists('openstack flavor', body.name);
      throw err;
    }
    res.status(201).json(openstackFlavorView(row));
  });

  router.post('/:id/register', async (req, res) => {
    const flavor = await find(req.params.id);
    switch (flavor.status) {
      case OpenstackFlavorStatus.REGISTERED:
        return void res.status(200).json(openstackFlavorView(flavor));
      case OpenstackFlavorStatus.REGISTERING:
        await ensureFlow('register', flavor.id);
        return void res.status(202).json(openstackFlavorView(flavor));
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
      return void res.status(now.status === OpenstackFlavorStatus.REGISTERED ? 200 : 202).json(openstackFlavorView(now));
    }
    await startOrRevert(deps, openstackFlavorFlow('register', flavor.id), () =>
      db.openstackFlavor.updateMany({ where: { id: flavor.id, status: OpenstackFlavorStatus.REGISTERING }, data: { status: flavor.status } }),
    );
    res.status(202).json(openstackFlavorView({ ...flavor, status: OpenstackFlavorStatus.REGISTERING }));
  });

  router.delete('/:id', async (req, res) => {
    const flavor = await find(req.params.id);
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
      if (!now) throw new NotFound(RESOURCE, flavor.id);
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

  return router;
}
