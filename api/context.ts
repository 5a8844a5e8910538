/**
 * Who is asking. In `noauth` mode (Octavia's, for local use) every request is an admin, and the
 * project comes from the X-Project-Id header or the body's project_id.
 */
import type { Request } from 'express';
import { ValidationFailure } from './errors';

export interface RequestContext {
  projectId: string | undefined;
  isAdmin: boolean;
}

export function requestContext(req: Request): RequestContext {
  const header = req.header('x-project-id');
  return { projectId: header || undefined, isAdmin: true };
}

/** The project a new object belongs to: the body's project_id (admins may create for others) or the caller's. */
export function projectForCreate(ctx: RequestContext, body: { project_id?: string | null; tenant_id?: string | null }): string {
  const projectId = body.project_id ?? body.tenant_id ?? ctx.projectId;
  if (!projectId) {
    throw new ValidationFailure(
      'Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
    );
  }
  return projectId;
}
