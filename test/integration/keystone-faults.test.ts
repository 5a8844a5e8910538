/**
 * keystone mode when Keystone misbehaves: a Keystone that closes kept-alive connections as we reuse
 * them costs no request (the validation, an idempotent GET, is sent again on a new connection), and a
 * Keystone that cannot be reached is keystonemiddleware's 503 `The Keystone service is temporarily
 * unavailable.` (webob's body), never a 500; once it is back, requests pass again.
 */
import { startKeystoneSystem, type KeystoneSystem } from '../support/keystone';
import { VIP_SUBNET } from '../support/fixtures';

let ks: KeystoneSystem;

beforeAll(async () => {
  ks = await startKeystoneSystem();
});
afterAll(async () => {
  await ks?.stop();
});

afterEach(() => {
  ks.keystone.faults.identityDropsReusedConnections = false;
  ks.keystone.faults.identityDown = false;
});

const list = (token: string) => ks.sys.api('GET', '/v2/lbaas/loadbalancers', undefined, { 'x-auth-token': token, 'x-project-id': '' });

/** webob's JSON rendering of HTTPServiceUnavailable('The Keystone service is temporarily unavailable.'). */
const keystoneUnavailable = {
  message: 'The server is currently unavailable. Please try again at a later time.<br /><br />\nThe Keystone service is temporarily unavailable.\n\n',
  code: '503 Service Unavailable',
  title: 'Service Unavailable',
};

it('validates every token although Keystone closes the kept-alive connections we reuse', async () => {
  // Fresh tokens, so that every request is validated with Keystone (a validation is cached).
  const tokens: string[] = [];
  for (let i = 0; i < 40; i++) tokens.push(await ks.login('lb-member'));
  ks.keystone.faults.identityDropsReusedConnections = true;
  const statuses: number[] = [];
  for (const token of tokens) statuses.push((await list(token)).status);
  expect(statuses).toEqual(tokens.map(() => 200));
  // The fault did happen: connections were closed under the validations, which were sent again.
  expect(ks.keystone.faults.identityConnectionsDropped).toBeGreaterThan(0);
});

it('answers 503 (webob body, as keystonemiddleware) when Keystone cannot be reached, and nothing is cached', async () => {
  const token = await ks.login('lb-member');
  ks.keystone.faults.identityDown = true;
  const res = await list(token);
  expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: keystoneUnavailable });
  // A write is refused the same way, before anything is read or written.
  const before = await ks.sys.db.loadBalancer.count();
  const post = await ks.sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } }, { 'x-auth-token': token, 'x-project-id': '' });
  expect(post.status).toBe(503);
  expect(await ks.sys.db.loadBalancer.count()).toBe(before);

  ks.keystone.faults.identityDown = false;
  expect((await list(token)).status).toBe(200);
  // An unknown token is still a 401, not a 503.
  expect((await list('not-a-token')).status).toBe(401);
});

it('after every token was revoked, ours is renewed and a user token Keystone no longer knows is 401, not 503', async () => {
  const token = await ks.login('lb-member');
  // Every token issued so far (ours included) is refused from now on; the renewed service token is
  // fine, so the user's (expired as well) is what Keystone does not know: 401.
  ks.keystone.expireTokens();
  expect((await list(token)).status).toBe(401);
});
