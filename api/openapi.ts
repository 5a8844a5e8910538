/**
 * The OpenAPI 3.1 document at /openapi.json, made with zod-openapi from the routes' own contract
 * (api/contract.ts): every operation with its path and query parameters, its request body (the schema
 * the route validates with) and its response (the schema the resource's view is described by).
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiRouter, Operation } from './contract';
import { exampleIds, fieldExamples, requestExamples, updateExampleFields } from './examples';

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

/** Unauthenticated operations (version discovery): no security requirement, so "Try it out" sends no header. */
const publicTags = new Set(['Versions']);

function operationOf(op: Operation, path: string, tag: string) {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return {
    tags: [tag],
    ...(publicTags.has(tag) ? { security: [] } : {}),
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

/** How a request authenticates, per AUTH_STRATEGY: the document offers the running one to "Try it out". */
export const securitySchemes = {
  noauth: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Project-Id',
    description: 'AUTH_STRATEGY=noauth: the project the request acts for (every caller is an admin), e.g. e3cd678b11784734bc366148aa37580e.',
  },
  keystone: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description: 'AUTH_STRATEGY=keystone: a Keystone v3 token (`openstack token issue -f value -c id`); its roles decide what the request may do.',
  },
} as const;

export function openApiDocument(mounts: Mount[], version: string, opts: { authStrategy?: keyof typeof securitySchemes } = {}) {
  const paths: ZodOpenApiPathsObject = {};
  for (const mount of mounts) {
    for (const op of mount.routes.operations) {
      const path = openApiPath(mount.path, op.path);
      (paths[path] ??= {})[op.method] = operationOf(op, path, mount.tag);
    }
  }
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Octavia-compatible Load Balancing API (LBaaS v2)',
      version,
      description: 'The OpenStack Octavia v2 API, served by a control plane whose flows are Temporal workflows.',
    },
    paths,
    components: { securitySchemes },
    security: [{ [opts.authStrategy ?? 'noauth']: [] }],
  });
  addExamples(document);
  return document;
}

// Examples (api/examples.ts), put on the generated document: on every property of a known name whose
// schema the value fits, on path parameters, and as each request body's ready-to-send example.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The resource an `id` inside `key` names: `listeners` -> listener, `rules` -> l7rule. */
const idOwner: Record<string, keyof typeof exampleIds> = {
  loadbalancer: 'loadbalancer', loadbalancers: 'loadbalancer', listener: 'listener', listeners: 'listener', pool: 'pool', pools: 'pool',
  member: 'member', members: 'member', healthmonitor: 'healthmonitor', healthmonitors: 'healthmonitor', l7policy: 'l7policy',
  l7policies: 'l7policy', rule: 'l7rule', rules: 'l7rule', amphora: 'amphora', amphorae: 'amphora', flavor: 'flavor', flavors: 'flavor',
  flavorprofile: 'flavorprofile', flavorprofiles: 'flavorprofile', availability_zone_profile: 'availabilityZoneProfile',
  availability_zone_profiles: 'availabilityZoneProfile', availabilityzoneprofiles: 'availabilityZoneProfile', l7policyId: 'l7policy', poolId: 'pool',
};

function variants(schema: Json): Json[] {
  return [schema, ...((schema.anyOf ?? schema.oneOf ?? []) as Json[])];
}

function fits(schema: Json, value: unknown): boolean {
  const types = variants(schema).flatMap((v) => [v.type].flat().filter(Boolean) as string[]);
  const enums = variants(schema).flatMap((v) => (v.enum ?? []) as unknown[]);
  if (Array.isArray(value)) {
    if (!types.includes('array')) return false;
    const items = variants(schema).find((v) => v.items)?.items as Json | undefined;
    return !items || value.every((x) => fits(items, x));
  }
  if (enums.length > 0 && !enums.includes(value)) return false;
  const t = typeof value === 'number' ? (Number.isInteger(value) ? ['integer', 'number'] : ['number']) : [typeof value];
  return t.some((x) => types.includes(x));
}

function exampleSchema(schema: Json | undefined, owner: string | undefined, seen = new Set<Json>()): void {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  for (const [name, prop] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    const value = name === 'id' && owner && idOwner[owner] ? exampleIds[idOwner[owner]] : fieldExamples[name];
    if (value !== undefined && prop.example === undefined && fits(prop, value)) prop.example = value;
    exampleSchema(prop, name, seen);
  }
  for (const v of variants(schema).slice(1)) exampleSchema(v, owner, seen);
  if (schema.items) exampleSchema(schema.items as Json, owner, seen);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') exampleSchema(schema.additionalProperties as Json, owner, seen);
}

function requestExample(method: string, schema: Json): unknown {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const keys = Object.keys(props);
  const only = (example: Record<string, unknown>, allowed: Json, update: boolean) =>
    Object.fromEntries(
      Object.entries(example).filter(([k]) => k in ((allowed.properties ?? {}) as Json) && (!update || updateExampleFields.has(k))),
    );
  if (keys.length === 1 && requestExamples[keys[0]!]) {
    const root = keys[0]!;
    return { [root]: only(requestExamples[root]!, props[root]!, method === 'put') };
  }
  if (keys.length === 1 && keys[0] === 'members') return { members: [requestExamples.member] };
  // A body without a root key (the openstack flavors API): the fields' own examples.
  const flat = Object.fromEntries(keys.filter((k) => fieldExamples[k] !== undefined && fits(props[k]!, fieldExamples[k])).map((k) => [k, fieldExamples[k]]));
  return Object.keys(flat).length ? flat : undefined;
}

function addExamples(document: Json): void {
  for (const [path, ops] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(ops as Record<string, Json>)) {
      for (const param of (op.parameters ?? []) as Json[]) {
        if (param.in !== 'path' || param.example !== undefined) continue;
        // `{id}` after `/listeners` is a listener's id; `{poolId}` a pool's.
        const before = path.split('/').at(path.split('/').indexOf(`{${param.name}}`) - 1) ?? '';
        const owner = idOwner[param.name === 'id' ? before : param.name];
        if (owner) param.example = exampleIds[owner];
        else if (param.name === 'projectId') param.example = exampleIds.project;
        else if (param.name === 'provider') param.example = 'amphora';
        else if (param.name === 'name') param.example = 'az1';
      }
      const body = op.requestBody?.content?.['application/json'];
      if (body?.schema) {
        exampleSchema(body.schema, undefined);
        const example = requestExample(method, body.schema);
        if (example !== undefined) body.example = example;
      }
      for (const response of Object.values((op.responses ?? {}) as Record<string, Json>)) {
        exampleSchema(response.content?.['application/json']?.schema, undefined);
      }
    }
  }
}
