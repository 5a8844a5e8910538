/**
 * Reading a collection, the same for every resource: GET / (filters, sort, pages, `fields`) and GET
 * /{id} (one object, `fields` too), both checked against Octavia's policy as its controllers check
 * them, both answered with the resource's view and documented with its schemas.
 */
import type { Request, Response } from 'express';
import { FrameworkNotFound, type ApiFault } from '../common/errors';
import { policies, type Action, type ListedResource } from '../domain/policy';
import { authorize, listScope } from './context';
import { DEFERRED_FAULT } from './methods';
import type { ApiRouter, BodyOf } from './contract';
import type { ApiDeps } from './deps';
import { createChild, findOr404, type Owner, type Tx } from './lifecycle';
import { isUuid, listPage, selectOne } from './listing';
import type { Body, Resource } from './resource';

type Where = Record<string, unknown>;

/** The resources Octavia's policy names, by the prefix of their actions (`loadbalancer`, `flavor`, ...). */
export type PolicyResource = { [A in Action]: A extends `${infer R}:get_one` ? R : never }[Action];

export interface CollectionOptions {
  /** Whose policy actions its reads are (`<rbac>:get_all`, `<rbac>:get_one`). */
  rbac: PolicyResource;
  /**
   * The project an object is checked against once found (default: its own). 'none': it belongs to no
   * project, and the caller is checked (against its own project) before it is looked up, as Octavia
   * checks flavors, profiles and availability zones.
   */
  projectOf?: 'none' | ((row: any) => string | undefined);
  /**
   * The project a list is checked against (a nested collection: its parent's). Otherwise a resource
   * with Octavia's get_all/get_all-global pair lists by `listScope`, and any other is checked against
   * the caller's own project.
   */
  listProject?(req: Request, res: Response): string | undefined;
  /** What every read is limited to: rows never shown (DELETED), the parent in the path. */
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

export function collection<X extends Resource<any, any, any>, R extends Where = RowOf<X>>({ db }: ApiDeps, resource: X, options: CollectionOptions) {
  const table = db[resource.model] as unknown as Table<R>;
  const { key } = resource.keying;
  const scope = options.scope ?? (() => ({}));
  const include = options.include ? { include: options.include } : {};

  /** The object the request names (by default in its path), or Octavia's 404. */
  const find = (req: Request, res: Response, id = String(req.params[key])): Promise<R> =>
    findOr404(resource.name, id, (k) => table.findFirst({ where: { [key]: k, ...scope(req, res) }, ...include }), key);

  const { rbac } = options;
  const action = (name: string) => `${rbac}:${name}` as Action;

  /** Octavia's check of a list, and the projects it may then show. */
  function listAuthorized(req: Request, res: Response): Where {
    if (options.listProject) {
      authorize(req, action('get_all'), options.listProject(req, res));
      return {};
    }
    if (`${rbac}:get_all-global` in policies) return listScope(req, rbac as ListedResource);
    authorize(req, action('get_all'));
    return {};
  }

  /** Octavia's check of one object: against its project once found, or first, when it belongs to none. */
  async function showAuthorized(req: Request, res: Response): Promise<R> {
    const projectOf = options.projectOf ?? ((row: R) => row.projectId as string | undefined);
    if (projectOf === 'none') {
      authorize(req, action('get_one'));
      return find(req, res);
    }
    const row = await find(req, res);
    authorize(req, action('get_one'), projectOf(row));
    return row;
  }

  async function list(req: Request, res: Response): Promise<void> {
    const authorized = listAuthorized(req, res);
    const page = await listPage(req, resource.filters(db), {
      ...resource.keying,
      base: { ...scope(req, res), ...authorized },
      findMany: (args) => table.findMany({ ...args, ...include }),
      findById: (k) => table.findFirst({ where: { [key]: k, ...options.markerScope?.(req, res) } }) as Promise<Where | null>,
      view: (row: R) => resource.view(row),
    });
    res.json({ [resource.plural]: page.items, [resource.links]: page.links });
  }

  async function show(req: Request, res: Response): Promise<void> {
    res.json({ [resource.singular]: selectOne(req, resource.view(await showAuthorized(req, res))) });
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
  /** It, whoever's it is (the policy is asked about its project afterwards), or null. */
  load(id: string, req: Request): Promise<P | null>;
  /** Its name in Octavia's 404 (`Pool <id> not found.`). */
  name: string;
  /** What its children's rows say about it. */
  children(parent: P): Where;
  /** What a change of its children locks (its load balancer), once it is found mutable: Octavia's 409 if not. */
  lock(parent: P): Owner;
}

/** How a new child is written (lifecycle.ts createChild): the row, a per-parent limit, a refused write's fault. */
export interface NewChild<R> {
  create(tx: Tx): Promise<R>;
  check?(tx: Tx): Promise<void>;
  refused?(err: unknown): ApiFault | undefined;
}

/**
 * A collection under a parent in the path (a pool's members, a policy's rules): every route looks the
 * parent up first, as Octavia's controllers do, and reads only its children. A parent that is not
 * there is a 404 in the web framework's format, as Octavia's parent controller raises it while pecan
 * routes.
 */
export function nestedCollection<X extends Resource<any, any, any>, P extends { projectId: string }>(
  deps: ApiDeps,
  router: ApiRouter,
  resource: X,
  rbac: 'member' | 'l7rule',
  parent: Parent<P>,
) {
  router.use(async (req, res, next) => {
    const id = String(req.params[parent.param] ?? '');
    const found = isUuid(id) ? await parent.load(id, req) : null;
    if (!found) throw new FrameworkNotFound(parent.name, id);
    // What the path's routing refused, now that its parent is there (api/methods.ts).
    if (res.locals[DEFERRED_FAULT]) throw res.locals[DEFERRED_FAULT];
    res.locals.parent = found;
    next();
  });
  const parentOf = (res: Response) => res.locals.parent as P;
  const children = (_req: Request, res: Response) => parent.children(parentOf(res));
  const all = collection(deps, resource, { rbac, scope: children, markerScope: children, listProject: (_req, res) => parentOf(res).projectId });
  all.routes(router);
  /** The lock of a change under the request's parent (childRoutes' `lock`). */
  const lock = async (_current: RowOf<X>, _req: Request, res: Response) => parent.lock(parentOf(res));

  /**
   * POST /: a child of the request's parent, made as every nested child is: its body parsed, the policy
   * asked about the parent's project, the child's own checks (`make`), then the row written under the
   * parent's lock (lifecycle.ts createChild); the answer is its view.
   */
  function create<B extends Body>(summary: string, body: B, make: (parsed: ReturnType<BodyOf<B>>, parent: P) => Promise<NewChild<RowOf<X>>> | NewChild<RowOf<X>>) {
    router.post('/', { summary, body, response: resource.showSchema }, async (req, res, parse) => {
      const parsed = parse() as ReturnType<BodyOf<B>>;
      const found = parentOf(res);
      authorize(req, `${rbac}:post`, found.projectId);
      const { create: write, ...more } = await make(parsed, found);
      const row = await createChild(deps, rbac, parent.lock(found), write, more);
      res.status(201).json({ [resource.singular]: resource.view(row) });
    });
  }
  return { ...all, parentOf, lock, create };
}
