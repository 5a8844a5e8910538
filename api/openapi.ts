/**
 * The OpenAPI 3.1 document at /openapi.json, generated from the running application itself:
 *   - operations: every route of every mounted router (so a route cannot be forgotten);
 *   - request bodies: the zod schemas the routes validate with (z.toJSONSchema), looked up in
 *     `requestBodies` — test/unit/openapi.test.ts fails when a POST/PUT route has none.
 */
import type { Router } from 'express';
import { z } from 'zod';

export interface Mount {
  /** Where the router is mounted; a /v2/ path is also served under its alias /v2.0/. */
  path: string;
  router: Router;
  tag: string;
}

/** `METHOD /path/{param}` -> the root schema of its body. */
export type RequestBodies = Record<string, z.ZodType>;


const successStatus: Record<string, string> = { get: '200', post: '201', put: '200', delete: '204' };

interface RouteLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** `METHOD /path` of every POST/PUT that takes no body (Octavia's actions). */
export type Bodiless = Set<string>;

/** Every route of a mount, as OpenAPI paths (`/:id` -> `/{id}`). */
export function operationsOf(mount: Mount): { method: string; path: string }[] {
  const stack = (mount.router as unknown as { stack: RouteLayer[] }).stack;
  const base = mount.path.replace(/\/$/, '');
  return stack
    .filter((l): l is Required<RouteLayer> => !!l.route)
    .flatMap((l) => {
      const routePaths = Array.isArray(l.route.path) ? l.route.path : [l.route.path];
      return routePaths.flatMap((routePath) =>
        Object.keys(l.route.methods).map((method) => ({
          method,
          path: (base + (routePath === '/' && base ? '' : routePath)).replace(/:(\w+)/g, '{$1}'),
        })),
      );
    });
}

export function openApiDocument(mounts: Mount[], bodies: RequestBodies, bodiless: Set<string>, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const mount of mounts) {
    for (const op of operationsOf(mount)) {
      const key = `${op.method.toUpperCase()} ${op.path}`;
      const schema = bodies[key];
      const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      (paths[op.path] ??= {})[op.method] = {
        tags: [mount.tag],
        operationId: `${op.method}${op.path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
        ...(params.length ? { parameters: params } : {}),
        ...(schema ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
        responses: {
          [bodiless.has(key) && op.method === 'put' ? '202' : (successStatus[op.method] ?? '200')]: { description: 'Success' },
          default: {
            description: "An error, in Octavia's format",
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Fault' } } },
          },
        },
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Octavia-compatible Load Balancing API (LBaaS v2)',
      version,
      description: 'The OpenStack Octavia v2 API, served by a control plane whose flows are Temporal workflows.',
    },
    paths,
    components: {
      schemas: {
        Fault: {
          type: 'object',
          properties: { faultcode: { type: 'string', enum: ['Client', 'Server'] }, faultstring: { type: 'string' }, debuginfo: { type: ['string', 'null'] } },
          required: ['faultcode', 'faultstring', 'debuginfo'],
        },
      },
      securitySchemes: { keystone: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' } },
    },
  };
}
