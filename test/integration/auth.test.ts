/**
 * keystone mode: tokens validated against Keystone (the emulator's), Octavia's RBAC personas, and
 * project isolation: another project's objects are 403s (Octavia checks the policy against the
 * object's project once it has found it), lists show the caller's project only.
 */
import { startKeystoneSystem, type KeystoneSystem, type Persona } from '../support/keystone';
import { awaitFlow, VIP_SUBNET } from '../support/fixtures';
import { eventually, type TestSystem } from '../support/system';

let ks: KeystoneSystem;
let sys: TestSystem;
let keystone: KeystoneSystem['keystone'];
let tokens: KeystoneSystem['tokens'];

beforeAll(async () => {
  ks = await startKeystoneSystem();
  ({ sys, keystone, tokens } = ks);
});
afterAll(async () => {
  await ks?.stop();
});

const as = (user: Persona, method: string, path: string, body?: unknown) => ks.as(user, method, path, body);

it('refuses requests without a valid token (401, Keystone-style body)', async () => {
  const none = await sys.api('GET', '/v2/lbaas/loadbalancers', undefined, { 'x-project-id': '' });
  expect(none.status).toBe(401);
  expect(none.body).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
  expect((await sys.api('GET', '/v2/lbaas/loadbalancers', undefined, { 'x-auth-token': 'not-a-token' })).status).toBe(401);
});

describe('personas', () => {
  let lbId: string;

  beforeAll(async () => {
    const res = await as('lb-member', 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
    expect(res.status).toBe(201);
    expect(res.body.loadbalancer.project_id).toBe(tokens['lb-member'].projectId);
    lbId = res.body.loadbalancer.id;
    // Its create flow's end, not a guessed time: a loaded machine takes longer than any fixed poll.
    await awaitFlow(sys, `loadbalancer-${lbId}-create`);
    expect((await as('lb-member', 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  });

  it('a member cannot create in another project', async () => {
    const res = await as('lb-member', 'POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { vip_subnet_id: VIP_SUBNET, project_id: tokens['lb-other'].projectId },
    });
    expect(res).toMatchObject({ status: 403, body: { faultstring: 'Policy does not allow this request to be performed.' } });
  });

  it('an observer reads its project but cannot write', async () => {
    expect((await as('lb-observer', 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).status).toBe(200);
    const res = await as('lb-observer', 'PUT', `/v2/lbaas/loadbalancers/${lbId}`, { loadbalancer: { name: 'x' } });
    expect(res).toMatchObject({ status: 403, body: { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.' } });
  });

  it("another project's member is refused its objects (403, as Octavia), lists none of them", async () => {
    const forbidden = { status: 403, body: { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null } };
    expect(await as('lb-other', 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).toMatchObject(forbidden);
    expect(await as('lb-other', 'DELETE', `/v2/lbaas/loadbalancers/${lbId}`)).toMatchObject(forbidden);
    expect((await as('lb-other', 'GET', `/v2/lbaas/loadbalancers?id=${lbId}`)).body.loadbalancers).toEqual([]);
    const listener = await as('lb-other', 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 5, loadbalancer_id: lbId } });
    expect(listener).toMatchObject(forbidden);
    const pool = await as('lb-other', 'POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
    expect(pool).toMatchObject(forbidden);

    // The owner's pool is refused to the other project too, with its members; it lists none of them.
    const own = await as('lb-member', 'POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
    expect(own.status).toBe(201);
    expect(await as('lb-other', 'GET', `/v2/lbaas/pools/${own.body.pool.id}`)).toMatchObject(forbidden);
    expect(await as('lb-other', 'GET', `/v2/lbaas/pools/${own.body.pool.id}/members`)).toMatchObject(forbidden);
    expect((await as('lb-other', 'GET', `/v2/lbaas/pools?id=${own.body.pool.id}`)).body.pools).toEqual([]);
    // Only what exists nowhere is a 404.
    const nowhere = '00000000-0000-0000-0000-000000000000';
    expect(await as('lb-other', 'GET', `/v2/lbaas/pools/${nowhere}`)).toMatchObject({ status: 404, body: { faultstring: `Pool ${nowhere} not found.` } });
    await eventually(async () => ((await as('lb-member', 'GET', `/v2/lbaas/pools/${own.body.pool.id}`)).body.pool.provisioning_status === 'ACTIVE' ? true : undefined));
  });

  it("lists show the caller's project; naming another project is 403, as Octavia's _auth_get_all", async () => {
    const forbidden = { status: 403, body: { faultstring: 'Policy does not allow this request to be performed.' } };
    const mine = tokens['lb-member'].projectId;
    const theirs = tokens['lb-other'].projectId;
    expect((await as('lb-member', 'GET', `/v2/lbaas/loadbalancers?project_id=${mine}`)).body.loadbalancers.map((l: { id: string }) => l.id)).toContain(lbId);
    expect(await as('lb-member', 'GET', `/v2/lbaas/loadbalancers?project_id=${theirs}`)).toMatchObject(forbidden);
    expect(await as('lb-observer', 'GET', `/v2/lbaas/pools?project_id=${theirs}`)).toMatchObject(forbidden);
    // A global observer lists any project it names, and every project when it names none.
    expect((await as('lb-global-observer', 'GET', `/v2/lbaas/loadbalancers?project_id=${theirs}`)).body.loadbalancers).toEqual([]);
    expect((await as('lb-global-observer', 'GET', `/v2/lbaas/loadbalancers?project_id=${mine}`)).body.loadbalancers.map((l: { id: string }) => l.id)).toContain(lbId);
  });

  it("load balancer failover is admin only (Octavia's put_failover), even for the owning member", async () => {
    expect(await as('lb-member', 'PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`)).toMatchObject({
      status: 403,
      body: { faultstring: 'Policy does not allow this request to be performed.' },
    });
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus).toBe('ACTIVE');
    expect((await as('os-admin', 'PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`)).status).toBe(202);
    await eventually(async () => ((await as('lb-member', 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status === 'ACTIVE' ? true : undefined), 30000);
  });

  it('a global observer reads every project, writes none', async () => {
    const list = await as('lb-global-observer', 'GET', `/v2/lbaas/loadbalancers?id=${lbId}`);
    expect(list.body.loadbalancers.map((l: { id: string }) => l.id)).toEqual([lbId]);
    expect((await as('lb-global-observer', 'DELETE', `/v2/lbaas/loadbalancers/${lbId}`)).status).toBe(403);
  });

  it('the operator API is for admins only', async () => {
    expect((await as('lb-member', 'GET', '/v2/octavia/amphorae')).status).toBe(403);
    const amphorae = await as('lb-admin', 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
    expect(amphorae.status).toBe(200);
    expect(amphorae.body.amphorae).toHaveLength(1);
  });

  it('a user without a load-balancer role gets 403', async () => {
    expect((await as('no-lb-role', 'GET', '/v2/lbaas/loadbalancers')).status).toBe(403);
  });

  it('validations are cached: repeated requests with one token ask Keystone once', async () => {
    const validations = () => keystone.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/auth/tokens')).length;
    await as('lb-observer', 'GET', '/v2/lbaas/loadbalancers');
    const before = validations();
    for (let i = 0; i < 5; i++) await as('lb-observer', 'GET', '/v2/lbaas/loadbalancers');
    expect(validations()).toBe(before);
  });
});
