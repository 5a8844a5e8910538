/**
 * Replays the pool, member and health monitor exchanges recorded from Octavia 11
 * (shared/reference/octavia/) against our API, in the order they were recorded: the recorded ids are
 * replaced by the ones our API gave the same objects, and responses are compared whole (every key,
 * every value) except ids and timestamps, which are compared by role (`<pool>`, `<time>`, null).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

const REFERENCE = path.resolve(__dirname, '../fixtures/reference/octavia');
/** The project of the recording: sent as X-Project-Id, so project_id and tenant_id compare as they are. */
const RECORDED_PROJECT = '4b9efb7f92e549de98464b7ed104bab6';

interface Recorded {
  request: { method: string; path: string; body: unknown };
  response: { status: number; body: unknown };
}

const recorded = (file: string) => JSON.parse(readFileSync(path.join(REFERENCE, file), 'utf8')) as Recorded;

/** Roles of the recorded ids; ours are added as the objects are created. */
const roles = new Map<string, string>([
  ['53a368bd-4318-454c-8718-56cde5e4b08e', '<loadbalancer>'],
  ['1ef8ffe5-fc67-498d-a805-bf6693677c47', '<listener>'],
  ['44bdec32-ce7b-4c51-9798-86de84b3f5c0', '<pool>'],
  ['168aad02-2e9a-4634-af05-3df18138ed9f', '<member1>'],
  ['af5d82bf-6d1f-4a34-95ea-a7b99cd1a96d', '<member2>'],
  ['9871d076-d334-47ef-a69b-ffb8b3ccad53', '<healthmonitor>'],
]);
/** recorded id -> our id of the same object. */
const ours = new Map<string, string>();
const roleOf = (recordedId: string) => roles.get(recordedId)!;
const learn = (recordedId: string, ourId: string) => {
  ours.set(recordedId, ourId);
  roles.set(ourId, roleOf(recordedId));
};

/** The recorded request with our ids in it. */
const substitute = <T>(value: T): T => {
  let text = JSON.stringify(value);
  for (const [rec, our] of ours) text = text.split(rec).join(our);
  return JSON.parse(text) as T;
};

/** Ids by role, timestamps by presence: what must match between Octavia's answer and ours. */
function normalize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  }
  if (typeof value === 'string') {
    if ((key === 'created_at' || key === 'updated_at') && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(value)) return '<time>';
    let out = value;
    for (const [id, role] of roles) out = out.split(id).join(role);
    return out;
  }
  return value;
}

let sys: TestSystem;
let flows: Flows;
let lbId: string;
const headers = { 'x-project-id': RECORDED_PROJECT };
const counts = async () => ({
  pools: await sys.db.pool.count(),
  members: await sys.db.member.count(),
  monitors: await sys.db.healthMonitor.count(),
  listenerDefaults: await sys.db.listener.count({ where: { defaultPoolId: { not: null } } }),
});

/** Awaits the flows started so far (the child flows); the load balancer must be ACTIVE after them. */
async function lbSettled() {
  await flows.settled();
  expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body?.loadbalancer?.provisioning_status).toBe('ACTIVE');
}

/** Sends the recorded request (with our ids) and expects the recorded status and body. */
async function replay(file: string) {
  const rec = recorded(file);
  const res = await sys.api(rec.request.method, substitute(rec.request.path), substitute(rec.request.body) ?? undefined, headers);
  expect({ status: res.status, body: normalize(res.body) }).toStrictEqual({
    status: rec.response.status,
    body: normalize(rec.response.body ?? undefined),
  });
  return { rec, res };
}

/** Replays a create: our new object takes the recorded object's role. */
async function replayCreate(file: string, wrapper: string) {
  const rec = recorded(file);
  const res = await sys.api(rec.request.method, substitute(rec.request.path), substitute(rec.request.body), headers);
  expect(res.status).toBe(rec.response.status);
  learn((rec.response.body as Record<string, { id: string }>)[wrapper]!.id, res.body[wrapper].id);
  expect(normalize(res.body)).toStrictEqual(normalize(rec.response.body));
  await lbSettled();
}

/** Replays a request Octavia refused, and checks that nothing changed. */
async function replayRejected(file: string) {
  const before = await counts();
  await replay(file);
  expect(await counts()).toEqual(before);
}

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  const lb = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } }, headers);
  lbId = lb.body.loadbalancer.id;
  learn('53a368bd-4318-454c-8718-56cde5e4b08e', lbId);
  await lbSettled();
  const listener = await sys.api(
    'POST',
    '/v2/lbaas/listeners',
    { listener: { name: 'probe-listener', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId } },
    headers,
  );
  expect(listener.status).toBe(201);
  learn('1ef8ffe5-fc67-498d-a805-bf6693677c47', listener.body.listener.id);
  await lbSettled();
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.amphoraDriver.latencyMs = 0;
});

describe('the recorded Octavia session, replayed in order', () => {
  it('pool_create.json: a pool on the listener, its default pool', async () => {
    await replayCreate('pool_create.json', 'pool');
    const listener = await sys.api('GET', `/v2/lbaas/listeners/${ours.get('1ef8ffe5-fc67-498d-a805-bf6693677c47')}`);
    expect(listener.body.listener.default_pool_id).toBe(ours.get('44bdec32-ce7b-4c51-9798-86de84b3f5c0'));
  });

  it('pool_get_no_hm.json: ACTIVE, OFFLINE, no healthmonitor_id key', async () => {
    await replay('pool_get_no_hm.json');
  });

  it('member_create.json: defaults, NO_MONITOR', async () => {
    await replayCreate('member_create.json', 'member');
  });

  it('member_get.json', async () => {
    await replay('member_get.json');
  });

  it('member2_create.json: every field given', async () => {
    await replayCreate('member2_create.json', 'member');
  });

  it('member_list.json', async () => {
    await replay('member_list.json');
  });

  it('err_409_member_duplicate.json', async () => {
    await replayRejected('err_409_member_duplicate.json');
  });

  it('hm_create.json: HTTP defaults, OFFLINE until ACTIVE', async () => {
    await replayCreate('hm_create.json', 'healthmonitor');
  });

  it('hm_get_active.json: ONLINE once ACTIVE', async () => {
    await replay('hm_get_active.json');
  });

  it('err_409_second_hm.json', async () => {
    await replayRejected('err_409_second_hm.json');
  });

  it('pool_get_with_hm.json: healthmonitor_id and members', async () => {
    await replay('pool_get_with_hm.json');
  });

  it('pool_update.json: session persistence shown with its four keys', async () => {
    await replay('pool_update.json');
    await lbSettled();
  });

  it('member_update.json', async () => {
    await replay('member_update.json');
    await lbSettled();
  });

  it('hm_update.json', async () => {
    await replay('hm_update.json');
    await lbSettled();
  });

  it('member_delete.json, and err_409_member_while_pending.json while its flow runs', async () => {
    sys.amphoraDriver.latencyMs = 1500; // holds the delete flow in its configuration step
    await replay('member_delete.json');
    await replayRejected('err_409_member_while_pending.json');
    await lbSettled();
    const gone = await sys.api('GET', substitute('/v2/lbaas/pools/44bdec32-ce7b-4c51-9798-86de84b3f5c0/members/af5d82bf-6d1f-4a34-95ea-a7b99cd1a96d'));
    expect(gone.status).toBe(404);
  });
});

describe('recorded refusals', () => {
  it.each([
    'err_404_pool.json',
    'err_404_healthmonitor.json',
    'err_hm_bad_type.json',
    'err_member_bad_address.json',
    'err_member_unknown_pool.json',
    'err_pool_app_cookie_without_name.json',
    'err_pool_bad_algorithm.json',
    'err_pool_no_parent.json',
  ])('%s', async (file) => {
    await replayRejected(file);
  });
});
