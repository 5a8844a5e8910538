/**
 * The housekeeping manager: the spare pool (its schedule, filling, refilling, no overshoot with
 * overlapping runs, failed builds compensated), spare pairs for ACTIVE_STANDBY, and the cleanup of
 * expired and stuck rows. The database is shared with the other test files, so each part starts from
 * (and leaves) a pool without spares.
 */
import { randomUUID } from 'node:crypto';
import { computeName } from '../../activities/amphora';
import { loadConfig } from '../../config';
import { cleanupSchedule, housekeepingIds, sparePoolSchedule, upsertSchedule } from '../../platform/schedules';
import type { CleanupInput, CleanupResult, SparePoolInput, SparePoolResult } from '../../workflows/housekeeping';
import { eventually, PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';
import { createLoadBalancer, makeSpare, settledLoadBalancer, VIP_SUBNET } from '../support/fixtures';

jest.setTimeout(90_000);

const spareWhere = { loadBalancerId: null, status: { in: ['READY' as const, 'BOOTING' as const] } };

/** Takes every unallocated spare out of the shared database (other files' spares would be counted). */
async function emptyPool(sys: TestSystem) {
  await sys.db.amphora.updateMany({ where: spareWhere, data: { status: 'DELETED', updatedAt: new Date() } });
}

const createLb = async (sys: TestSystem) => (await createLoadBalancer(sys)).id;

const runPool = (sys: TestSystem, input: SparePoolInput): Promise<SparePoolResult> =>
  sys.temporal.workflow.execute('maintainSparePool', {
    taskQueue: sys.config.temporal.taskQueue,
    workflowId: `test-spare-pool-${randomUUID()}`,
    args: [input],
  });

describe('spare pool', () => {
  let sys: TestSystem;
  let input: SparePoolInput;
  const ready = () => sys.db.amphora.count({ where: { loadBalancerId: null, status: 'READY' } });

  beforeAll(async () => {
    // A long interval: the runs here are started by the tests (the schedule's own ticks are paused).
    sys = await startTestSystem({ SPARE_AMPHORA_POOL_SIZE: '3', SPARE_CHECK_INTERVAL: '3600', NOOP_BUILD_DELAY_MS: '200' });
    await sys.temporal.schedule.getHandle(housekeepingIds(sys.config).sparePool).pause('tests drive the runs');
    await emptyPool(sys);
    input = (sparePoolSchedule(sys.config).action.args as [SparePoolInput])[0];
  });
  afterAll(async () => {
    if (!sys) return;
    await emptyPool(sys);
    for (const id of Object.values(housekeepingIds(sys.config)).slice(0, 2)) await sys.temporal.schedule.getHandle(id).delete().catch(() => undefined);
    await sys.stop();
  });
  afterEach(() => {
    sys.compute.faults = {};
  });

  it('is a schedule created at start-up, updated in place on restart (paused stays paused)', async () => {
    const handle = sys.temporal.schedule.getHandle(housekeepingIds(sys.config).sparePool);
    const described = await handle.describe();
    expect(described.policies.overlap).toBe('BUFFER_ONE');
    expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 3600_000 })]);
    expect(described.action).toMatchObject({ workflowType: 'maintainSparePool', taskQueue: sys.config.temporal.taskQueue, args: [input] });
    expect((await sys.temporal.schedule.getHandle(housekeepingIds(sys.config).cleanup).describe()).policies.overlap).toBe('SKIP');

    // A restart with a new pool size updates the schedule; the operator's pause is kept.
    const bigger = loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: sys.config.temporal.taskQueue, SPARE_AMPHORA_POOL_SIZE: '4', SPARE_CHECK_INTERVAL: '3600' });
    expect(await upsertSchedule(sys.temporal, sparePoolSchedule(bigger))).toBe('updated');
    const updated = await handle.describe();
    expect(updated.action).toMatchObject({ args: [expect.objectContaining({ poolSize: 4 })] });
    expect(updated.state.paused).toBe(true);
    await upsertSchedule(sys.temporal, sparePoolSchedule(sys.config));
    expect((await handle.describe()).action).toMatchObject({ args: [expect.objectContaining({ poolSize: 3 })] });
  });

  it('fills the pool to its size through create_amphora child flows; a full pool builds nothing', async () => {
    const first = await runPool(sys, input);
    expect(first).toEqual({ reserved: 3, built: 3, failed: 0, summary: 'built 3, failed 0' });
    expect(await ready()).toBe(3);
    const spares = await sys.db.amphora.findMany({ where: { loadBalancerId: null, status: 'READY' } });
    expect(spares.every((s) => s.computeId && s.hostId)).toBe(true);
    for (const s of spares) {
      const child = await sys.temporal.workflow.getHandle(`amphora-${s.id}-create`).describe();
      expect(child.status.name).toBe('COMPLETED');
    }
    expect(await runPool(sys, input)).toEqual({ reserved: 0, built: 0, failed: 0, summary: 'pool full: nothing to build' });
    expect(await ready()).toBe(3);
  });

  it('refills after load balancers claim spares (the schedule triggered)', async () => {
    const before = (await sys.compute.liveInstances()).length;
    const lbs = [await createLb(sys), await createLb(sys)];
    // Both took a spare: nothing was built for them.
    expect((await sys.compute.liveInstances()).length).toBe(before);
    expect(await ready()).toBe(1);
    await sys.temporal.schedule.getHandle(housekeepingIds(sys.config).sparePool).trigger();
    await eventually(async () => ((await ready()) === 3 ? true : undefined), 30000, 'the pool to refill');
    expect((await sys.compute.liveInstances()).length).toBe(before + 2);
    for (const id of lbs) expect(await sys.db.amphora.count({ where: { loadBalancerId: id, status: 'ALLOCATED' } })).toBe(1);
  });

  it('overlapping runs never overshoot: the count and the reservation are one atomic step', async () => {
    await emptyPool(sys);
    const runs = await Promise.all([runPool(sys, input), runPool(sys, input), runPool(sys, input)]);
    expect(runs.reduce((n, r) => n + r.reserved, 0)).toBe(3);
    expect(runs.reduce((n, r) => n + r.built, 0)).toBe(3);
    expect(await ready()).toBe(3);
    expect(await sys.db.amphora.count({ where: spareWhere })).toBe(3);
  });

  it('a spare that fails to build is compensated (instance deleted, row DELETED), never counted READY; a run whose builds all failed fails, saying why', async () => {
    await emptyPool(sys);
    const before = (await sys.compute.liveInstances()).length;
    sys.compute.faults = { statusError: true };
    const run = runPool(sys, input);
    await expect(run).rejects.toMatchObject({
      cause: { type: 'SparePoolBuildsFailed', message: expect.stringMatching(/^no spare amphora could be built: built 0, failed 3 \(first failure: amphora \S+: Compute instance \S+ of amphora \S+ went to ERROR/) },
    });
    expect(await sys.db.amphora.count({ where: spareWhere })).toBe(0);
    expect((await sys.compute.liveInstances()).length).toBe(before);
    sys.compute.faults = {};
    expect(await runPool(sys, input)).toMatchObject({ reserved: 3, built: 3, summary: 'built 3, failed 0' });
    expect(await ready()).toBe(3);
  });

  it('a run in which some builds failed completes and says so in its result', async () => {
    await emptyPool(sys);
    // The second of three builds is rejected by the compute service; the others boot.
    const build = sys.compute.build.bind(sys.compute);
    let n = 0;
    sys.compute.build = async (req) => {
      if (++n === 2) sys.compute.faults = { buildRejected: true };
      try {
        return await build(req);
      } finally {
        sys.compute.faults = {};
      }
    };
    try {
      const result = await runPool(sys, { ...input, concurrency: 1 });
      expect(result).toMatchObject({ reserved: 3, built: 2, failed: 1, summary: expect.stringMatching(/^built 2, failed 1 \(first failure: amphora /) });
    } finally {
      sys.compute.build = build;
    }
  });
});

describe('ACTIVE_STANDBY from spares', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' });
    await emptyPool(sys);
  });
  afterAll(async () => {
    if (!sys) return;
    await emptyPool(sys);
    await sys.stop();
  });

  it('claims two spares on different hosts as MASTER and BACKUP: nothing built, no server group', async () => {
    const spares = [await makeSpare(sys), await makeSpare(sys)];
    const hosts = await sys.db.amphora.findMany({ where: { id: { in: spares } }, select: { hostId: true } });
    expect(new Set(hosts.map((h) => h.hostId)).size).toBe(2);
    const built = (await sys.compute.liveInstances()).length;

    const id = await createLb(sys);
    const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
    expect(amphorae.map((a) => a.id).sort()).toEqual([...spares].sort());
    expect(amphorae.map((a) => [a.role, a.status]).sort()).toEqual([
      ['BACKUP', 'ALLOCATED'],
      ['MASTER', 'ALLOCATED'],
    ]);
    expect((await sys.compute.liveInstances()).length).toBe(built);
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).serverGroupId).toBeNull();
    expect(sys.amphoraDriver.configOf(spares[0]!)?.loadBalancerId).toBe(id);
  });

  it('builds the pair into its server group when no two spares are on different hosts (the spares stay)', async () => {
    const spares = [await makeSpare(sys), await makeSpare(sys)];
    await sys.db.amphora.updateMany({ where: { id: { in: spares } }, data: { hostId: 'one-host' } });
    const id = await createLb(sys);
    const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
    expect(amphorae.map((a) => a.role).sort()).toEqual(['BACKUP', 'MASTER']);
    expect(amphorae.some((a) => spares.includes(a.id))).toBe(false);
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).serverGroupId).toEqual(expect.any(String));
    expect(await sys.db.amphora.count({ where: { id: { in: spares }, status: 'READY', loadBalancerId: null } })).toBe(2);
  });

  it.each(['claimSparePair', 'pushLoadBalancerConfig', 'finishLoadBalancerCreate'])(
    'fails at %s: LB ERROR, the pair back in the pool, nothing built',
    async (step) => {
      await emptyPool(sys);
      const spares = [await makeSpare(sys), await makeSpare(sys)];
      const built = (await sys.compute.liveInstances()).length;
      sys.failingSteps.add(step);
      try {
        const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
        await settledLoadBalancer(sys, res.body.loadbalancer.id, 'ERROR');
        await sys.temporal.workflow.getHandle(`loadbalancer-${res.body.loadbalancer.id}-create`).result().catch(() => undefined);
        expect(await sys.db.amphora.count({ where: { loadBalancerId: res.body.loadbalancer.id, status: { not: 'DELETED' } } })).toBe(0);
      } finally {
        sys.failingSteps.clear();
      }
      const rows = await sys.db.amphora.findMany({ where: { id: { in: spares } } });
      expect(rows.map((r) => [r.status, r.loadBalancerId, r.role])).toEqual([
        ['READY', null, null],
        ['READY', null, null],
      ]);
      expect((await sys.compute.liveInstances()).length).toBe(built);
    },
  );
});

describe('cleanup', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ AMPHORA_EXPIRY_AGE: '3600', LOAD_BALANCER_EXPIRY_AGE: '7200', AMPHORA_ERROR_AGE: '60' });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
  const lbRow = (status: 'DELETED' | 'ACTIVE', updatedAt: Date) => ({
    id: randomUUID(),
    projectId: PROJECT_ID,
    provisioningStatus: status,
    operatingStatus: 'OFFLINE' as const,
    createdAt: ago(30 * 86400),
    updatedAt,
  });
  const ampRow = (status: 'DELETED' | 'ERROR' | 'BOOTING', updatedAt: Date | null, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    status,
    createdAt: ago(30 * 86400),
    updatedAt,
    ...extra,
  });

  it('purges only rows DELETED longer than their expiry age, in batches, and deletes stuck amphorae with their instances', async () => {
    const lbExpired = [lbRow('DELETED', ago(7300)), lbRow('DELETED', ago(8000))];
    const lbRecent = lbRow('DELETED', ago(7000)); // under LOAD_BALANCER_EXPIRY_AGE
    const lbActive = lbRow('ACTIVE', ago(90 * 86400));
    await sys.db.loadBalancer.createMany({ data: [...lbExpired, lbRecent, lbActive] });
    const listener = randomUUID();
    await sys.db.listener.create({
      data: { id: listener, projectId: PROJECT_ID, protocol: 'TCP', protocolPort: 80, loadBalancerId: lbExpired[0]!.id, provisioningStatus: 'DELETED', operatingStatus: 'OFFLINE' },
    });

    const ampExpired = ampRow('DELETED', ago(3700), { loadBalancerId: lbExpired[0]!.id });
    const ampRecent = ampRow('DELETED', ago(3500));
    const ampStillHeartbeating = ampRow('DELETED', ago(5000)); // heartbeated since: kept (Octavia's rule)
    const ampStaleHealth = ampRow('DELETED', ago(5000));
    const ampErrorRecent = ampRow('ERROR', ago(10)); // ERROR, but not for AMPHORA_ERROR_AGE yet

    const stuck = ampRow('ERROR', ago(120));
    const stuckInstance = await sys.compute.build({ name: computeName(stuck.id) });
    Object.assign(stuck, { computeId: stuckInstance });
    const lostBoot = ampRow('BOOTING', null, { createdAt: ago(3 * 3600) });
    const lostBootInstance = await sys.compute.build({ name: computeName(lostBoot.id) });

    await sys.db.amphora.createMany({ data: [ampExpired, ampRecent, ampStillHeartbeating, ampStaleHealth, ampErrorRecent, stuck, lostBoot] });
    await sys.db.amphoraHealth.createMany({
      data: [
        // Heartbeated within AMPHORA_EXPIRY_AGE (not just now: the monitor would take it for a zombie).
        { amphoraId: ampStillHeartbeating.id, lastUpdate: ago(600) },
        { amphoraId: ampStaleHealth.id, lastUpdate: ago(4000) },
      ],
    });

    const input: CleanupInput = { ...(cleanupSchedule(sys.config).action.args as [CleanupInput])[0], staleBootingSeconds: 3600, batchSize: 1 };
    expect(input).toMatchObject({ amphoraExpirySeconds: 3600, loadBalancerExpirySeconds: 7200, errorAmphoraAgeSeconds: 60 });
    const result: CleanupResult = await sys.temporal.workflow.execute('cleanupDeleted', {
      taskQueue: sys.config.temporal.taskQueue,
      workflowId: `test-cleanup-${randomUUID()}`,
      args: [input],
    });
    expect(result.loadBalancersPurged).toBeGreaterThanOrEqual(2);
    expect(result.amphoraePurged).toBeGreaterThanOrEqual(2);
    expect(result.stuckAmphoraeLeft).toBe(0);

    const lbs = await sys.db.loadBalancer.findMany({ where: { id: { in: [...lbExpired, lbRecent, lbActive].map((l) => l.id) } } });
    expect(lbs.map((l) => l.id).sort()).toEqual([lbRecent.id, lbActive.id].sort());
    expect(await sys.db.listener.findUnique({ where: { id: listener } })).toBeNull();

    const amps = await sys.db.amphora.findMany({ where: { id: { in: [ampExpired, ampRecent, ampStillHeartbeating, ampStaleHealth, ampErrorRecent, stuck, lostBoot].map((a) => a.id) } } });
    const status = Object.fromEntries(amps.map((a) => [a.id, a.status]));
    expect(status).toEqual({
      [ampRecent.id]: 'DELETED',
      [ampStillHeartbeating.id]: 'DELETED',
      [ampErrorRecent.id]: 'ERROR',
      [stuck.id]: 'DELETED',
      [lostBoot.id]: 'DELETED',
    });
    const live = (await sys.compute.liveInstances()).map((i) => i.id);
    expect(live).not.toContain(stuckInstance);
    expect(live).not.toContain(lostBootInstance);

    // Idempotent: a second run finds nothing more to do with these rows.
    const again: CleanupResult = await sys.temporal.workflow.execute('cleanupDeleted', {
      taskQueue: sys.config.temporal.taskQueue,
      workflowId: `test-cleanup-${randomUUID()}`,
      args: [input],
    });
    expect(again.stuckAmphoraeLeft).toBe(0);
    expect(await sys.db.amphora.count({ where: { id: { in: [ampRecent.id, ampStillHeartbeating.id, ampErrorRecent.id] } } })).toBe(3);
  });
});
