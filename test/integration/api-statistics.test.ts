/**
 * The load balancer status tree and statistics, listener statistics, amphora statistics and the
 * amphora configuration update, against the recorded Octavia 11 exchanges (lb_status_tree*.json,
 * lb_stats.json, listener_stats.json); statistics are the sums of what the amphorae's heartbeats
 * reported (sent here over UDP to the test system's health manager).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HeartbeatSender } from '../../drivers/amphora/heartbeat';
import { fault, watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { eventually, startTestSystem, type TestSystem } from '../support/system';

const REFERENCE = path.join(__dirname, '../fixtures/reference/octavia');
const UNKNOWN = '00000000-0000-0000-0000-0000000000b3';
let sys: TestSystem;
let flows: Flows;

const recorded = (file: string) =>
  JSON.parse(readFileSync(path.join(REFERENCE, file), 'utf8')) as { request: { path: string }; response: { status: number; body: unknown } };

beforeAll(async () => {
  // Heartbeats are sent by hand here: none is missed, so the monitor must not fail an amphora over meanwhile.
  sys = await startTestSystem({ HEARTBEAT_INTERVAL: '600', HEARTBEAT_TIMEOUT: '3600' });
  flows = watchFlows(sys);
});
afterAll(async () => {
  await sys?.stop();
});

/** Awaits the flows started so far (test/support/fixtures.ts); the load balancer must be ACTIVE after them. */
async function lbActive(id: string) {
  const lb = await flows.settledView(`/v2/lbaas/loadbalancers/${id}`);
  expect(lb.provisioning_status).toBe('ACTIVE');
  return lb;
}

async function createLb(extra: Record<string, unknown> = {}) {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, ...extra } });
  expect(res.status).toBe(201);
  await lbActive(res.body.loadbalancer.id);
  return res.body.loadbalancer.id as string;
}

/** POSTs a child and waits for its load balancer to settle; returns the child. */
async function child(lbId: string, collection: string, wrapper: string, body: Record<string, unknown>) {
  const res = await sys.api('POST', `/v2/lbaas/${collection}`, { [wrapper]: body });
  expect(res.status).toBe(201);
  await lbActive(lbId);
  return res.body[wrapper] as { id: string };
}

/** The recorded tree with its ids and names replaced by ours (statuses as recorded: no amphora heartbeats, in either). */
function expectedTree(file: string, ids: Record<string, string>) {
  let text = JSON.stringify(recorded(file).response.body);
  for (const [theirs, ours] of Object.entries(ids)) text = text.replaceAll(theirs, ours);
  return JSON.parse(text);
}

describe('status tree', () => {
  it('shows a load balancer without listeners as lb_status_tree_empty.json', async () => {
    const id = await createLb({ name: 'probe-lb-small' });
    const res = await sys.api('GET', `/v2/lbaas/loadbalancers/${id}/status`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expectedTree('lb_status_tree_empty.json', { '33a5d1b8-96a7-4ab8-895c-12fb1d3fd1c9': id }));
  });

  it('shows listeners -> default pool -> monitor and members as lb_status_tree.json', async () => {
    const lbId = await createLb({ name: 'probe-lb-223d8176' });
    const listener = await child(lbId, 'listeners', 'listener', { name: 'probe-listener', protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId });
    const pool = await child(lbId, 'pools', 'pool', { name: 'probe-pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.id });
    const hm = await child(lbId, 'healthmonitors', 'healthmonitor', { pool_id: pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 });
    const m1 = await child(lbId, `pools/${pool.id}/members`, 'member', { address: '10.0.0.10', protocol_port: 8080 });
    const m2 = await child(lbId, `pools/${pool.id}/members`, 'member', { name: 'm2', address: '10.0.0.11', protocol_port: 8080 });
    // A pool no listener uses is not in the tree (as in Octavia).
    await child(lbId, 'pools', 'pool', { name: 'spare-pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId });

    for (const prefix of ['/v2', '/v2.0']) {
      const res = await sys.api('GET', `${prefix}/lbaas/loadbalancers/${lbId}/status`);
      expect(res.status).toBe(200);
      const ids = {
        '53a368bd-4318-454c-8718-56cde5e4b08e': lbId,
        '1ef8ffe5-fc67-498d-a805-bf6693677c47': listener.id,
        '44bdec32-ce7b-4c51-9798-86de84b3f5c0': pool.id,
        '9871d076-d334-47ef-a69b-ffb8b3ccad53': hm.id,
        '168aad02-2e9a-4634-af05-3df18138ed9f': m1.id,
        'af5d82bf-6d1f-4a34-95ea-a7b99cd1a96d': m2.id,
      };
      expect(res.body).toEqual(expectedTree('lb_status_tree.json', ids));
    }

    // A pool without a monitor has no health_monitor key at all.
    expect((await sys.api('DELETE', `/v2/lbaas/healthmonitors/${hm.id}`)).status).toBe(204);
    await lbActive(lbId);
    expect((await sys.api('GET', `/v2/lbaas/healthmonitors/${hm.id}`)).status).toBe(404);
    const [treePool] = (await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}/status`)).body.statuses.loadbalancer.listeners[0].pools;
    expect(treePool).not.toHaveProperty('health_monitor');
    expect(treePool.members).toHaveLength(2);
  });

  it('unknown, malformed and deleted load balancers are 404s', async () => {
    expect(await sys.api('GET', `/v2/lbaas/loadbalancers/${UNKNOWN}/status`)).toMatchObject(fault(404, `Load Balancer ${UNKNOWN} not found.`));
    expect(await sys.api('GET', '/v2/lbaas/loadbalancers/nope/status')).toMatchObject(fault(404, 'Load Balancer nope not found.'));
    expect(await sys.api('GET', '/v2/lbaas/loadbalancers/nope/stats')).toMatchObject(fault(404, 'Load Balancer nope not found.'));
    const id = await createLb();
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${id}`)).status).toBe(204);
    await flows.settled();
    expect((await sys.db.loadBalancer.findUnique({ where: { id } }))?.provisioningStatus).toBe('DELETED');
    expect(await sys.api('GET', `/v2/lbaas/loadbalancers/${id}/status`)).toMatchObject(fault(404, `Load Balancer ${id} not found.`));
    expect(await sys.api('GET', `/v2/lbaas/loadbalancers/${id}/stats`)).toMatchObject(fault(404, `Load Balancer ${id} not found.`));
  });
});

describe('statistics', () => {
  let lbId: string;
  let listeners: string[];
  let amphorae: string[];

  beforeAll(async () => {
    // ACTIVE_STANDBY: two amphorae, whose heartbeats are summed.
    const fp = await sys.api('POST', '/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: `pair-${randomUUID()}`, provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' },
    });
    const flavor = await sys.api('POST', '/v2/lbaas/flavors', { flavor: { name: `pair-${randomUUID()}`, flavor_profile_id: fp.body.flavorprofile.id } });
    lbId = await createLb({ flavor_id: flavor.body.flavor.id });
    listeners = [];
    for (const port of [80, 443]) {
      listeners.push((await child(lbId, 'listeners', 'listener', { protocol: 'TCP', protocol_port: port, loadbalancer_id: lbId })).id);
    }
    amphorae = (await sys.db.amphora.findMany({ where: { loadBalancerId: lbId, status: 'ALLOCATED' }, orderBy: { id: 'asc' } })).map((a) => a.id);
    expect(amphorae).toHaveLength(2);
  });
  // Their heartbeats made the amphorae watched: no health monitor of a later test file may see them go silent.
  afterAll(() => sys?.db.amphoraHealth.deleteMany({ where: { amphoraId: { in: amphorae } } }));

  it('answers zeros as lb_stats.json and listener_stats.json when nothing flowed', async () => {
    const lb = await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}/stats`);
    const rec = recorded('lb_stats.json');
    expect({ status: lb.status, body: lb.body }).toEqual({ status: rec.response.status, body: rec.response.body });
    const l = await sys.api('GET', `/v2.0/lbaas/listeners/${listeners[0]}/stats`);
    const recL = recorded('listener_stats.json');
    expect({ status: l.status, body: l.body }).toEqual({ status: recL.response.status, body: recL.response.body });
  });

  /** What amphora i (1, 2) reports for listener j (0, 1) in one heartbeat, as deltas. */
  const reported = (i: number, j: number) => ({ tx: 2000 * i + j, rx: 1000 * i + j, conns: i, totconns: 10 * i + j, ereq: j });

  /** Both amphorae heartbeat once, over UDP, to the test system's health manager. */
  async function heartbeatFromBoth(seq: number) {
    const sender = new HeartbeatSender(sys.heartbeatAddress!, sys.config.health.heartbeatKey.reveal());
    try {
      for (const [i, id] of amphorae.entries()) {
        await sender.send({
          id,
          seq,
          ver: 3,
          listeners: Object.fromEntries(listeners.map((l, j) => [l, { status: 'OPEN', stats: reported(i + 1, j) }])),
          pools: {},
        });
      }
    } finally {
      await sender.close();
    }
  }

  /** The statistics at `path` once they equal `expected` (heartbeats are written a moment after they arrive). */
  const statsOnceEqual = async (path: string, expected: unknown) => {
    const last = await eventually(async () => {
      const res = await sys.api('GET', path);
      return JSON.stringify(res.body) === JSON.stringify(expected) ? res : undefined;
    }, 10000, `${path} to show the heartbeats`).catch(async () => sys.api('GET', path));
    expect(last.body).toEqual(expected);
  };

  it('sums what every amphora reported, for the load balancer and for each listener; deltas accumulate', async () => {
    await heartbeatFromBoth(1);
    // amphorae 1 and 2, listeners 0 and 1
    await statsOnceEqual(`/v2/lbaas/loadbalancers/${lbId}/stats`, {
      stats: { bytes_in: 1000 + 1001 + 2000 + 2001, bytes_out: 2000 + 2001 + 4000 + 4001, active_connections: 1 + 1 + 2 + 2, total_connections: 10 + 11 + 20 + 21, request_errors: 0 + 1 + 0 + 1 },
    });
    expect((await sys.api('GET', `/v2/lbaas/listeners/${listeners[1]}/stats`)).body).toEqual({
      stats: { bytes_in: 1001 + 2001, bytes_out: 2001 + 4001, active_connections: 3, total_connections: 11 + 21, request_errors: 2 },
    });
    // The next heartbeats add their deltas; active connections stay the amphorae's current counts.
    await heartbeatFromBoth(2);
    await statsOnceEqual(`/v2/lbaas/listeners/${listeners[1]}/stats`, {
      stats: { bytes_in: 2 * (1001 + 2001), bytes_out: 2 * (2001 + 4001), active_connections: 3, total_connections: 2 * (11 + 21), request_errors: 4 },
    });
  });

  it('counts active connections only on ALLOCATED amphorae (the others report stale counts), and all their traffic', async () => {
    await sys.db.amphora.update({ where: { id: amphorae[0] }, data: { status: 'PENDING_DELETE' } });
    try {
      expect((await sys.api('GET', `/v2/lbaas/listeners/${listeners[0]}/stats`)).body).toEqual({
        stats: { bytes_in: 2 * (1000 + 2000), bytes_out: 2 * (2000 + 4000), active_connections: 2, total_connections: 2 * (10 + 20), request_errors: 0 },
      });
    } finally {
      await sys.db.amphora.update({ where: { id: amphorae[0] }, data: { status: 'ALLOCATED' } });
    }
  });

  it('shows one amphora\'s statistics per listener', async () => {
    const res = await sys.api('GET', `/v2/octavia/amphorae/${amphorae[1]}/stats`);
    expect(res).toMatchObject({ status: 200 });
    expect(res.body).toEqual({
      amphora_stats: listeners.map((listenerId, j) => ({
        id: amphorae[1],
        listener_id: listenerId,
        loadbalancer_id: lbId,
        active_connections: 2,
        bytes_in: 2 * (2000 + j),
        bytes_out: 2 * (4000 + j),
        request_errors: 2 * j,
        total_connections: 2 * (20 + j),
      })),
    });
  });

  it('an amphora that never reported has no statistics; unknown amphorae are 404s', async () => {
    const bare = await createLb();
    const [amp] = await sys.db.amphora.findMany({ where: { loadBalancerId: bare } });
    expect(await sys.api('GET', `/v2/octavia/amphorae/${amp!.id}/stats`)).toMatchObject(fault(404, `Amphora stats for ${amp!.id} not found.`));
    expect(await sys.api('GET', `/v2/octavia/amphorae/${UNKNOWN}/stats`)).toMatchObject(fault(404, `Amphora ${UNKNOWN} not found.`));
  });

  it('listener statistics of an unknown listener are a 404', async () => {
    expect(await sys.api('GET', `/v2/lbaas/listeners/${UNKNOWN}/stats`)).toMatchObject(fault(404, `Listener ${UNKNOWN} not found.`));
    expect(await sys.api('GET', '/v2/lbaas/listeners/x/stats')).toMatchObject(fault(404, 'Listener x not found.'));
  });
});

describe('amphora configuration', () => {
  it('accepts an update of a live amphora (202, nothing to do here) and 404s the others', async () => {
    const lbId = await createLb();
    const [amp] = await sys.db.amphora.findMany({ where: { loadBalancerId: lbId } });
    const before = await sys.db.amphora.findUniqueOrThrow({ where: { id: amp!.id } });
    const res = await sys.api('PUT', `/v2/octavia/amphorae/${amp!.id}/config`);
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    expect(await sys.db.amphora.findUniqueOrThrow({ where: { id: amp!.id } })).toEqual(before);
    expect(await sys.api('PUT', `/v2.0/octavia/amphorae/${UNKNOWN}/config`)).toMatchObject(fault(404, `Amphora ${UNKNOWN} not found.`));
    await sys.db.amphora.update({ where: { id: amp!.id }, data: { status: 'DELETED' } });
    expect(await sys.api('PUT', `/v2/octavia/amphorae/${amp!.id}/config`)).toMatchObject(fault(404, `Amphora ${amp!.id} not found.`));
  });
});
