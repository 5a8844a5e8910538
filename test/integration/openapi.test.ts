/**
 * The OpenAPI document is complete: every route of the routes' contract, each with its path and query
 * parameters, its request body (the schema it validates with) and its response schema; and what it
 * says is what the API does (documented filters are accepted, undocumented ones refused; responses
 * carry the documented keys).
 */
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({}, { worker: false });
});
afterAll(async () => {
  await sys?.stop();
});

interface Parameter {
  in: 'query' | 'path';
  name: string;
  schema: { type?: string; items?: { type?: string; enum?: string[]; format?: string } };
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  $ref?: string;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>;
}

let paths: Record<string, Record<string, Operation>>;
let operations: { key: string; path: string; method: string; op: Operation }[];
beforeAll(async () => {
  const res = await sys.api('GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  paths = res.body.paths;
  operations = Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })),
  );
});

const success = (op: Operation) => Object.entries(op.responses).find(([status]) => status !== 'default')!;
const queryOf = (op: Operation) => (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);

/** The operations that answer without a body (Octavia's 204s and its bodiless 202s). */
const bodiless = new Set([
  'PUT /v2/lbaas/loadbalancers/{id}/failover',
  'PUT /v2/lbaas/pools/{poolId}/members',
  'PUT /v2/octavia/amphorae/{id}/failover',
  'PUT /v2/octavia/amphorae/{id}/config',
  'DELETE /v2/lbaas/quotas/{projectId}',
  'DELETE /v2/quotas/{projectId}',
]);
/** The POSTs and PUTs that take no body (Octavia's actions). */
const actions = new Set([
  'PUT /v2/lbaas/loadbalancers/{id}/failover',
  'PUT /v2/octavia/amphorae/{id}/failover',
  'PUT /v2/octavia/amphorae/{id}/config',
  'POST /v1/openstack_flavors/{id}/register',
]);

it('documents every route', () => {
  expect(operations.map((o) => o.key)).toEqual(
    expect.arrayContaining([
      'GET /v2/lbaas/loadbalancers',
      'POST /v2/lbaas/loadbalancers',
      'GET /v2/lbaas/loadbalancers/{id}/status',
      'GET /v2/lbaas/loadbalancers/{id}/stats',
      'GET /v2/lbaas/listeners/{id}/stats',
      'PUT /v2/lbaas/pools/{poolId}/members',
      'PUT /v2/octavia/amphorae/{id}/failover',
      'GET /v2/octavia/amphorae/{id}/stats',
      'PUT /v2/octavia/amphorae/{id}/config',
      'POST /v1/openstack_flavors/{id}/register',
      'GET /v2/lbaas/providers/{provider}/flavor_capabilities',
      'GET /v2/lbaas/quotas/defaults',
      'GET /',
    ]),
  );
  for (const key of [...bodiless, ...actions]) expect(operations.map((o) => o.key)).toContain(key);
  // Path parameters are declared for every {name} of the path.
  for (const { key, path, op } of operations) {
    const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
    expect({ key, declared }).toEqual({ key, declared: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort() });
  }
});

it('gives every operation its response schema, and every POST/PUT its body schema', () => {
  for (const { key, method, op } of operations) {
    const [status, response] = success(op);
    const schema = response.content?.['application/json'].schema;
    if (bodiless.has(key) || method === 'delete') {
      expect({ key, status, schema }).toEqual({ key, status: method === 'delete' && !bodiless.has(key) ? '204' : '202', schema: undefined });
    } else {
      expect({ key, documented: schema?.type === 'object' || schema?.type === 'array' }).toEqual({ key, documented: true });
    }
    expect({ key, fault: op.responses.default?.content?.['application/json'].schema.$ref }).toEqual({ key, fault: '#/components/schemas/Fault' });
    if (method === 'post' || method === 'put') {
      const body = op.requestBody?.content['application/json'].schema;
      expect({ key, body: actions.has(key) ? body : body?.type }).toEqual({ key, body: actions.has(key) ? undefined : 'object' });
    }
  }
  const lb = paths['/v2/lbaas/loadbalancers']!.post!.requestBody!.content['application/json'].schema.properties!.loadbalancer!;
  expect(Object.keys(lb.properties!)).toEqual(expect.arrayContaining(['vip_subnet_id', 'name', 'tags', 'flavor_id']));
  expect(lb.additionalProperties).toBe(false);
  const shown = success(paths['/v2/lbaas/loadbalancers/{id}']!.get!)[1].content!['application/json'].schema.properties!.loadbalancer!;
  expect(Object.keys(shown.properties!)).toEqual(expect.arrayContaining(['id', 'name', 'vip_address', 'listeners', 'pools', 'tenant_id']));
});

it('gives every list its filters, sorting, pages and fields, and every show its fields', () => {
  const lists = operations.filter((o) => o.method === 'get' && o.path.startsWith('/v2/') && success(o.op)[1].content?.['application/json'].schema.properties?.[`${o.path.split('/').pop()}_links`]);
  expect(lists.length).toBeGreaterThanOrEqual(10);
  for (const { key, op } of lists) {
    expect({ key, query: queryOf(op) }).toEqual({ key, query: expect.arrayContaining(['sort', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'fields']) });
  }
  expect(queryOf(paths['/v2/lbaas/loadbalancers']!.get!)).toEqual(
    expect.arrayContaining(['id', 'name', 'vip_address', 'provisioning_status', 'admin_state_up', 'tags', 'not-tags-any', 'flavor_id']),
  );
  for (const { key, path, op } of operations) {
    if (op === undefined || !/\/\{(id|name)\}$/.test(path) || key.split(' ')[0] !== 'GET' || path.startsWith('/v1/')) continue;
    expect({ key, query: queryOf(op) }).toEqual({ key, query: ['fields'] });
  }
  expect(queryOf(paths['/v2/lbaas/loadbalancers/{id}']!.delete!)).toEqual(['cascade']);
  expect(queryOf(paths['/v2/lbaas/pools/{poolId}/members']!.put!)).toEqual(['additive_only']);
});

it('documents the filters the API accepts, and no other', async () => {
  const UUID = '00000000-0000-4000-8000-000000000000';
  const valueFor = (p: Parameter) => p.schema.items?.enum?.[0] ?? (p.schema.items?.format === 'uuid' ? UUID : '1');
  for (const [path, collection] of [
    ['/v2/lbaas/loadbalancers', 'loadbalancers'],
    ['/v2/lbaas/listeners', 'listeners'],
    ['/v2/lbaas/pools', 'pools'],
    ['/v2/lbaas/healthmonitors', 'healthmonitors'],
    ['/v2/lbaas/l7policies', 'l7policies'],
    ['/v2/octavia/amphorae', 'amphorae'],
    ['/v2/lbaas/flavors', 'flavors'],
    ['/v2/lbaas/availabilityzones', 'availability_zones'],
  ] as const) {
    for (const p of paths[path]!.get!.parameters!) {
      if (p.name === 'marker' || p.name === 'sort') continue;
      const res = await sys.api('GET', `${path}?${p.name}=${encodeURIComponent(valueFor(p))}`);
      expect({ path, param: p.name, status: res.status }).toEqual({ path, param: p.name, status: 200 });
      expect(res.body).toHaveProperty(collection);
    }
    expect((await sys.api('GET', `${path}?not_documented=1`)).status).toBe(400);
  }
});

it('serves a documentation page', async () => {
  const res = await fetch(`${sys.apiUrl}/docs/`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('swagger-ui');
});
