/**
 * What Octavia's web framework (pecan) answers before its API code runs, and in its own body
 * `{"code", "title", "description"}`: a method a path has no handler for (PATCH anywhere, HEAD, POST
 * on a statistics path, ...) is a 405 naming the allowed methods in `Allow`; a member or rule under a
 * pool or policy that exists nowhere is a 404 titled "Bad Request" whatever the method; an unknown
 * route is a 404 with an empty description. Expected answers are Octavia 11's own
 * (test/fixtures/reference/octavia/framework-answers.json, and the recorded err_member_unknown_pool.json).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { awaitFlow, createTree, VIP_SUBNET } from '../support/fixtures';
import { PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

const REFERENCE = path.resolve(__dirname, '../fixtures/reference/octavia');
const MISSING = '00000000-0000-0000-0000-000000000000';

interface Exchange {
  request: { method: string; path: string; body: unknown };
  response: { status: number; allow: string | null; body: unknown };
}
const { exchanges } = JSON.parse(readFileSync(path.join(REFERENCE, 'framework-answers.json'), 'utf8')) as { exchanges: Exchange[] };

let sys: TestSystem;
let ids: Record<string, string>;

beforeAll(async () => {
  sys = await startTestSystem();
  const tree = await createTree(sys, {
    vipSubnetId: VIP_SUBNET,
    listener: { protocol: 'HTTP', protocol_port: 80 },
    pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
    members: [{ address: '10.0.0.1', protocol_port: 80 }],
    healthMonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 },
  });
  const policy = await sys.api('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: tree.listenerId, action: 'REJECT' } });
  await awaitFlow(sys, `l7policy-${policy.body.l7policy.id}-create`);
  const rule = await sys.api('POST', `/v2/lbaas/l7policies/${policy.body.l7policy.id}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' } });
  await awaitFlow(sys, `l7rule-${rule.body.rule.id}-create`);
  ids = {
    lb: tree.loadBalancerId,
    listener: tree.listenerId!,
    pool: tree.poolId!,
    member: tree.memberIds[0]!,
    hm: tree.healthMonitorId!,
    l7policy: policy.body.l7policy.id,
    l7rule: rule.body.rule.id,
    missing: MISSING,
  };
});
afterAll(async () => {
  await sys?.stop();
});

/** The request as Octavia's recording made it, with its Allow header and body. */
async function ask(method: string, p: string, body?: unknown) {
  const res = await fetch(sys.apiUrl + p, {
    method,
    headers: { 'x-project-id': PROJECT_ID, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, allow: res.headers.get('allow'), body: text ? JSON.parse(text) : null };
}

it.each(exchanges.map((e) => [`${e.request.method} ${e.request.path}`, e] as const))('%s answers as Octavia 11', async (_name, e) => {
  const p = e.request.path.replace(/\{(\w+)\}/g, (_m, k: string) => ids[k]!);
  const got = await ask(e.request.method, p, e.request.body ?? undefined);
  expect(got).toEqual({ status: e.response.status, allow: e.response.allow, body: e.response.body });
});

it("PATCH of every resource is pecan's 405, also under the /v2.0 alias, and changes nothing", async () => {
  const before = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: ids.lb } });
  for (const prefix of ['/v2', '/v2.0']) {
    const res = await ask('PATCH', `${prefix}/lbaas/loadbalancers/${ids.lb}`, { loadbalancer: { name: 'patched' } });
    expect(res).toEqual({ status: 405, allow: 'DELETE, GET, POST, PUT', body: { code: 405, title: 'Method Not Allowed', description: '' } });
  }
  expect(await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: ids.lb } })).toEqual(before);
});

it("a member under a pool that exists nowhere is pecan's 404, as recorded from Octavia 11", async () => {
  const rec = JSON.parse(readFileSync(path.join(REFERENCE, 'err_member_unknown_pool.json'), 'utf8'));
  const res = await ask(rec.request.method, rec.request.path, rec.request.body);
  expect({ status: res.status, body: res.body }).toEqual({ status: rec.response.status, body: rec.response.body });
});

it("an L7 rule under a policy that exists nowhere is pecan's 404 titled Bad Request", async () => {
  expect(await ask('GET', `/v2/lbaas/l7policies/${MISSING}/rules/${ids.l7rule}`)).toEqual({
    status: 404,
    allow: null,
    body: { code: 404, title: 'Bad Request', description: `L7Policy ${MISSING} not found.` },
  });
  // Not a UUID: found nowhere either.
  expect((await ask('GET', '/v2/lbaas/l7policies/not-a-uuid/rules')).body).toEqual({ code: 404, title: 'Bad Request', description: 'L7Policy not-a-uuid not found.' });
});

it('an unknown route is pecan\'s 404 with an empty description', async () => {
  expect(await ask('GET', '/v2/lbaas/nothing-here')).toEqual({ status: 404, allow: null, body: { code: 404, title: 'Not Found', description: '' } });
});

it('HEAD is a 405 with no body (pecan serves no implicit HEAD), but for version discovery', async () => {
  const res = await fetch(`${sys.apiUrl}/v2/lbaas/loadbalancers`, { method: 'HEAD', headers: { 'x-project-id': PROJECT_ID } });
  expect({ status: res.status, allow: res.headers.get('allow'), body: await res.text() }).toEqual({ status: 405, allow: 'DELETE, GET, POST, PUT', body: '' });
  expect((await fetch(`${sys.apiUrl}/`, { method: 'HEAD' })).status).toBe(200);
});

it("OPTIONS is pecan's empty 200", async () => {
  const res = await fetch(`${sys.apiUrl}/v2/lbaas/loadbalancers/${ids.lb}`, { method: 'OPTIONS', headers: { 'x-project-id': PROJECT_ID } });
  expect({ status: res.status, type: res.headers.get('content-type'), body: await res.text() }).toEqual({ status: 200, type: null, body: '' });
});
