/** /flavors and /flavors/{id}/os-extra_specs (07-14, 49, 59, 60). */
import { randomUUID } from 'node:crypto';
import { validateExtraSpec } from '../extra-specs';
import { badRequest, conflict, notFound } from '../http';
import { validate } from '../jsonschema';
import { extraSpecsCreateSchema, extraSpecUpdateSchema, flavorCreateSchema } from '../schemas';
import type { Flavor } from '../state';
import { body, type ComputeCtx, links, type Ok, requireAdmin } from './context';
import { boolFromString } from './servers';

type Obj = Record<string, unknown>;

export function flavorView(ctx: ComputeCtx, f: Flavor): Obj {
  const v: Obj = {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    // Before 2.75 a flavor without swap says "".
    swap: ctx.mv.lt('2.75') && f.swap === 0 ? '' : f.swap,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': f.disabled,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: f.rxtxFactor,
    links: links(ctx, 'flavors', f.id),
  };
  if (ctx.mv.ge('2.55')) v.description = f.description;
  if (ctx.mv.ge('2.61')) v.extra_specs = { ...f.extraSpecs };
  return v;
}

/** flavors.get_flavor_by_flavor_id with the caller's context: private flavors are admin-only here. */
function getFlavor(ctx: ComputeCtx, id: string): Flavor {
  const f = ctx.state.flavors.get(id);
  if (!f || (!f.isPublic && !ctx.isAdmin)) throw notFound(`Flavor ${id} could not be found.`);
  return f;
}

/** flavors.py _parse_is_public. */
function parseIsPublic(v: string | null): boolean | null {
  if (v === null) return true;
  if (v.toLowerCase() === 'none') return null;
  const s = v.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  throw badRequest(`Invalid is_public filter [${v}]`);
}

export function listFlavors(ctx: ComputeCtx, detail: boolean): Ok {
  const q = ctx.req.query;
  const isPublic = ctx.isAdmin ? parseIsPublic(q.get('is_public')) : true;
  let list = [...ctx.state.flavors.values()].filter((f) => isPublic === null || f.isPublic === isPublic);
  if (!ctx.isAdmin) list = list.filter((f) => !f.disabled);
  const minRam = q.get('minRam');
  if (minRam !== null) list = list.filter((f) => f.ram >= Number(minRam));
  const minDisk = q.get('minDisk');
  if (minDisk !== null) list = list.filter((f) => f.disk >= Number(minDisk));
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const marker = q.get('marker');
  if (marker !== null) {
    const i = list.findIndex((f) => f.id === marker);
    if (i === -1) throw badRequest(`marker [${marker}] not found`);
    list = list.slice(i + 1);
  }
  const limit = q.get('limit');
  if (limit !== null) list = list.slice(0, Number(limit));
  const flavors = list.map((f) => {
    if (detail) return flavorView(ctx, f);
    const basic: Obj = { id: f.id, name: f.name, links: links(ctx, 'flavors', f.id) };
    if (ctx.mv.ge('2.55')) basic.description = f.description;
    return basic;
  });
  return { status: 200, body: { flavors } };
}

export function showFlavor(ctx: ComputeCtx, id: string): Ok {
  return { status: 200, body: { flavor: flavorView(ctx, getFlavor(ctx, id)) } };
}

export function createFlavor(ctx: ComputeCtx): Ok {
  requireAdmin(ctx, 'os_compute_api:os-flavor-manage:create');
  const b = body(ctx);
  validate(b, flavorCreateSchema(ctx.mv));
  const f = (b as Obj).flavor as Obj;
  const name = String(f.name);
  const id = f.id === undefined || f.id === null || f.id === '' ? randomUUID() : String(f.id);
  const { flavors } = ctx.state;
  if ([...flavors.values()].some((x) => x.name === name)) throw conflict(`Flavor with name ${name} already exists.`);
  if (flavors.has(id)) throw conflict(`Flavor with ID ${id} already exists.`);
  const flavor: Flavor = {
    id,
    name,
    ram: Number(f.ram),
    vcpus: Number(f.vcpus),
    disk: Number(f.disk),
    ephemeral: Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
    swap: Number(f.swap ?? 0),
    rxtxFactor: Number(f.rxtx_factor ?? 1.0),
    isPublic: boolFromString(f['os-flavor-access:is_public'], true),
    disabled: false,
    description: typeof f.description === 'string' ? f.description : null,
    extraSpecs: {},
    createdAt: Date.now(),
  };
  flavors.set(id, flavor);
  return { status: 200, body: { flavor: flavorView(ctx, flavor) } };
}

export function updateFlavor(ctx: ComputeCtx, id: string): Ok {
  if (ctx.mv.lt('2.55')) throw notFound('The resource could not be found.');
  requireAdmin(ctx, 'os_compute_api:os-flavor-manage:update');
  const b = body(ctx);
  validate(b, {
    type: 'object',
    properties: {
      flavor: {
        type: 'object',
        properties: { description: { type: ['string', 'null'], minLength: 0, maxLength: 65535 } },
        required: ['description'],
        additionalProperties: false,
      },
    },
    required: ['flavor'],
    additionalProperties: false,
  });
  const flavor = getFlavor(ctx, id);
  flavor.description = ((b as Obj).flavor as Obj).description as string | null;
  return { status: 200, body: { flavor: flavorView(ctx, flavor) } };
}

export function deleteFlavor(ctx: ComputeCtx, id: string): Ok {
  requireAdmin(ctx, 'os_compute_api:os-flavor-manage:delete');
  getFlavor(ctx, id);
  ctx.state.flavors.delete(id);
  return { status: 202 };
}

// --- extra specs -----------------------------------------------------------------------------------

/** Extra-spec values may come as numbers or booleans; Nova stores str(value). */
function specString(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}

export function listExtraSpecs(ctx: ComputeCtx, id: string): Ok {
  return { status: 200, body: { extra_specs: { ...getFlavor(ctx, id).extraSpecs } } };
}

export function createExtraSpecs(ctx: ComputeCtx, id: string): Ok {
  requireAdmin(ctx, 'os_compute_api:os-flavor-extra-specs:create');
  const b = body(ctx);
  validate(b, extraSpecsCreateSchema);
  const flavor = getFlavor(ctx, id);
  const specs = Object.fromEntries(
    Object.entries((b as Obj).extra_specs as Obj).map(([k, v]) => [k, specString(v)]),
  );
  if (ctx.mv.ge('2.86')) for (const [k, v] of Object.entries(specs)) validateExtraSpec(k, v);
  Object.assign(flavor.extraSpecs, specs);
  return { status: 200, body: { extra_specs: specs } };
}

export function showExtraSpec(ctx: ComputeCtx, id: string, key: string): Ok {
  const flavor = getFlavor(ctx, id);
  if (!(key in flavor.extraSpecs)) throw notFound(`Flavor ${id} has no extra specs with key ${key}.`);
  return { status: 200, body: { [key]: flavor.extraSpecs[key] } };
}

export function updateExtraSpec(ctx: ComputeCtx, id: string, key: string): Ok {
  requireAdmin(ctx, 'os_compute_api:os-flavor-extra-specs:update');
  const b = body(ctx);
  validate(b, extraSpecUpdateSchema);
  if (!(key in (b as Obj))) throw badRequest('Request body and URI mismatch');
  const flavor = getFlavor(ctx, id);
  const value = specString((b as Obj)[key]);
  if (ctx.mv.ge('2.86')) validateExtraSpec(key, value);
  flavor.extraSpecs[key] = value;
  return { status: 200, body: { [key]: value } };
}

export function deleteExtraSpec(ctx: ComputeCtx, id: string, key: string): Ok {
  requireAdmin(ctx, 'os_compute_api:os-flavor-extra-specs:delete');
  const flavor = getFlavor(ctx, id);
  if (!(key in flavor.extraSpecs)) throw notFound(`Flavor ${id} has no extra specs with key ${key}.`);
  delete flavor.extraSpecs[key];
  return { status: 202 };
}
