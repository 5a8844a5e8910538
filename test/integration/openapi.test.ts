/** The OpenAPI document is complete: made from the mounted routers and the schemas they validate with. */
import { bodiless, requestBodies } from '../../api/schemas';
import { startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem({}, { worker: false });
});
afterAll(async () => {
  await sys?.stop();
});

interface Operation {
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, unknown>;
}

it('documents every route, and every POST/PUT body with the schema that validates it', async () => {
  const res = await sys.api('GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  const paths = res.body.paths as Record<string, Record<string, Operation>>;

  const operations = Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, op })));
  expect(operations.map((o) => o.key)).toEqual(
    expect.arrayContaining([
      'GET /v2/lbaas/loadbalancers',
      'POST /v2/lbaas/loadbalancers',
      'GET /v2/lbaas/loadbalancers/{id}/status',
      'PUT /v2/lbaas/pools/{poolId}/members',
      'PUT /v2/octavia/amphorae/{id}/failover',
      'POST /v1/openstack_flavors/{id}/register',
      'GET /',
    ]),
  );
  for (const { key, op } of operations) {
    if (!key.startsWith('POST') && !key.startsWith('PUT')) continue;
    if (bodiless.has(key)) expect(op.requestBody).toBeUndefined();
    else expect({ key, documented: op.requestBody !== undefined }).toEqual({ key, documented: true });
  }
  // No schema registered for a route that does not exist.
  for (const key of [...Object.keys(requestBodies), ...bodiless]) expect(operations.map((o) => o.key)).toContain(key);

  const lb = paths['/v2/lbaas/loadbalancers']!.post!.requestBody!.content['application/json'].schema as {
    properties: { loadbalancer: { properties: Record<string, unknown>; additionalProperties: boolean } };
  };
  expect(Object.keys(lb.properties.loadbalancer.properties)).toEqual(expect.arrayContaining(['vip_subnet_id', 'name', 'tags', 'flavor_id']));
  expect(lb.properties.loadbalancer.additionalProperties).toBe(false);
});

it('serves a documentation page', async () => {
  const res = await fetch(`${sys.apiUrl}/docs/`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('swagger-ui');
});
