/**
 * The OpenAPI document is complete: every route of the routes' contract, each with its path and query
 * parameters, its request body (the schema it validates with) and its response schema; and what it
 * says is what the API does (documented filters are accepted, undocumented ones refused; responses
 * carry the documented keys). "Try it out" works: the security scheme of the running auth mode names
 * the header the API reads, and the request examples are accepted as they are.
 */
import { watchFlows } from '../support/fixtures';
import { startKeystoneSystem } from '../support/keystone';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => {
  // With a worker: the examples build a load balancer tree, each step waiting for the previous flow.
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

interface Parameter {
  in: 'query' | 'path';
  name: string;
  example?: unknown;
  schema: { type?: string; items?: { type?: string; enum?: string[]; format?: string } };
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  $ref?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  example?: unknown;
}
interface Operation {
  summary?: string;
  operationId?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema; example?: Record<string, any> } } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>;
}

let document: { security?: unknown[]; components: { securitySchemes: Record<string, { type: string; in: string; name: string }> } };
let paths: Record<string, Record<string, Operation>>;
let operations: { key: string; path: string; method: string; op: Operation }[];
beforeAll(async () => {
  const res = await sys.api('GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  document = res.body;
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
  // The page's script loads the document the API serves.
  const init = await fetch(`${sys.apiUrl}/docs/swagger-ui-init.js`);
  expect(await init.text()).toMatch(/"url": "\/openapi\.json"/);
});

it('gives every operation a summary, an id and a tag', () => {
  const ids = new Set<string>();
  for (const { key, op } of operations) {
    expect({ key, summary: typeof op.summary === 'string' && op.summary.length > 5 }).toEqual({ key, summary: true });
    expect({ key, id: op.operationId && !ids.has(op.operationId) }).toEqual({ key, id: true });
    ids.add(op.operationId!);
  }
});

describe('Try it out', () => {
  it('declares a security scheme per auth mode and requires the running one (noauth: X-Project-Id); version discovery needs none', async () => {
    expect(document.components.securitySchemes.noauth).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Project-Id' });
    expect(document.components.securitySchemes.keystone).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
    expect(document.security).toEqual([{ noauth: [] }]);
    expect(paths['/']!.get!.security).toEqual([]);
    // What Swagger UI sends for the scheme: only that header.
    const header = document.components.securitySchemes.noauth!.name;
    const res = await fetch(`${sys.apiUrl}/v2/lbaas/loadbalancers`, { headers: { [header]: 'a-project-from-try-it-out' } });
    expect(res.status).toBe(200);
  });

  it('in keystone mode requires X-Auth-Token, and a token in that header is what the API takes', async () => {
    const ks = await startKeystoneSystem();
    try {
      const doc = (await ks.sys.api('GET', '/openapi.json', undefined, { 'x-project-id': '' })).body;
      expect(doc.security).toEqual([{ keystone: [] }]);
      const header = doc.components.securitySchemes.keystone.name as string;
      const ok = await fetch(`${ks.sys.apiUrl}/v2/lbaas/loadbalancers`, { headers: { [header]: ks.tokens['lb-member'].token } });
      expect(ok.status).toBe(200);
      expect((await fetch(`${ks.sys.apiUrl}/v2/lbaas/loadbalancers`)).status).toBe(401);
    } finally {
      await ks.stop();
    }
  });

  it('shows an example body for every POST and PUT that takes one, and examples that fit their schemas', () => {
    for (const { key, method, op } of operations) {
      if ((method !== 'post' && method !== 'put') || actions.has(key)) continue;
      expect({ key, example: op.requestBody?.content['application/json'].example !== undefined }).toEqual({ key, example: true });
    }
    // Property examples: a value the schema allows (an enum's member), on the fields of the views.
    const shown = success(paths['/v2/lbaas/loadbalancers/{id}']!.get!)[1].content!['application/json'].schema.properties!.loadbalancer!.properties!;
    expect(shown.vip_address!.example).toBe('203.0.113.10');
    expect(shown.id!.example).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(shown.provisioning_status!.example).toBe('ACTIVE');
    let checked = 0;
    const walk = (s: JsonSchema | undefined): void => {
      if (!s) return;
      for (const prop of Object.values(s.properties ?? {})) {
        const enums = [prop, ...(prop.anyOf ?? [])].flatMap((v) => v.enum ?? []);
        if (prop.example !== undefined && enums.length) {
          expect(enums).toContain(prop.example);
          checked++;
        }
        walk(prop);
        walk(prop.items);
      }
    };
    for (const { op } of operations) walk(success(op)[1].content?.['application/json'].schema);
    expect(checked).toBeGreaterThan(20);
    // Path parameters show an id of the right kind.
    const param = (path: string, method: string, name: string) => paths[path]![method]!.parameters!.find((p) => p.in === 'path' && p.name === name)!.example;
    expect(param('/v2/lbaas/listeners/{id}', 'get', 'id')).toBe(paths['/v2/lbaas/pools']!.post!.requestBody!.content['application/json'].example!.pool.listener_id);
  });

  it('accepts the examples as they are: a load balancer, its listener, pool, member and health monitor', async () => {
    const flows = watchFlows(sys);
    const example = (path: string, method = 'post') => paths[path]![method]!.requestBody!.content['application/json'].example!;
    const lb = await sys.api('POST', '/v2/lbaas/loadbalancers', example('/v2/lbaas/loadbalancers'));
    expect(lb.status).toBe(201);
    expect(lb.body.loadbalancer).toMatchObject(example('/v2/lbaas/loadbalancers').loadbalancer);
    await flows.settled();
    // The children's examples name their parent by an example id: swapped for the one just made.
    const ids: Record<string, string> = { loadbalancer_id: lb.body.loadbalancer.id };
    for (const [path, root, made] of [
      ['/v2/lbaas/listeners', 'listener', 'listener_id'],
      ['/v2/lbaas/pools', 'pool', 'pool_id'],
      ['/v2/lbaas/healthmonitors', 'healthmonitor', undefined],
    ] as const) {
      const body = structuredClone(example(path));
      for (const key of Object.keys(body[root])) if (ids[key]) body[root][key] = ids[key];
      const res = await sys.api('POST', path, body);
      expect({ path, status: res.status, body: res.body }).toMatchObject({ path, status: 201 });
      if (made) ids[made] = res.body[root].id;
      await flows.settled();
    }
    const member = await sys.api('POST', `/v2/lbaas/pools/${ids.pool_id}/members`, example('/v2/lbaas/pools/{poolId}/members'));
    expect(member.status).toBe(201);
    await flows.settled();
    const update = await sys.api('PUT', `/v2/lbaas/loadbalancers/${ids.loadbalancer_id}`, example('/v2/lbaas/loadbalancers/{id}', 'put'));
    expect(update.status).toBe(200);
    await flows.settled();
    expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${ids.loadbalancer_id}`)).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  });
});
