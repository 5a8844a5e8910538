/**
 * JSON types as Octavia's WSME (fromjson) takes them: an integer field takes what Python's int() takes
 * (a numeric string, a float, a boolean), a float field what float() takes, a boolean field integers
 * and the unambiguous strings; a string field only strings. What fromjson cannot convert is Octavia's
 * 400 against the whole body. Expected messages are what Octavia 11's own types (WSME 0.11) answer for
 * the same bodies.
 */
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

let sys: TestSystem;
let lbId: string;

const fault = (status: number, faultstring: string) => ({ status, body: { faultcode: 'Client', faultstring, debuginfo: null } });
const lbStatus = async () => (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status as string;
const active = () => eventually(async () => ((await lbStatus()) === 'ACTIVE' ? true : undefined), 20000, 'load balancer ACTIVE');

beforeAll(async () => {
  sys = await startTestSystem();
  // admin_state_up as WSME's "on": a boolean field takes the unambiguous strings.
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'types', vip_subnet_id: VIP_SUBNET, admin_state_up: 'on' } });
  expect(res.status).toBe(201);
  expect(res.body.loadbalancer.admin_state_up).toBe(true);
  lbId = res.body.loadbalancer.id;
  await active();
});
afterAll(async () => {
  await sys?.stop();
});

describe('numbers sent as strings', () => {
  it('a listener created with its port as a string has that port', async () => {
    const res = await sys.api('POST', '/v2/lbaas/listeners', {
      listener: { protocol: 'HTTP', protocol_port: '8080', connection_limit: ' 1_000 ', loadbalancer_id: lbId, admin_state_up: 1 },
    });
    expect(res.status).toBe(201);
    expect(res.body.listener).toMatchObject({ protocol_port: 8080, connection_limit: 1000, admin_state_up: true });
    await active();
    expect((await sys.db.listener.findUniqueOrThrow({ where: { id: res.body.listener.id } })).protocolPort).toBe(8080);

    // `openstack loadbalancer listener set --connection-limit 100` sends the number as a string.
    const put = await sys.api('PUT', `/v2/lbaas/listeners/${res.body.listener.id}`, { listener: { connection_limit: '100', admin_state_up: 'false' } });
    expect(put.status).toBe(200);
    expect(put.body.listener).toMatchObject({ connection_limit: 100, admin_state_up: false });
    await active();
    expect((await sys.api('GET', `/v2/lbaas/listeners/${res.body.listener.id}`)).body.listener).toMatchObject({ connection_limit: 100, admin_state_up: false });
  });

  it('a float is truncated as int() does, and a bound is checked on the converted value', async () => {
    const res = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 9090.7, loadbalancer_id: lbId } });
    expect(res.status).toBe(201);
    expect(res.body.listener.protocol_port).toBe(9090);
    await active();
    expect(await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: '0', loadbalancer_id: lbId } })).toMatchObject(
      fault(400, "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"),
    );
  });

  it('quotas and health monitor timings take numeric strings too', async () => {
    const put = await sys.api('PUT', '/v2/lbaas/quotas/types-project', { quota: { listener: '12', pool: '-1' } });
    expect(put.status).toBe(202);
    expect(put.body.quota).toMatchObject({ listener: 12, pool: -1 });
  });
});

describe('what WSME cannot convert is a 400 against the whole body, and changes nothing', () => {
  const listener = (extra: Record<string, unknown>) => ({ listener: { protocol: 'HTTP', protocol_port: 81, loadbalancer_id: lbId, ...extra } });
  const whole = (extra: string) => `{'listener': {'protocol': 'HTTP', 'protocol_port': 81, 'loadbalancer_id': '${lbId}'${extra}}}`;

  it.each<[string, Record<string, unknown>, (id: string) => string]>([
    ['a port that is no integer', { protocol_port: '80.5' }, () =>
      `Invalid input for field/attribute listener_. Value: '${whole('').replace("'protocol_port': 81", "'protocol_port': '80.5'")}'. invalid literal for int() with base 10: '80.5'`],
    ['an ambiguous boolean (case matters)', { admin_state_up: 'True' }, () =>
      `Invalid input for field/attribute listener_. Value: '${whole(", 'admin_state_up': 'True'")}'. Value not an unambiguous boolean: True`],
    ['a list where a boolean goes', { admin_state_up: [] }, () =>
      `Invalid input for field/attribute listener_. Value: '${whole(", 'admin_state_up': []")}'. Value not an unambiguous boolean: []`],
    ['a string where a list goes', { allowed_cidrs: '10.0.0.0/8' }, () =>
      `Invalid input for field/attribute listener_. Value: '${whole(", 'allowed_cidrs': '10.0.0.0/8'")}'. Value not a valid list: 10.0.0.0/8`],
    ['a string where a dict goes', { insert_headers: 'X-Forwarded-For' }, () =>
      `Invalid input for field/attribute listener_. Value: '${whole(", 'insert_headers': 'X-Forwarded-For'")}'. Value not a valid dict: X-Forwarded-For`],
    // A string field keeps a number as a number, which its type then refuses with its own message.
    ['a number for a name', { name: 123 }, () => "Invalid input for field/attribute name. Value: '123'. Value should be string"],
    ['a number for a tag', { tags: ['a', 1] }, () => "Invalid input for field/attribute tags. Value: '['a', 1]'. Value should be string"],
    ['a number for a header value', { insert_headers: { 'X-Forwarded-For': 1 } }, () =>
      "Invalid input for field/attribute insert_headers. Value: '{'X-Forwarded-For': 1}'. Value should be string"],
    ['a number for an id', { default_pool_id: 5 }, () => "Invalid input for field/attribute default_pool_id. Value: '5'. Value should be UUID format"],
    ['a number for a protocol', { protocol: 5 }, () => "Invalid input for field/attribute protocol. Value: '5'. Value should be one of: TERMINATED_HTTPS, HTTPS, PROMETHEUS, TCP, UDP, SCTP, HTTP"],
  ])('%s', async (_what, extra, message) => {
    const before = await sys.db.listener.count();
    expect(await sys.api('POST', '/v2/lbaas/listeners', listener(extra))).toMatchObject(fault(400, message(lbId)));
    expect(await sys.db.listener.count()).toBe(before);
    expect(await lbStatus()).toBe('ACTIVE');
  });

  it('a float field takes what float() takes', async () => {
    const body = { healthmonitor: { pool_id: VIP_SUBNET, type: 'HTTP', delay: '5', timeout: '3', max_retries: '3', http_version: 'x' } };
    expect(await sys.api('POST', '/v2/lbaas/healthmonitors', body)).toMatchObject(
      fault(400, `Invalid input for field/attribute health_monitor_. Value: '{'healthmonitor': {'pool_id': '${VIP_SUBNET}', 'type': 'HTTP', 'delay': '5', 'timeout': '3', 'max_retries': '3', 'http_version': 'x'}}'. could not convert string to float: 'x'`),
    );
    // Converted, the body is valid as far as types go: the pool it names is what is missing.
    const converted = await sys.api('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { ...body.healthmonitor, http_version: '1.1' } });
    expect(converted.status).toBe(404);
  });

  it('a load balancer with an ambiguous boolean is refused against the body Octavia names load_balancer', async () => {
    const before = await sys.db.loadBalancer.count();
    expect(await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, admin_state_up: 'maybe' } })).toMatchObject(
      fault(400, `Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'vip_subnet_id': '${VIP_SUBNET}', 'admin_state_up': 'maybe'}}'. Value not an unambiguous boolean: maybe`),
    );
    expect(await sys.db.loadBalancer.count()).toBe(before);
  });
});
