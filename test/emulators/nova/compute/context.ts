/** What every compute handler gets, and the lookups they share. */
import { badRequest, type Endpoints, notFound, policyForbidden, type Req } from '../http';
import type { Microversion } from '../microversion';
import type { CloudState, Server, Token } from '../state';

export interface ComputeCtx {
  req: Req;
  mv: Microversion;
  token: Token;
  projectId: string;
  userId: string;
  /** Nova's context.is_admin: the token has the admin role. */
  isAdmin: boolean;
  state: CloudState;
  ep: Endpoints;
}

export interface Ok {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function requireAdmin(ctx: ComputeCtx, rule: string): void {
  if (!ctx.isAdmin) throw policyForbidden(rule);
}

/** The request body, or Nova's 400 for a body that is not JSON. */
export function body(ctx: ComputeCtx): unknown {
  if (ctx.req.bodyMalformed) throw badRequest('Malformed request body');
  return ctx.req.body ?? null;
}

/**
 * common.get_instance: a non-admin only sees its own project's instances (the database query is
 * project-scoped, so another project's server is a 404, not a 403). Deleted instances are gone.
 */
export function getServer(ctx: ComputeCtx, id: string): Server {
  ctx.state.tick();
  const server = ctx.state.servers.get(id);
  if (!server || server.deleted || (!ctx.isAdmin && server.projectId !== ctx.projectId)) {
    throw notFound(`Instance ${id} could not be found.`);
  }
  return server;
}

/** The id at the end of an href, as common.get_id_from_href. */
export function idFromHref(href: string): string {
  try {
    const u = new URL(href);
    return u.pathname.split('/').filter(Boolean).pop() ?? href;
  } catch {
    return href.split('/').filter(Boolean).pop() ?? href;
  }
}

export function links(ctx: ComputeCtx, collection: string, id: string): Array<{ rel: string; href: string }> {
  return [
    { rel: 'self', href: `${ctx.ep.computeUrl}/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.ep.computeRoot}/${collection}/${id}` },
  ];
}

/** Nova's InstanceInvalidState as the API reports it (common.raise_http_conflict_for_instance_invalid_state). */
export function invalidState(action: string, server: Server, attr: 'vm_state' | 'task_state'): string {
  const state = attr === 'vm_state' ? server.vmState : String(server.taskState);
  return `Cannot '${action}' instance ${server.id} while it is in ${attr} ${state}`;
}
