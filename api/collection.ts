/**
 * Reading a collection, the same for every resource: GET / (filters, sort, pages, `fields`) and GET
 * /{id} (one object, `fields` too), both limited to what the request may see, both answered with the
 * resource's view and documented with its schemas.
 */
import type { Request, Response } from 'express';
import type { ApiRouter } from './contract';
import type { ApiDeps } from './deps';
import { findOr404 } from './lifecycle';
import { isUuid, listPage, selectOne } from './listing';
import type { Resource } from './resource';

type Where = Record<string, unknown>;

export interface CollectionOptions {
  /** What every read is limited to: rows never shown (DELETED), the caller's project, the parent in the path. */
  scope?(req: Request, res: Response): Where;
  /**
   * Where a page's marker is looked up (default: any row, so that a page whose last object was
   * deleted meanwhile still continues).
   */
  markerScope?(req: Request, res: Response): Where;
  /** What the view needs besides the row. */
  include?: object;
}

/** The Prisma delegate of the resource, as far as reading it goes. */
interface Table<R> {
  findMany(args: { where: Where; orderBy: Record<string, 'asc' | 'desc'>[]; take?: number; include?: object }): Promise<R[]>;
  findFirst(args: { where: Where; include?: object }): Promise<R | null>;
}

/** The rows a resource describes. */
type RowOf<X> = X extends Resource<infer R, any, any> ? R : never;

export function collection<X extends Resource<any, any, any>, R extends Where = RowOf<X>>({ db }: ApiDeps, resource: X, options: CollectionOptions = {}) {
  const table = db[resource.model] as unknown as Table<R>;
  const { key } = resource.keying;
  const scope = options.scope ?? (() => ({}));
  const include = options.include ? { include: options.include } : {};

  /** The object the request names (by default in its path), or Octavia's 404. */
  const find = (req: Request, res: Response, id = String(req.params[key])): Promise<R> =>
    findOr404(resource.name, id, (k) => table.findFirst({ where: { [key]: k, ...scope(req, res) }, ...include }), key);

  async function list(req: Request, res: Response): Promise<void> {
    const page = await listPage(req, resource.filters(db), {
      ...resource.keying,
      base: scope(req, res),
      findMany: (args) => table.findMany({ ...args, ...include }),
      findById: (k) => table.findFirst({ where: { [key]: k, ...options.markerScope?.(req, res) } }) as Promise<Where | null>,
      view: (row: R) => resource.view(row),
    });
    res.json({ [resource.plural]: page.items, [resource.links]: page.links });
  }

  async function show(req: Request, res: Response): Promise<void> {
    res.json({ [resource.singular]: selectOne(req, resource.view(await find(req, res))) });
  }

  return {
    resource,
    find,
    list,
    /** GET / and GET /{key} on `router`. */
    routes(router: ApiRouter): void {
      router.get('/', { summary: `List ${resource.plural}`, query: resource.listQuery(db), response: resource.listSchema }, list);
      router.get(`/:${key}`, { summary: `Show one ${resource.singular}`, query: resource.showQuery, response: resource.showSchema }, show);
    },
  };
}

export interface Parent<P> {
  /** The path parameter that names it. */
  param: string;
  /** It, visible to the caller, or null. */
  load(id: string, req: Request): Promise<P | null>;
  /** Answers (or throws) the 404 of a parent that is not there. */
  missing(id: string, res: Response): void;
  /** What its children's rows say about it. */
  children(parent: P): Where;
}

/**
 * A collection under a parent in the path (a pool's members, a policy's rules): every route looks the
 * parent up first, as Octavia's controllers do, and reads only its children.
 */
export function nestedCollection<X extends Resource<any, any, any>, P>(deps: ApiDeps, router: ApiRouter, resource: X, parent: Parent<P>) {
  router.use(async (req, res, next) => {
    const id = String(req.params[parent.param] ?? '');
    const found = isUuid(id) ? await parent.load(id, req) : null;
    if (!found) return parent.missing(id, res);
    res.locals.parent = found;
    next();
  });
  const parentOf = (res: Response) => res.locals.parent as P;
  const children = (_req: Request, res: Response) => parent.children(parentOf(res));
  const all = collection(deps, resource, { scope: children, markerScope: children });
  all.routes(router);
  return { ...all, parentOf };
}
