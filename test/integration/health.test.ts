/**
 * The health manager: heartbeats (over UDP, the no-op amphora driver's emission), failover of an
 * amphora that stops heartbeating (exactly once, the load balancer ACTIVE again on a new amphora), the
 * failover storm guard (FAILOVER_THRESHOLD: none failed over, FAILOVER_STOPPED, the alert metric), zombies,
 * the monitor's continue-as-new, and member operating status rolled up to pools, listeners and the load
 * balancer. Heartbeats are off in test systems until a test starts them.
 */
import { randomUUID } from 'node:crypto';
import { HeartbeatSender, type HeartbeatMessage } from '../../drivers/amphora/heartbeat';
import type { AmphoraHealthMonitorInput } from '../../workflows/liveness';
import { housekeepingIds } from '../../platform/schedules';
import { afterChecks, checksPastTimeout, executions } from '../support/health-monitor';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { createLoadBalancer, settledLoadBalancer } from '../support/fixtures';

jest.setTimeout(90_000);

/** Sub-second health manager: stale after 2 s without a heartbeat, checked every 250 ms. */
const FAST = { HEARTBEAT_INTERVAL: '0.5', HEARTBEAT_TIMEOUT: '2', HEALTH_CHECK_INTERVAL: '0.25' };
const EMIT_MS = 100;

const createLb = async (sys: TestSystem) => (await createLoadBalancer(sys)).id;

const allocated = (sys: TestSystem, lbId: string) => sys.db.amphora.findMany({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });

/** Waits until the amphora's heartbeats are recorded. */
const heartbeating = (sys: TestSystem, amphoraId: string) =>
  eventually(async () => ((await sys.db.amphoraHealth.findUnique({ where: { amphoraId } })) ? true : undefined), 10000, `heartbeats of ${amphoraId}`);

async function metric(sys: TestSystem, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${sys.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** Datagrams the health manager dropped for `reason` so far. */
const dropped = async (sys: TestSystem, reason: string) => (await metric(sys, `octavia_heartbeats_dropped_total{reason="${reason}"}`)) ?? 0;

/** The no-op driver's simulated amphorae, heartbeating to the test system's receiver. */
const emitting = (sys: TestSystem) => ({ target: sys.heartbeatAddress!, intervalMs: EMIT_MS, key: sys.config.health.heartbeatKey.reveal() });

/** Leaves no heartbeats behind for the next file's monitor, and no load balancer of ours ACTIVE. */
async function stopSystem(sys: TestSystem | undefined) {
  if (!sys) return;
  await sys.amphoraDriver.stopHeartbeats();
  await sys.stop();
  const { createPrismaClient } = await import('../../db/prisma');
  const db = createPrismaClient(sys.config.database.url, 1);
  await db.amphoraHealth.deleteMany({});
  await db.$disconnect();
}

describe('heartbeats over UDP', () => {
  let sys: TestSystem;
  let sender: HeartbeatSender;
  const KEY = 'heartbeat-secret';
  beforeAll(async () => {
    sys = await startTestSystem({ HEARTBEAT_KEY: KEY });
    sender = new HeartbeatSender(sys.heartbeatAddress!, KEY);
  });
  afterAll(async () => {
    await sender?.close();
    await stopSystem(sys);
  });

  const lastUpdate = async (amphoraId: string) => (await sys.db.amphoraHealth.findUnique({ where: { amphoraId } }))?.lastUpdate.getTime() ?? 0;
  /** Sends a heartbeat and waits until the health manager has written it (its last_update moves). */
  const beat = async (message: HeartbeatMessage) => {
    const before = await lastUpdate(message.id);
    await sender.send(message);
    await eventually(async () => ((await lastUpdate(message.id)) > before ? true : undefined), 10000, `heartbeat ${message.seq} of ${message.id}`);
  };
  const empty = (id: string, seq = 1): HeartbeatMessage => ({ id, seq, ver: 3, listeners: {}, pools: {} });

  it('records a heartbeat signed with HEARTBEAT_KEY; another key or an unknown amphora is dropped and counted', async () => {
    const lb = await createLb(sys);
    const [amp] = await allocated(sys, lb);
    const droppedBefore = { hmac: await dropped(sys, 'hmac'), unknown: await dropped(sys, 'unknown_amphora') };
    const stranger = new HeartbeatSender(sys.heartbeatAddress!, 'another-key');
    await stranger.send(empty(amp!.id));
    await stranger.close();
    await eventually(async () => ((await dropped(sys, 'hmac')) > droppedBefore.hmac ? true : undefined), 10000, 'the wrong key counted');
    expect(await sys.db.amphoraHealth.findUnique({ where: { amphoraId: amp!.id } })).toBeNull();

    await beat(empty(amp!.id));
    const health = await sys.db.amphoraHealth.findUniqueOrThrow({ where: { amphoraId: amp!.id } });
    expect(Date.now() - health.lastUpdate.getTime()).toBeLessThan(5000);

    const unknown = randomUUID();
    await sender.send(empty(unknown));
    await eventually(async () => ((await dropped(sys, 'unknown_amphora')) > droppedBefore.unknown ? true : undefined), 10000, 'the unknown amphora counted');
    expect(await sys.db.amphoraHealth.findUnique({ where: { amphoraId: unknown } })).toBeNull();
  });

  it('rolls member statuses up to the pool and the load balancer, by Octavia rules', async () => {
    const lbId = await createLb(sys);
    const [amp] = await allocated(sys, lbId);
    const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId } });
    await settledLoadBalancer(sys, lbId);
    const pool = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.body.listener.id } });
    await settledLoadBalancer(sys, lbId);
    const poolId: string = pool.body.pool.id;
    const members: string[] = [];
    for (const address of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) {
      const m = await sys.api('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address, protocol_port: 8080 } });
      expect(m.status).toBe(201);
      members.push(m.body.member.id);
      await settledLoadBalancer(sys, lbId);
    }
    const listenerId: string = listener.body.listener.id;
    const [m1, m2, m3] = members as [string, string, string];
    const statuses = async () => ({
      lb: (await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).operatingStatus,
      listener: (await sys.db.listener.findUniqueOrThrow({ where: { id: listenerId } })).operatingStatus,
      pool: (await sys.db.pool.findUniqueOrThrow({ where: { id: poolId } })).operatingStatus,
      members: (await sys.db.member.findMany({ where: { poolId }, orderBy: { ipAddress: 'asc' } })).map((m) => m.operatingStatus),
    });
    const report = async (listenerStatus: 'OPEN' | 'FULL', poolStatus: 'UP' | 'DOWN' | undefined, memberStatus: Record<string, string>) => {
      const message = {
        ...empty(amp!.id),
        listeners: { [listenerId]: { status: listenerStatus, stats: { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 } } },
        // The pool's status left out when undefined: the roll-up then judges by the members.
        pools: { [`${poolId}:${listenerId}`]: { ...(poolStatus ? { status: poolStatus } : {}), members: memberStatus } },
      } as HeartbeatMessage;
      await beat(message);
      return statuses();
    };

    expect(await report('OPEN', 'UP', { [m1]: 'UP', [m2]: 'UP', [m3]: 'UP' })).toEqual({ lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE', 'ONLINE'] });
    // Any member ERROR: its pool and the load balancer DEGRADED.
    expect(await report('OPEN', 'UP', { [m1]: 'UP', [m2]: 'DOWN', [m3]: 'DRAIN' })).toEqual({ lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', members: ['ONLINE', 'ERROR', 'DRAINING'] });
    // All members ERROR (haproxy reports the backend DOWN): the pool and the load balancer ERROR.
    expect(await report('OPEN', 'DOWN', { [m1]: 'DOWN', [m2]: 'DOWN', [m3]: 'DOWN' })).toEqual({ lb: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR', 'ERROR'] });
    // No health monitor ("no check"), maintenance, and a member not reported.
    expect(await report('OPEN', 'UP', { [m1]: 'no check', [m2]: 'MAINT' })).toEqual({ lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['NO_MONITOR', 'OFFLINE', 'OFFLINE'] });
    // Every member DOWN also when the amphora leaves the pool status out.
    expect((await report('OPEN', undefined, { [m1]: 'DOWN', [m2]: 'DOWN', [m3]: 'DOWN' })).pool).toBe('ERROR');
    // A listener at its connection limit (FULL) degrades the load balancer.
    expect(await report('FULL', 'UP', { [m1]: 'UP', [m2]: 'UP', [m3]: 'UP' })).toEqual({ lb: 'DEGRADED', listener: 'DEGRADED', pool: 'ONLINE', members: ['ONLINE', 'ONLINE', 'ONLINE'] });
    // Nothing reported (haproxy stopped): listener and pool OFFLINE.
    await beat(empty(amp!.id, 2));
    expect(await statuses()).toMatchObject({ lb: 'ONLINE', listener: 'OFFLINE', pool: 'OFFLINE' });
  });

  it('the no-op amphora driver reports what haproxy would: members UP with a health monitor, a failing one DOWN', async () => {
    const lbId = await createLb(sys);
    const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 443, loadbalancer_id: lbId } });
    await settledLoadBalancer(sys, lbId);
    const pool = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener.body.listener.id } });
    await settledLoadBalancer(sys, lbId);
    const poolId: string = pool.body.pool.id;
    const ids: string[] = [];
    for (const address of ['192.0.2.20', '192.0.2.21']) {
      const m = await sys.api('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address, protocol_port: 443 } });
      ids.push(m.body.member.id);
      await settledLoadBalancer(sys, lbId);
    }
    const hm = await sys.api('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } });
    expect(hm.status).toBe(201);
    await settledLoadBalancer(sys, lbId);

    sys.amphoraDriver.memberStatus.set(ids[1]!, 'DOWN');
    sys.amphoraDriver.startHeartbeats({ target: sys.heartbeatAddress!, intervalMs: EMIT_MS, key: KEY });
    try {
      await eventually(async () => {
        const pool = await sys.db.pool.findUniqueOrThrow({ where: { id: poolId }, include: { members: true } });
        const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } });
        const members = Object.fromEntries(pool.members.map((m) => [m.id, m.operatingStatus]));
        return pool.operatingStatus === 'DEGRADED' && lb.operatingStatus === 'DEGRADED' && members[ids[0]!] === 'ONLINE' && members[ids[1]!] === 'ERROR' ? true : undefined;
      }, 10000, 'the failing member to show');
      sys.amphoraDriver.memberStatus.delete(ids[1]!);
      await eventually(async () => ((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).operatingStatus === 'ONLINE' ? true : undefined), 10000, 'recovery');
    } finally {
      await sys.amphoraDriver.stopHeartbeats();
    }
  });
});

describe('failover on missed heartbeats', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem(FAST);
    sys.amphoraDriver.startHeartbeats(emitting(sys));
  });
  afterAll(() => stopSystem(sys));

  it('the health monitor is one long-running workflow, started at start-up', async () => {
    const monitor = await sys.temporal.workflow.getHandle(housekeepingIds(sys.config).healthMonitor).describe();
    expect(monitor.status.name).toBe('RUNNING');
    expect(monitor.type).toBe('monitorAmphoraHealth');
  });

  it('an amphora that stops heartbeating is failed over exactly once; the load balancer is ACTIVE on a new amphora', async () => {
    const lbId = await createLb(sys);
    const [old] = await allocated(sys, lbId);
    await heartbeating(sys, old!.id);
    sys.amphoraDriver.silence(old!.id);

    const replacement = await eventually(async () => {
      const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } });
      const amps = await allocated(sys, lbId);
      return lb.provisioningStatus === 'ACTIVE' && amps.length === 1 && amps[0]!.id !== old!.id ? amps[0]! : undefined;
    }, 30000, 'the failover');
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: old!.id } })).status).toBe('DELETED');
    expect((await sys.compute.liveInstances()).map((i) => i.id)).not.toContain(old!.computeId);
    expect(sys.amphoraDriver.configOf(replacement.id)?.loadBalancerId).toBe(lbId);
    // The replacement heartbeats; nothing else happens for checks spanning more than the timeout.
    await heartbeating(sys, replacement.id);
    expect(await afterChecks(sys, checksPastTimeout(sys))).toEqual([]);
    expect(await executions(sys, `amphora-${old!.id}-failover`)).toBe(1);
    expect(await executions(sys, `amphora-${replacement.id}-failover`)).toBe(0);
    expect((await allocated(sys, lbId)).map((a) => a.id)).toEqual([replacement.id]);
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus).toBe('ACTIVE');
  });

  it('a zombie (DELETED in the database, still heartbeating) gets its compute instance deleted', async () => {
    const lbId = await createLb(sys);
    const [amp] = await allocated(sys, lbId);
    await heartbeating(sys, amp!.id);
    // A delete that lost track of its instance: the row says DELETED, the amphora runs on.
    await sys.db.amphora.update({ where: { id: amp!.id }, data: { status: 'DELETED', updatedAt: new Date() } });
    await eventually(async () => ((await sys.compute.liveInstances()).some((i) => i.id === amp!.computeId) ? undefined : true), 15000, 'the zombie instance to go');
    // Its heartbeats stop with the instance; the last one in flight is handled like the others.
    await eventually(async () => ((await sys.db.amphoraHealth.findUnique({ where: { amphoraId: amp!.id } })) ? undefined : true), 10000, 'the zombie forgotten');
    await sys.db.loadBalancer.update({ where: { id: lbId }, data: { provisioningStatus: 'DELETED' } });
  });

  it('the monitor keeps its history bounded: it continues as new', async () => {
    const input: AmphoraHealthMonitorInput = { checkIntervalSeconds: 0.05, heartbeatTimeoutSeconds: 3600, heartbeatIntervalSeconds: 10, failoverThreshold: null, failoverThreads: 1, checksPerRun: 3 };
    const handle = await sys.temporal.workflow.start('monitorAmphoraHealth', {
      taskQueue: sys.config.temporal.taskQueue,
      workflowId: `test-monitor-${randomUUID()}`,
      args: [input],
    });
    try {
      await eventually(async () => ((await handle.describe()).runId !== handle.firstExecutionRunId ? true : undefined), 10000, 'continue-as-new');
    } finally {
      await handle.terminate('test done');
    }
  });
});

describe('failover storm (FAILOVER_THRESHOLD)', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ ...FAST, FAILOVER_THRESHOLD: '1' });
    sys.amphoraDriver.startHeartbeats(emitting(sys));
  });
  afterAll(() => stopSystem(sys));

  it('more amphorae stale at once than the threshold: none failed over, all FAILOVER_STOPPED, an alert; back in service when they heartbeat again', async () => {
    const lbs = [await createLb(sys), await createLb(sys)];
    const amps = (await Promise.all(lbs.map((id) => allocated(sys, id)))).flat();
    expect(amps).toHaveLength(2);
    for (const a of amps) await heartbeating(sys, a.id);
    for (const a of amps) sys.amphoraDriver.silence(a.id);

    await eventually(async () => ((await sys.db.amphora.count({ where: { id: { in: amps.map((a) => a.id) }, status: 'FAILOVER_STOPPED' } })) === 2 ? true : undefined), 15000, 'FAILOVER_STOPPED');
    expect(await metric(sys, 'octavia_amphorae_failover_stopped')).toBe(2);
    expect(await metric(sys, 'octavia_failover_storms_total')).toBeGreaterThanOrEqual(1);
    expect(await afterChecks(sys, checksPastTimeout(sys))).toEqual([]);
    for (const a of amps) expect(await executions(sys, `amphora-${a.id}-failover`)).toBe(0);
    for (const id of lbs) expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('ACTIVE');
    expect(await sys.db.amphora.count({ where: { loadBalancerId: { in: lbs } } })).toBe(2);

    // The partition heals: heartbeats return, the amphorae go back to ALLOCATED by themselves.
    for (const a of amps) sys.amphoraDriver.resume(a.id);
    await eventually(async () => ((await sys.db.amphora.count({ where: { id: { in: amps.map((a) => a.id) }, status: 'ALLOCATED' } })) === 2 ? true : undefined), 15000, 'ALLOCATED again');
    expect(await metric(sys, 'octavia_amphorae_failover_stopped')).toBe(0);

    // One amphora alone is within the threshold: it is failed over.
    sys.amphoraDriver.silence(amps[0]!.id);
    await eventually(async () => ((await sys.db.amphora.findUniqueOrThrow({ where: { id: amps[0]!.id } })).status === 'DELETED' ? true : undefined), 30000, 'the single failover');
    await settledLoadBalancer(sys, lbs[0]!);
    expect(await allocated(sys, lbs[0]!)).toHaveLength(1);
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: amps[1]!.id } })).status).toBe('ALLOCATED');
  });
});
