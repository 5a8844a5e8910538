/**
 * Pool validation where ours differed from Octavia's pool controller and validate.check_session_persistence:
 * no pool on a PROMETHEUS listener, cookie names with separators refused, and the PUT's own wording of
 * the persistence_timeout rule. Each refusal changes nothing and leaves the load balancer ACTIVE.
 */
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET, refusalCheck, fault } from '../support/fixtures';

let sys: TestSystem;
let lbId: string;

const lbStatus = async () => (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status as string;
const active = () => eventually(async () => ((await lbStatus()) === 'ACTIVE' ? true : undefined), 20000, 'load balancer ACTIVE');

const unchanged = refusalCheck(() => sys, async () => ({ pools: await sys.db.pool.findMany({ orderBy: { id: 'asc' } }), lb: await lbStatus() }));
/** The request is refused with this fault, no pool is made or changed, and the load balancer stays ACTIVE. */
async function refused(...request: Parameters<typeof unchanged>) {
  await unchanged(...request);
  expect(await lbStatus()).toBe('ACTIVE');
}

beforeAll(async () => {
  sys = await startTestSystem();
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  lbId = res.body.loadbalancer.id;
  await active();
});
afterAll(async () => {
  await sys?.stop();
});

it('a pool on a PROMETHEUS listener is refused: such listeners have no children', async () => {
  const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'PROMETHEUS', protocol_port: 9100 } });
  expect(listener.status).toBe(201);
  await active();
  await refused('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } },
    fault(400, 'Protocol PROMETHEUS listeners cannot have child objects.'));
});

it.each(['a=b', 'a(b)', 'a/b', 'a:b', 'a@b', 'a[b]', 'a{b}', 'a"b', '日本'])('an APP_COOKIE named %s is refused', async (name) => {
  await refused('POST', '/v2/lbaas/pools', {
    pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: name } },
  }, fault(400, 'Validation failure: Supplied "cookie_name" is invalid.'));
});

it('cookie names Octavia takes are taken', async () => {
  const res = await sys.api('POST', '/v2/lbaas/pools', {
    pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID-é_1.x' } },
  });
  expect(res.status).toBe(201);
  expect(res.body.pool.session_persistence).toMatchObject({ type: 'APP_COOKIE', cookie_name: 'JSESSIONID-é_1.x' });
  await active();

  // On a PUT, Octavia words the UDP-only rule without SCTP; the cookie rule is the same.
  const id = res.body.pool.id;
  await refused('PUT', `/v2/lbaas/pools/${id}`, { pool: { session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60 } } },
    fault(400, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP protocol pools.'));
  await refused('PUT', `/v2/lbaas/pools/${id}`, { pool: { session_persistence: { type: 'APP_COOKIE', cookie_name: 'a;b=c' } } },
    fault(400, "Invalid input for field/attribute cookie_name. Value: 'a;b=c'. Value should match the pattern ^[^\\s,;\\\\]+$"));
  await refused('PUT', `/v2/lbaas/pools/${id}`, { pool: { session_persistence: { type: 'APP_COOKIE', cookie_name: 'a=c' } } },
    fault(400, 'Validation failure: Supplied "cookie_name" is invalid.'));
});
