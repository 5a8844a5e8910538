/**
 * A deployment's shape, for real: a Temporal server on PostgreSQL (platform/temporal-cluster.ts, built
 * from go.temporal.io/server), two worker processes (`npm run worker`) and two API processes
 * (`npm run api`) of ours against it, one database and one compute service (the Nova emulator: the
 * no-op compute driver's instances live in one process, a cloud's in the cloud). Each worker runs a
 * health manager receiver on a port of its own, as each controller of an Octavia deployment does.
 *
 * In order (the tests share the deployment and build on each other):
 *   1. a signed heartbeat sent to either worker is handled (health recorded, statuses written); two
 *      amphorae then heartbeat as Octavia's agent does, to the two health managers in turn;
 *   2. a worker SIGKILLed while flows run loses none: the other finishes every one;
 *   3. with one worker dead, the heartbeats reaching the survivor keep their amphora in service, and
 *      the amphora whose heartbeats stop is failed over, once;
 *   4. the health monitor and the housekeeping schedules exist once per deployment, not per worker.
 */
import { type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { logger } from '../../common/logger';
import { freeLoopbackPort } from '../../common/net';
import { loadConfig, type Config } from '../../config';
import { createPrismaClient, type Db } from '../../db/prisma';
import { HeartbeatSender, type HeartbeatMessage } from '../../drivers/amphora/heartbeat';
import { housekeepingIds } from '../../platform/schedules';
import type { Cluster } from '../../platform/temporal-cluster';
import { startNovaEmulator, type NovaEmulator } from '../emulators/nova';
import { novaComputeEnv, startScratchCluster } from '../support/cluster';
import { createTree, VIP_SUBNET, type Tree } from '../support/fixtures';
import { afterChecks, checksPastTimeout, executions } from '../support/health-monitor';
import { httpAnswers, spawnOurs, workersPolling, type OurProcess } from '../support/processes';
import { apiClient, eventually, type TestSystem } from '../support/system';

jest.setTimeout(300_000);
const TASK_QUEUE = `cluster-test-${process.pid}`;

/** Our amphorae's heartbeat_key: the workers check every heartbeat's HMAC with it. */
const HEARTBEAT_KEY = 'cluster-test-heartbeat-key';

let cluster: Cluster;
let nova: NovaEmulator;
let client: Client;
let db: Db;
/** What every process of ours runs with (the health manager's settings included). */
let config: Config;
const processes: ChildProcess[] = [];
const apis: string[] = [];
let workers: ChildProcess[] = [];
/** One per worker, in the same order: a sender to that worker's health manager (its HEALTH_MANAGER_BIND_PORT). */
const healthManagers: HeartbeatSender[] = [];
/** Our API and Temporal client, as the shared fixtures take them. */
let deployment: Pick<TestSystem, 'api' | 'temporal' | 'config'>;

function ours(entry: 'worker' | 'api', env: Record<string, string>): OurProcess {
  const p = spawnOurs(`bin/${entry}.ts`, env);
  processes.push(p.child);
  return p;
}

const api = (base: string, method: string, p: string, body?: unknown) => apiClient(base)(method, p, body);

/** The load balancer's one ALLOCATED amphora, as the amphora API shows it. */
async function allocatedAmphora(lbId: string): Promise<{ id: string; compute_id: string }> {
  const { amphorae } = (await api(apis[0]!, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body;
  const live = amphorae.filter((a: { status: string }) => a.status === 'ALLOCATED');
  expect(live).toHaveLength(1);
  return live[0];
}

// The first run on a machine builds the server (.ci/run builds it before the tests: about 15 minutes).
beforeAll(async () => {
  const base = loadConfig(process.env);
  cluster = await startScratchCluster(base, process.env.DATABASE_URL!, logger);
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: base.temporal.namespace });
  db = createPrismaClient(process.env.DATABASE_URL!, 2);
  // Servers boot for a while, so flows are mid-flight (in the boot wait) when a worker dies.
  nova = await startNovaEmulator({ bootMs: 3000, deleteMs: 50 });
  const common = {
    ...novaComputeEnv(nova),
    AMP_ACTIVE_WAIT_SEC: '0.2',
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    TEMPORAL_METRICS_ADDRESS: '',
    NOOP_STATE_FILE: '',
    LOG_LEVEL: 'warn',
    // Four processes and the server share the machine's PostgreSQL (100 connections by default).
    DATABASE_POOL_SIZE: '5',
    // The only heartbeats are the test's own (the no-op amphora driver plays no agent).
    NOOP_HEARTBEATS: 'false',
    HEARTBEAT_KEY,
    // A health manager of seconds: stale after 6 s without a heartbeat, checked every 0.5 s.
    HEARTBEAT_INTERVAL: '1',
    HEARTBEAT_TIMEOUT: '6',
    HEALTH_CHECK_INTERVAL: '0.5',
  };
  config = loadConfig({ ...process.env, ...common });
  const started: OurProcess[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freeLoopbackPort();
    // At info: the line that says it is up.
    started.push(ours('worker', { ...common, HEALTH_MANAGER_BIND_PORT: String(port), LOG_LEVEL: 'info' }));
    healthManagers.push(new HeartbeatSender({ host: '127.0.0.1', port }, HEARTBEAT_KEY));
  }
  workers = started.map((w) => w.child);
  for (let i = 0; i < 2; i++) {
    const port = await freeLoopbackPort();
    ours('api', { ...common, API_BIND_PORT: String(port) });
    apis.push(`http://127.0.0.1:${port}`);
  }
  await httpAnswers(apis, 120_000, 'both API processes');
  // Both workers poll the queue (each bundles the workflows at start).
  await workersPolling(client, TASK_QUEUE, 2, 180_000);
  // And both are done starting (housekeeping set up, pending objects reconciled).
  await eventually(async () => (started.every((w) => w.said('Worker running')) ? true : undefined), 120_000, 'both workers running');
  deployment = { api: apiClient(apis[0]!), temporal: client, config };
}, 45 * 60_000);

afterAll(async () => {
  for (const agent of agents) agent.stop();
  for (const sender of healthManagers) await sender.close();
  await db?.$disconnect();
  for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
  await client?.connection.close();
  await cluster?.stop();
  await nova?.stop();
});

/** An amphora of the heartbeat tests, with the load balancer tree it serves. */
interface Heartbeating {
  tree: Tree;
  amphora: { id: string; compute_id: string };
}
/** Built by the first test: `kept` heartbeats to the end, `silenced` stops after the SIGKILL. */
let kept: Heartbeating | undefined;
let silenced: Heartbeating | undefined;
/** The amphora agents the test plays; stopped by afterAll at the latest. */
const agents: { amphoraId: string; stop(): void }[] = [];

const ZERO_STATS = { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 };
/** What the amphora's agent reports of its tree: the listener OPEN, the pool and every member `state`. */
function report({ tree, amphora }: Heartbeating, seq: number, state: 'UP' | 'DOWN'): HeartbeatMessage {
  const { listenerId, poolId, memberIds } = tree;
  return {
    id: amphora.id,
    seq,
    ver: 3,
    listeners: listenerId ? { [listenerId]: { status: 'OPEN', stats: ZERO_STATS } } : {},
    pools: poolId && listenerId ? { [`${poolId}:${listenerId}`]: { status: state, members: Object.fromEntries(memberIds.map((m) => [m, state])) } } : {},
  };
}

/** The operating statuses the health manager writes, as the database holds them. */
async function statuses({ tree }: Heartbeating) {
  return {
    loadBalancer: (await db.loadBalancer.findUniqueOrThrow({ where: { id: tree.loadBalancerId } })).operatingStatus,
    listener: (await db.listener.findUniqueOrThrow({ where: { id: tree.listenerId! } })).operatingStatus,
    pool: (await db.pool.findUniqueOrThrow({ where: { id: tree.poolId! } })).operatingStatus,
    members: (await db.member.findMany({ where: { poolId: tree.poolId! } })).map((m) => m.operatingStatus),
  };
}

const lastHeartbeat = async (amphoraId: string) => (await db.amphoraHealth.findUnique({ where: { amphoraId } }))?.lastUpdate.getTime() ?? 0;

/** Sends one heartbeat to worker `i`'s health manager only, and waits until it is written (last_update moves). */
async function beatTo(i: number, message: HeartbeatMessage): Promise<void> {
  const before = await lastHeartbeat(message.id);
  await healthManagers[i]!.send(message);
  await eventually(async () => ((await lastHeartbeat(message.id)) > before ? true : undefined), 15_000, `heartbeat ${message.seq} of ${message.id} written by worker ${i}`);
}

/**
 * Plays an amphora's agent: a heartbeat every 500 ms, to the health managers in turn, as Octavia's agent
 * sends each heartbeat to the next address of its controller_ip_port_list. A dead one's share is lost.
 */
function agentOf(amp: Heartbeating): void {
  let seq = 100;
  const timer = setInterval(() => {
    seq++;
    void healthManagers[seq % healthManagers.length]!.send(report(amp, seq, 'UP')).catch(() => undefined);
  }, 500);
  agents.push({ amphoraId: amp.amphora.id, stop: () => clearInterval(timer) });
}

it('handles a heartbeat sent to either worker: the amphora\'s health and the statuses it reports are written', async () => {
  const tree = { vipSubnetId: VIP_SUBNET, listener: { protocol: 'HTTP', protocol_port: 80 }, pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }, members: [{ address: '192.0.2.10', protocol_port: 8080 }, { address: '192.0.2.11', protocol_port: 8080 }] };
  const trees = await Promise.all([createTree(deployment, tree), createTree(deployment, tree)]);
  const [a, b] = await Promise.all(trees.map(async (t) => ({ tree: t, amphora: await allocatedAmphora(t.loadBalancerId) })));
  // Nothing has heartbeated yet: no health row, the statuses a new tree has.
  expect(await db.amphoraHealth.count({ where: { amphoraId: { in: [a!.amphora.id, b!.amphora.id] } } })).toBe(0);
  expect(await statuses(a!)).toEqual({ loadBalancer: 'OFFLINE', listener: 'OFFLINE', pool: 'OFFLINE', members: ['NO_MONITOR', 'NO_MONITOR'] });

  // Worker 0's health manager: everything up.
  await beatTo(0, report(a!, 1, 'UP'));
  expect(await statuses(a!)).toEqual({ loadBalancer: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', members: ['ONLINE', 'ONLINE'] });
  // Worker 1's: the same amphora's next heartbeat, every member down (haproxy's backend DOWN).
  await beatTo(1, report(a!, 2, 'DOWN'));
  expect(await statuses(a!)).toEqual({ loadBalancer: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR'] });
  // From now on it heartbeats as an agent does, to the two health managers in turn, until the tests
  // below stop it (it is watched now: silent for HEARTBEAT_TIMEOUT, it would be failed over).
  agentOf(a!);
  // Another amphora's first heartbeats, to worker 1 then worker 0.
  await beatTo(1, report(b!, 1, 'UP'));
  await beatTo(0, report(b!, 2, 'DOWN'));
  expect(await statuses(b!)).toEqual({ loadBalancer: 'ERROR', listener: 'ONLINE', pool: 'ERROR', members: ['ERROR', 'ERROR'] });
  agentOf(b!);

  [kept, silenced] = [a!, b!];
  for (const amp of [kept, silenced]) {
    await eventually(async () => ((await statuses(amp)).pool === 'ONLINE' ? true : undefined), 15_000, `${amp.amphora.id} reported up again`);
  }
});

it('finishes every flow on the other worker when one is SIGKILLed mid-flight', async () => {
  const earlier = new Set(nova.liveServers().map((s) => s.id));
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await api(apis[i % 2]!, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: `c${i}`, vip_subnet_id: VIP_SUBNET } });
    expect(res.status).toBe(201);
    ids.push(res.body.loadbalancer.id);
  }
  await sleep(1000);
  workers[0]!.kill('SIGKILL');
  for (const id of ids) {
    const lb = await eventually(async () => {
      const res = await api(apis[1]!, 'GET', `/v2/lbaas/loadbalancers/${id}`);
      return res.body?.loadbalancer?.provisioning_status?.startsWith('PENDING') ? undefined : res.body.loadbalancer;
    }, 300_000, `load balancer ${id} to settle`);
    expect([id, lb.provisioning_status]).toEqual([id, 'ACTIVE']);
  }
  // Each was built once: one allocated amphora per SINGLE load balancer, and Nova holds no server more
  // (beside the ones that existed before).
  const allocated: string[] = [];
  for (const id of ids) allocated.push((await allocatedAmphora(id)).compute_id);
  const added = () => nova.liveServers().filter((s) => !earlier.has(s.id));
  await eventually(async () => (added().length === ids.length ? true : undefined), 60_000, 'no leftover server');
  expect(added().map((s) => s.id).sort()).toEqual(allocated.sort());
});

it('with a worker SIGKILLed, heartbeats to the survivor keep their amphora in service; one whose heartbeats stop is failed over, once', async () => {
  if (!kept || !silenced) throw new Error('needs the heartbeating amphorae of the first test');
  const dead = workers[0]!;
  if (dead.exitCode === null && dead.signalCode === null) {
    dead.kill('SIGKILL'); // when run alone (-t), not after the SIGKILL test
    await new Promise((r) => dead.once('exit', r));
  }
  expect(dead.signalCode).toBe('SIGKILL');
  const since = Date.now();
  agents.find((a) => a.amphoraId === silenced!.amphora.id)!.stop();

  // The silent amphora: stale after HEARTBEAT_TIMEOUT, failed over by the monitor (now on the survivor).
  const replacement = await eventually(async () => {
    const lb = (await api(apis[1]!, 'GET', `/v2/lbaas/loadbalancers/${silenced!.tree.loadBalancerId}`)).body.loadbalancer;
    const { amphorae } = (await api(apis[1]!, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${silenced!.tree.loadBalancerId}`)).body;
    const live = amphorae.filter((a: { status: string }) => a.status === 'ALLOCATED');
    return lb.provisioning_status === 'ACTIVE' && live.length === 1 && live[0].id !== silenced!.amphora.id ? live[0] : undefined;
  }, 120_000, 'the failover of the silent amphora');
  expect((await db.amphora.findUniqueOrThrow({ where: { id: silenced.amphora.id } })).status).toBe('DELETED');
  const servers = () => nova.liveServers().map((s) => s.id);
  await eventually(async () => (servers().includes(silenced!.amphora.compute_id) ? undefined : true), 10_000, 'the silent amphora\'s server deleted');
  expect(servers()).toContain(replacement.compute_id);

  // Checks spanning more than a heartbeat timeout since: no failover more, of either.
  expect(await afterChecks(deployment, checksPastTimeout(deployment))).toEqual([]);
  expect(await executions(deployment, `amphora-${silenced.amphora.id}-failover`)).toBe(1);
  expect(await executions(deployment, `amphora-${kept.amphora.id}-failover`)).toBe(0);
  // The kept amphora's heartbeats, half of them lost to the dead worker, were written by the survivor.
  expect(await lastHeartbeat(kept.amphora.id)).toBeGreaterThan(since);
  expect(Date.now() - (await lastHeartbeat(kept.amphora.id))).toBeLessThan(config.health.heartbeatTimeoutSeconds * 1000);
  expect((await db.amphora.findUniqueOrThrow({ where: { id: kept.amphora.id } })).status).toBe('ALLOCATED');
  expect(await allocatedAmphora(kept.tree.loadBalancerId)).toMatchObject({ id: kept.amphora.id });
  expect((await api(apis[1]!, 'GET', `/v2/lbaas/loadbalancers/${kept.tree.loadBalancerId}`)).body.loadbalancer).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE' });
  expect(servers()).toContain(kept.amphora.compute_id);
});

it('runs one health monitor and one set of housekeeping schedules per deployment, whatever the number of workers', async () => {
  const ids = housekeepingIds(config);
  const running: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = "${ids.healthMonitor}" AND ExecutionStatus = "Running"` })) running.push(w.runId);
  expect(running).toHaveLength(1);
  const schedules: string[] = [];
  for await (const s of client.schedule.list()) schedules.push(s.scheduleId);
  expect(schedules.filter((s) => s.startsWith(TASK_QUEUE)).sort()).toEqual([ids.cleanup, ids.sparePool].sort());
});
