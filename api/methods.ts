/**
 * Which methods each path of the API answers, as Octavia's web framework (pecan) decides before any
 * API code runs: a method a path's controller has no handler for is a 405 naming the ones it has
 * (`Allow`), with pecan's body; PATCH is one on every path, and so is HEAD (pecan serves no implicit
 * HEAD), but for version discovery at `/`; OPTIONS is pecan's empty 200. Built from the routes' own contract (api/contract.ts):
 * a collection and its items are one controller in Octavia, so they allow what either answers, and a
 * PUT or DELETE of the collection's own path reaches the item's handler without its id: WSME's 400
 * `Missing argument: "<its parameter>"`.
 */
import type { RequestHandler } from 'express';
import { MethodNotAllowed, MissingArgument, type DomainError } from '../common/errors';
import type { Mount } from './openapi';

interface PathMethods {
  pattern: RegExp;
  allow: Set<string>;
  /** The methods a route of this very path answers. */
  served: Set<string>;
  /** A collection's own path (its router's `/`), where the item's PUT and DELETE lack their id. */
  collection?: string;
  /** Under a parent named in the path (a pool's members): pecan looks the parent up first. */
  nested: boolean;
}

/**
 * Where the fault of a path under a parent waits until the parent is found: Octavia's controllers look
 * it up while routing, so a missing parent is its 404 whatever the method (api/collection.ts
 * nestedCollection).
 */
export const DEFERRED_FAULT = 'routingFault';

/** The parameter Octavia's item handlers take the id in, where it is not `id` (by collection and method). */
const idParameter: Record<string, Partial<Record<'PUT' | 'DELETE', string>>> = {
  '/v2/lbaas/flavors': { DELETE: 'flavor_id' },
  '/v2/lbaas/flavorprofiles': { DELETE: 'flavor_profile_id' },
  '/v2/lbaas/availabilityzones': { PUT: 'name', DELETE: 'availability_zone_name' },
  '/v2/lbaas/availabilityzoneprofiles': { DELETE: 'availability_zone_profile_id' },
  '/v2/lbaas/quotas': { PUT: 'project_id', DELETE: 'project_id' },
  '/v2/quotas': { PUT: 'project_id', DELETE: 'project_id' },
};

const join = (base: string, path: string) => (base.replace(/\/$/, '') + (path === '/' ? '' : path)) || '/';
const patternOf = (path: string) => new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/:\w+/g, '[^/]+').replace(/\//g, '\\/')}\\/?$`);

function pathMethods(mounts: Mount[]): PathMethods[] {
  const byPath = new Map<string, { allow: Set<string>; served: Set<string>; nested: boolean; collection?: string }>();
  for (const mount of mounts) {
    const ops = mount.routes.operations;
    // A router's `/` and `/:key` are one pecan controller: its collection and its items.
    const controller = new Set(ops.filter((o) => o.path === '/' || /^\/:\w+$/.test(o.path)).map((o) => o.method.toUpperCase()));
    for (const op of ops) {
      const own = op.path === '/' || /^\/:\w+$/.test(op.path) ? controller : new Set([op.method.toUpperCase()]);
      const bases = mount.path.startsWith('/v2/') ? [mount.path, mount.path.replace('/v2/', '/v2.0/')] : [mount.path];
      for (const base of bases) {
        const full = join(base, op.path);
        const entry = byPath.get(full) ?? { allow: new Set<string>(), served: new Set<string>(), nested: mount.path.includes(':') };
        for (const m of own) entry.allow.add(m);
        entry.served.add(op.method.toUpperCase());
        if (op.path === '/' && ops.some((o) => /^\/:\w+$/.test(o.path))) entry.collection = mount.path;
        byPath.set(full, entry);
      }
    }
  }
  return [...byPath].map(([path, entry]) => ({ pattern: patternOf(path), ...entry }));
}

/** Answers pecan's 405 for a known path and a method none of its routes answers; anything else goes on. */
export function methodGuard(mounts: Mount[]): RequestHandler {
  const paths = pathMethods(mounts);
  return (req, res, next) => {
    if (req.method === 'HEAD' && req.path === '/') return next();
    const matching = paths.filter((p) => p.pattern.test(req.path));
    if (matching.length === 0) return next();
    // pecan answers OPTIONS of any path itself: 200, nothing else.
    if (req.method === 'OPTIONS') return void res.status(200).end();
    const allow = new Set(matching.flatMap((p) => [...p.allow]));
    let fault: DomainError;
    if (!allow.has(req.method)) fault = new MethodNotAllowed([...allow].sort());
    else {
      const collection = matching.find((p) => p.collection)?.collection;
      const served = matching.some((p) => p.served.has(req.method));
      if (served || !collection || (req.method !== 'PUT' && req.method !== 'DELETE')) return next();
      fault = new MissingArgument(idParameter[collection]?.[req.method] ?? 'id');
    }
    if (!matching.every((p) => p.nested)) throw fault;
    res.locals[DEFERRED_FAULT] = fault;
    next();
  };
}
