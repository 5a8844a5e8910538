/**
 * The OpenAPI 3.1 document at /openapi.json, made with zod-openapi from the routes' own contract
 * (api/contract.ts): every operation with its path and query parameters, its request body (the schema
 * the route validates with) and its response (the schema the resource's view is described by).
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiRouter, Operation } from './contract';

export interface Mount {
  /** Where the router is mounted; a /v2/ path is also served under its alias /v2.0/. */
  path: string;
  routes: ApiRouter;
  tag: string;
}

export const faultSchema = z
  .object({ faultcode: z.enum(['Client', 'Server']), faultstring: z.string(), debuginfo: z.string().nullable() })
  .meta({ id: 'Fault', description: "An error, in Octavia's format" });

/** `/v2/lbaas/pools` + `/:poolId/members/:id` -> `/v2/lbaas/pools/{poolId}/members/{id}`. */
export function openApiPath(mountPath: string, routePath: string): string {
  const base = mountPath.replace(/\/$/, '');
  return (base + (routePath === '/' && base ? '' : routePath)).replace(/:(\w+)/g, '{$1}');
}

const operationId = (op: Operation, path: string) =>
  `${op.method}${path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '')}`;

function operationOf(op: Operation, path: string, tag: string) {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return {
    tags: [tag],
    summary: op.summary,
    operationId: operationId(op, path),
    requestParams: {
      ...(params.length ? { path: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
      ...(op.query ? { query: op.query } : {}),
    },
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: op.body.schema } } } } : {}),
    responses: {
      [String(op.status)]: {
        description: op.response ? 'Success' : 'Success (no body)',
        ...(op.response ? { content: { 'application/json': { schema: op.response } } } : {}),
      },
      default: { description: "An error, in Octavia's format", content: { 'application/json': { schema: faultSchema } } },
    },
  };
}

export function openApiDocument(mounts: Mount[], version: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const mount of mounts) {
    for (const op of mount.routes.operations) {
      const path = openApiPath(mount.path, op.path);
      (paths[path] ??= {})[op.method] = operationOf(op, path, mount.tag);
    }
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Octavia-compatible Load Balancing API (LBaaS v2)',
      version,
      description: 'The OpenStack Octavia v2 API, served by a control plane whose flows are Temporal workflows.',
    },
    paths,
    components: { securitySchemes: { keystone: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' } } },
  });
}
