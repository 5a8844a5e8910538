/**
 * The health manager's UDP receiver on a real socket: the datagram a real Octavia 11 amphora agent
 * sent (test/fixtures/reference/amphora-agent/), its amphora, load balancer, listener, pool and members
 * put in the database under the recorded ids first; listener statistics accumulated over heartbeats
 * and shown by the statistics API; bad datagrams dropped and counted while the receiver keeps
 * answering; and a slow database, behind which heartbeats are folded, not queued.
 */
import { createHmac, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { logger } from '../../common/logger';
import { recordHeartbeat } from '../../db/heartbeats';
import { encodeHeartbeat, type HeartbeatMessage, type HeartbeatTarget } from '../../drivers/amphora/heartbeat';
import { startHeartbeatReceiver } from '../../platform/heartbeat-receiver';
import { eventually, PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

const FIXTURES = path.join(__dirname, '../fixtures/reference/amphora-agent');
const KEY = 'insecure-reference-heartbeat-key';
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const REAL_PACKET = Buffer.from(fixture('heartbeat-raw.hex').trim(), 'hex');
const recorded = (name: string): HeartbeatMessage => {
  const { recv_time: _, ...message } = JSON.parse(fixture(name));
  return message;
};

// The ids in the recorded heartbeats.
const AMPHORA = 'a5a5a5a5-0000-4000-8000-000000000001';
const LISTENER = 'f0f0f0f0-0000-4000-8000-000000000001';
const POOL = 'b0b0b0b0-0000-4000-8000-000000000001';
const MEMBERS = [1, 2, 3].map((i) => `d0d0d0d0-0000-4000-8000-00000000000${i}`);
const LB = randomUUID();

let sys: TestSystem;
let socket: dgram.Socket;

/** One datagram, as it is (no envelope added). */
const sendRaw = (packet: Buffer, to: HeartbeatTarget = sys.heartbeatAddress!) =>
  new Promise<void>((resolve, reject) => socket.send(packet, to.port, to.host, (err) => (err ? reject(err) : resolve())));

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${sys.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}
const dropped = (reason: string) => metric(`octavia_heartbeats_dropped_total{reason="${reason}"}`);

const lastUpdate = async () => (await sys.db.amphoraHealth.findUnique({ where: { amphoraId: AMPHORA } }))?.lastUpdate.getTime() ?? 0;
/** Sends a datagram from the amphora and waits until the health manager has written it. */
async function heartbeat(packet: Buffer): Promise<void> {
  const before = await lastUpdate();
  await sendRaw(packet);
  await eventually(async () => ((await lastUpdate()) > before ? true : undefined), 10000, 'the heartbeat to be written');
}

beforeAll(async () => {
  // The monitor must not fail the hand-made amphora over while the test runs.
  sys = await startTestSystem({ HEARTBEAT_KEY: KEY, HEARTBEAT_INTERVAL: '600', HEARTBEAT_TIMEOUT: '3600' });
  socket = dgram.createSocket('udp4');
  const status = { provisioningStatus: 'ACTIVE', operatingStatus: 'OFFLINE' } as const;
  await sys.db.loadBalancer.create({ data: { id: LB, projectId: PROJECT_ID, ...status } });
  await sys.db.amphora.create({ data: { id: AMPHORA, status: 'ALLOCATED', loadBalancerId: LB, role: 'STANDALONE' } });
  await sys.db.pool.create({ data: { id: POOL, projectId: PROJECT_ID, protocol: 'HTTP', lbAlgorithm: 'ROUND_ROBIN', loadBalancerId: LB, ...status } });
  await sys.db.listener.create({ data: { id: LISTENER, projectId: PROJECT_ID, protocol: 'HTTP', protocolPort: 80, loadBalancerId: LB, defaultPoolId: POOL, ...status } });
  for (const [i, id] of MEMBERS.entries()) {
    await sys.db.member.create({ data: { id, projectId: PROJECT_ID, poolId: POOL, ipAddress: `10.0.0.${10 + i}`, protocolPort: 8080, ...status } });
  }
});

afterAll(async () => {
  socket?.close();
  if (!sys) return;
  // Nothing of ours left for the health monitor of a later test file.
  await sys.db.amphoraHealth.deleteMany({ where: { amphoraId: AMPHORA } });
  await sys.db.amphora.update({ where: { id: AMPHORA }, data: { status: 'DELETED' } });
  await sys.db.loadBalancer.update({ where: { id: LB }, data: { provisioningStatus: 'DELETED' } });
  await sys.stop();
});

const stats = async (p: string) => {
  const res = await sys.api('GET', p);
  expect(res.status).toBe(200);
  return res.body;
};

describe('the real agent\'s datagram', () => {
  it('is heard: the amphora\'s heartbeat recorded, its statuses rolled up, its traffic counted', async () => {
    await heartbeat(REAL_PACKET);
    expect(await sys.db.member.findMany({ where: { poolId: POOL }, orderBy: { id: 'asc' }, select: { operatingStatus: true } })).toEqual(
      MEMBERS.map(() => ({ operatingStatus: 'ONLINE' })),
    );
    expect((await sys.db.pool.findUniqueOrThrow({ where: { id: POOL } })).operatingStatus).toBe('ONLINE');
    expect((await sys.db.listener.findUniqueOrThrow({ where: { id: LISTENER } })).operatingStatus).toBe('ONLINE');
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: LB } })).operatingStatus).toBe('ONLINE');
    // {"tx": 1840, "rx": 1030, "conns": 0, "totconns": 10, "ereq": 0}
    expect(await stats(`/v2/lbaas/listeners/${LISTENER}/stats`)).toEqual({
      stats: { bytes_in: 1030, bytes_out: 1840, active_connections: 0, total_connections: 10, request_errors: 0 },
    });
  });

  it('accumulates the deltas of the next heartbeats; active connections are the latest count', async () => {
    const before = (await stats(`/v2/lbaas/listeners/${LISTENER}/stats`)).stats;
    // The agent's later heartbeat (seq 9: two members left), with connections open, then another.
    const later = recorded('heartbeat-decoded-2-members.json');
    later.listeners[LISTENER]!.stats.conns = 4;
    await heartbeat(encodeHeartbeat(later, KEY));
    const last = { ...recorded('heartbeat-decoded-no-lb.json'), listeners: { [LISTENER]: { status: 'OPEN', stats: { tx: 100, rx: 50, conns: 2, totconns: 3, ereq: 1 } } } };
    await heartbeat(encodeHeartbeat(last, KEY));

    const expected = {
      bytes_in: before.bytes_in + 8549 + 50,
      bytes_out: before.bytes_out + 15272 + 100,
      active_connections: 2,
      total_connections: before.total_connections + 83 + 3,
      request_errors: before.request_errors + 1,
    };
    expect(await stats(`/v2/lbaas/listeners/${LISTENER}/stats`)).toEqual({ stats: expected });
    expect(await stats(`/v2.0/lbaas/loadbalancers/${LB}/stats`)).toEqual({ stats: expected });
    expect(await stats(`/v2/octavia/amphorae/${AMPHORA}/stats`)).toEqual({
      amphora_stats: [{ id: AMPHORA, listener_id: LISTENER, loadbalancer_id: LB, ...expected }],
    });
    // The last heartbeat reported no pool: the pool and its members are OFFLINE now.
    expect((await sys.db.pool.findUniqueOrThrow({ where: { id: POOL } })).operatingStatus).toBe('OFFLINE');
  });

  it('an amphora that is not ALLOCATED any more keeps its traffic but not its active connections', async () => {
    const ampStats = (await stats(`/v2/octavia/amphorae/${AMPHORA}/stats`)).amphora_stats[0];
    await sys.db.amphora.update({ where: { id: AMPHORA }, data: { status: 'PENDING_DELETE' } });
    try {
      expect((await stats(`/v2/lbaas/listeners/${LISTENER}/stats`)).stats).toEqual({
        bytes_in: ampStats.bytes_in,
        bytes_out: ampStats.bytes_out,
        active_connections: 0,
        total_connections: ampStats.total_connections,
        request_errors: ampStats.request_errors,
      });
    } finally {
      await sys.db.amphora.update({ where: { id: AMPHORA }, data: { status: 'ALLOCATED' } });
    }
  });

  it('a listener the database does not know is left out', async () => {
    const unknown = randomUUID();
    const message = { ...recorded('heartbeat-decoded-no-lb.json'), listeners: { [unknown]: { status: 'OPEN', stats: { tx: 1, rx: 1, conns: 1, totconns: 1, ereq: 0 } } } };
    await heartbeat(encodeHeartbeat(message, KEY));
    expect(await sys.db.listenerStatistics.count({ where: { listenerId: unknown } })).toBe(0);
  });
});

describe('bad datagrams', () => {
  it('are dropped and counted by reason; the receiver answers the next heartbeat', async () => {
    const sign = (payload: Buffer) => Buffer.concat([payload, Buffer.from(createHmac('sha256', KEY).update(payload).digest('hex'), 'ascii')]);
    const flipped = Buffer.from(REAL_PACKET);
    flipped[20]! ^= 0xff;
    const bad: Record<string, Buffer[]> = {
      hmac: [flipped, encodeHeartbeat(recorded('heartbeat-decoded.json'), 'another-key'), REAL_PACKET.subarray(0, 100), Buffer.alloc(0)],
      not_zlib: [sign(Buffer.from('plain text'))],
      not_json: [sign(deflateSync('{"id": '))],
      shape: [encodeHeartbeat({ id: AMPHORA, listeners: 'none' }, KEY), encodeHeartbeat([1, 2, 3], KEY)],
      oversized: [sign(deflateSync(Buffer.alloc(8 * 1024 * 1024, 0x20), { level: 9 }))],
      unknown_amphora: [encodeHeartbeat({ ...recorded('heartbeat-decoded-no-lb.json'), id: randomUUID() }, KEY)],
    };
    const before = Object.fromEntries(await Promise.all(Object.keys(bad).map(async (r) => [r, await dropped(r)] as const)));
    const writtenBefore = await lastUpdate();
    for (const packets of Object.values(bad)) for (const p of packets) await sendRaw(p);

    await eventually(async () => {
      for (const [reason, packets] of Object.entries(bad)) if ((await dropped(reason)) !== before[reason]! + packets.length) return undefined;
      return true;
    }, 10000, 'every bad datagram counted');
    // None of them was written as the amphora's heartbeat; the real one still is.
    expect(await lastUpdate()).toBe(writtenBefore);
    await heartbeat(REAL_PACKET);
  });
});

describe('a slow database', () => {
  it('folds the heartbeats that arrive meanwhile into one write per amphora, deltas summed; a full queue drops new amphorae', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writes: number[] = [];
    const receiver = await startHeartbeatReceiver({
      bindIp: '127.0.0.1',
      bindPort: 0,
      key: KEY,
      log: logger,
      concurrency: 1,
      maxPendingAmphorae: 1,
      record: async (beat) => {
        writes.push(beat.stats.get(LISTENER)?.bytesOut ?? 0);
        await gate;
        return recordHeartbeat(sys.db, beat);
      },
    });
    try {
      const before = (await stats(`/v2/octavia/amphorae/${AMPHORA}/stats`)).amphora_stats[0];
      const received = await metric('octavia_heartbeats_received_total');
      const queueFull = await dropped('queue_full');
      const beats = 50;
      for (let seq = 1; seq <= beats; seq++) {
        const message = { id: AMPHORA, seq, ver: 3, pools: {}, listeners: { [LISTENER]: { status: 'OPEN', stats: { tx: 1, rx: 2, conns: seq, totconns: 1, ereq: 0 } } } };
        await sendRaw(encodeHeartbeat(message, KEY), receiver.address);
      }
      // Another amphora while one waits: the queue (one amphora) is full.
      await sendRaw(encodeHeartbeat({ ...recorded('heartbeat-decoded-no-lb.json'), id: randomUUID() }, KEY), receiver.address);
      await eventually(async () => ((await metric('octavia_heartbeats_received_total')) === received + beats + 1 ? true : undefined), 10000, 'every heartbeat read');
      expect(await dropped('queue_full')).toBe(queueFull + 1);
      // The first heartbeat is being written; the 49 after it wait as one.
      expect(writes).toEqual([1]);
      release();
      await eventually(async () => {
        const now = (await stats(`/v2/octavia/amphorae/${AMPHORA}/stats`)).amphora_stats[0];
        return now.bytes_out === before.bytes_out + beats ? now : undefined;
      }, 10000, 'the folded heartbeats written').then((now) =>
        expect(now).toMatchObject({ bytes_in: before.bytes_in + 2 * beats, total_connections: before.total_connections + beats, active_connections: beats }),
      );
      expect(writes).toEqual([1, beats - 1]);
    } finally {
      release();
      await receiver.stop();
    }
  });
});
