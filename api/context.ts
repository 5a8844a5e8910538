/**
 * Who is asking, and what they may do. Set once per request by the authentication middleware
 * (api/auth.ts):
 *   - `noauth` (Octavia's, for local use): every request is an admin; the project comes from the
 *     X-Project-Id header or the body's project_id;
 *   - `keystone`: the token's project and roles, checked against Octavia's policy (domain/policy.ts).
 *
 * As in Octavia, a route first finds what it acts on (404 when it exists nowhere), then asks the policy
 * about that object's project (403 when refused): another project's object is forbidden, not hidden.
 */
import type { Request } from 'express';
import { allows, type Action, type Credentials, type ListedResource } from '../domain/policy';
import { NotAuthorized, ValidationFailure } from '../common/errors';

export type RequestContext = Credentials;

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
 * Octavia's `_auth_validate_action`: the caller may do `action` to an object of `targetProject`, or
 * this is a 403. What belongs to no project (flavors, providers, amphorae) is checked against the
 * caller's own project, as Octavia does.
 */
export function authorize(req: Request, action: Action, targetProject: string | undefined = requestContext(req).projectId): void {
  if (!allows(action, requestContext(req), targetProject)) throw new NotAuthorized();
}

/**
 * Octavia's `_auth_get_all`: what a list shows. A caller who may list every project's objects
 * (`<resource>:get_all-global`) gets them all, or the `project_id` it asks for; anyone else may list
 * one project only, its own or the one it names, if the policy lets it (else 403).
 */
export function listScope(req: Request, resource: ListedResource): { projectId?: string | { in: string[] } } {
  const ctx = requestContext(req);
  const asked = req.query.project_id;
  // The list's own project_id filter then picks among them (one value or several).
  const named = asked === undefined ? [] : [asked].flat().map(String);
  if (allows(`${resource}:get_all-global`, ctx, named[0])) return {};
  if (named.length > 0) {
    for (const projectId of named) authorize(req, `${resource}:get_all`, projectId);
    return { projectId: { in: named } };
  }
  if (ctx.projectId === undefined) throw new NotAuthorized();
  authorize(req, `${resource}:get_all`, ctx.projectId);
  return { projectId: ctx.projectId };
}

/**
 * The project a new load balancer belongs to: the body's project_id (admins may create for others) or
 * the caller's; the caller must be allowed to create in it.
 */
export function projectForCreate(req: Request, body: { project_id?: string | null; tenant_id?: string | null }): string {
  const ctx = requestContext(req);
  const projectId = body.project_id ?? body.tenant_id ?? ctx.projectId;
  if (!projectId) {
    throw new ValidationFailure(
      'Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
    );
  }
  authorize(req, 'loadbalancer:post', projectId);
  return projectId;
}
