/**
 * Who is asking, and what they may see. Set once per request by the authentication middleware
 * (api/auth.ts):
 *   - `noauth` (Octavia's, for local use): every request is an admin; the project comes from the
 *     X-Project-Id header or the body's project_id;
 *   - `keystone`: the token's project and roles, mapped to Octavia's RBAC personas.
 */
import type { Request } from 'express';
import { NotAuthorized, ValidationFailure } from '../common/errors';

export interface RequestContext {
  projectId: string | undefined;
  roles: string[];
  /** load-balancer_admin or admin: everything, every project. */
  isAdmin: boolean;
  /** Reads every project (admin, load-balancer_global_observer). */
  readsAllProjects: boolean;
}

const contexts = new WeakMap<Request, RequestContext>();

export function setRequestContext(req: Request, ctx: RequestContext): void {
  contexts.set(req, ctx);
}

export function requestContext(req: Request): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('No request context: the authentication middleware did not run');
  return ctx;
}

/**
 * The `where` that limits a query to what the caller may see. Another project's object is then
 * simply not found: a 404, never a 403, as Octavia answers.
 */
export function projectScope(req: Request): { projectId?: string } {
  const ctx = requestContext(req);
  return ctx.readsAllProjects ? {} : { projectId: ctx.projectId ?? '' };
}

/** The project a new object belongs to: the body's project_id (admins may create for others) or the caller's. */
export function projectForCreate(ctx: RequestContext, body: { project_id?: string | null; tenant_id?: string | null }): string {
  const requested = body.project_id ?? body.tenant_id;
  if (requested && !ctx.isAdmin && requested !== ctx.projectId) throw new NotAuthorized();
  const projectId = requested ?? ctx.projectId;
  if (!projectId) {
    throw new ValidationFailure(
      'Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
    );
  }
  return projectId;
}

