/**
 * Which methods each path of the API answers, as Octavia's web framework (pecan) decides before any
 * API code runs: a method a path's controller has no handler for is a 405 naming the ones it has
 * (`Allow`), with pecan's body; PATCH is one on every path, and so is HEAD (pecan serves no implicit
 * HEAD), but for version discovery at `/`. Built from the routes' own contract (api/contract.ts):
 * a collection and its items are one controller in Octavia, so they allow what either answers.
 */
import type { RequestHandler } from 'express';
import { MethodNotAllowed } from '../common/errors';
import type { Mount } from './openapi';

interface PathMethods {
  pattern: RegExp;
  allow: Set<string>;
  /** Under a parent named in the path (a pool's members): pecan looks the parent up first. */
  nested: boolean;
}

/**
 * Where a 405 under a parent waits until the parent is found: Octavia's controllers look it up while
 * routing, so a missing parent is its 404 whatever the method (api/collection.ts nestedCollection).
 */
export const DEFERRED_405 = 'methodNotAllowed';

const join = (base: string, path: string) => (base.replace(/\/$/, '') + (path === '/' ? '' : path)) || '/';
const patternOf = (path: string) => new RegExp(`^${path.replace(/:\w+/g, '[^/]+').replace(/\//g, '\\/')}\\/?$`);

function pathMethods(mounts: Mount[]): PathMethods[] {
  const byPath = new Map<string, { allow: Set<string>; nested: boolean }>();
  for (const mount of mounts) {
    const ops = mount.routes.operations;
    // A router's `/` and `/:key` are one pecan controller: its collection and its items.
    const controller = new Set(ops.filter((o) => o.path === '/' || /^\/:\w+$/.test(o.path)).map((o) => o.method.toUpperCase()));
    for (const op of ops) {
      const own = op.path === '/' || /^\/:\w+$/.test(op.path) ? controller : new Set([op.method.toUpperCase()]);
      const bases = mount.path.startsWith('/v2/') ? [mount.path, mount.path.replace('/v2/', '/v2.0/')] : [mount.path];
      for (const base of bases) {
        const full = join(base, op.path);
        const entry = byPath.get(full) ?? { allow: new Set<string>(), nested: mount.path.includes(':') };
        for (const m of own) entry.allow.add(m);
        byPath.set(full, entry);
      }
    }
  }
  return [...byPath].map(([path, { allow, nested }]) => ({ pattern: patternOf(path), allow, nested }));
}

/** Answers pecan's 405 for a known path and a method none of its routes answers; anything else goes on. */
export function methodGuard(mounts: Mount[]): RequestHandler {
  const paths = pathMethods(mounts);
  return (req, res, next) => {
    if (req.method === 'OPTIONS' || (req.method === 'HEAD' && req.path === '/')) return next();
    const matching = paths.filter((p) => p.pattern.test(req.path));
    if (matching.length === 0) return next();
    const allow = new Set(matching.flatMap((p) => [...p.allow]));
    if (allow.has(req.method)) return next();
    const fault = new MethodNotAllowed([...allow].sort());
    if (!matching.every((p) => p.nested)) throw fault;
    res.locals[DEFERRED_405] = fault;
    next();
  };
}
