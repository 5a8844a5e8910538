/**
 * A deployment's shape, for real: a Temporal server on PostgreSQL (platform/temporal-cluster.ts, built
 * from go.temporal.io/server), two worker processes (`npm run worker`) and two API processes
 * (`npm run api`) of ours against it, one database and one compute service (the Nova emulator: the
 * no-op compute driver's instances live in one process, a cloud's in the cloud). A worker SIGKILLed
 * while flows run loses none:
 * the other finishes every one; the health monitor and the housekeeping schedules exist once per
 * deployment, not once per worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { logger } from '../../common/logger';
import { freeLoopbackPort, tcpAccepts } from '../../common/net';
import { loadConfig, projectRoot } from '../../config';
import { databaseName } from '../../platform/database';
import { housekeepingIds } from '../../platform/schedules';
import { startCluster, type Cluster } from '../../platform/temporal-cluster';
import { startNovaEmulator, type NovaEmulator } from '../emulators/nova';
import { VIP_SUBNET } from '../support/fixtures';
import { PROJECT_ID, eventually } from '../support/system';

jest.setTimeout(300_000);
const TASK_QUEUE = `cluster-test-${process.pid}`;

let cluster: Cluster;
let nova: NovaEmulator;
let client: Client;
let stateDir: string;
const processes: ChildProcess[] = [];
const apis: string[] = [];
let workers: ChildProcess[] = [];

/**
 * Nine consecutive ports nobody listens on, for the server's services (frontend .. worker). Below
 * 32768: the server stores its membership ports in a PostgreSQL smallint.
 */
async function freePortRange(n: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const taken = await Promise.all(Array.from({ length: n }, (_, i) => tcpAccepts('127.0.0.1', base + i)));
    if (!taken.some(Boolean)) return base;
  }
}

function ours(entry: 'worker' | 'api', env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bin', `${entry}.ts`)], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`${entry} exited ${code} ${signal ?? ''}: ${stderr}`);
  });
  processes.push(child);
  return child;
}

const api = async (base: string, method: string, p: string, body?: unknown) => {
  const res = await fetch(base + p, { method, headers: { 'x-project-id': PROJECT_ID, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

// The first run on a machine builds the server (.ci/run builds it before the tests: about 15 minutes).
beforeAll(async () => {
  const config = loadConfig(process.env);
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-cluster-'));
  cluster = await startCluster({
    stateDir,
    toolsDir: config.temporal.toolsDir,
    databaseUrl: process.env.DATABASE_URL!,
    databasePrefix: `${databaseName(process.env.DATABASE_URL!)}_t`.slice(0, 50),
    namespace: config.temporal.namespace,
    port: await freePortRange(9),
  }, logger);
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: config.temporal.namespace });
  // Servers boot for a while, so flows are mid-flight (in the boot wait) when a worker dies.
  nova = await startNovaEmulator({ bootMs: 3000, deleteMs: 50 });
  const c = nova.credentials;
  const common = {
    COMPUTE_DRIVER: 'nova',
    OS_AUTH_URL: nova.authUrl,
    OS_USERNAME: c.username,
    OS_PASSWORD: c.password,
    OS_PROJECT_NAME: c.projectName,
    OS_USER_DOMAIN_NAME: c.userDomainName,
    OS_PROJECT_DOMAIN_NAME: c.projectDomainName,
    OS_REGION_NAME: c.regionName,
    AMP_BOOT_NETWORK_LIST: nova.seed.mgmtNetworkId,
    AMP_FLAVOR_ID: nova.seed.amphoraFlavorId,
    AMP_IMAGE_ID: nova.seed.amphoraImageId,
    AMP_ACTIVE_WAIT_SEC: '0.2',
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    TEMPORAL_METRICS_ADDRESS: '',
    NOOP_STATE_FILE: '',
    LOG_LEVEL: 'warn',
  };
  for (let i = 0; i < 2; i++) workers.push(ours('worker', { ...common, HEALTH_MANAGER_BIND_PORT: String(await freeLoopbackPort()) }));
  for (let i = 0; i < 2; i++) {
    const port = await freeLoopbackPort();
    ours('api', { ...common, API_BIND_PORT: String(port) });
    apis.push(`http://127.0.0.1:${port}`);
  }
  await eventually(async () => ((await Promise.all(apis.map((a) => fetch(a).then((r) => r.ok, () => false)))).every(Boolean) ? true : undefined), 120_000, 'both API processes');
  // Both workers poll the queue (each bundles the workflows at start).
  await eventually(async () => {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: TASK_QUEUE },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (pollers ?? []).length >= 2 ? true : undefined;
  }, 180_000, 'two workers polling');
}, 45 * 60_000);

afterAll(async () => {
  for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
  await client?.connection.close();
  await cluster?.stop();
  await nova?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

it('finishes every flow on the other worker when one is SIGKILLed mid-flight', async () => {
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
  // Each was built once: one allocated amphora per SINGLE load balancer, and Nova holds no server more.
  const allocated: string[] = [];
  for (const id of ids) {
    const { amphorae } = (await api(apis[0]!, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${id}`)).body;
    const live = amphorae.filter((a: { status: string }) => a.status === 'ALLOCATED');
    expect(live).toHaveLength(1);
    allocated.push(live[0].compute_id);
  }
  await eventually(async () => (nova.liveServers().length === ids.length ? true : undefined), 60_000, 'no leftover server');
  expect(nova.liveServers().map((s) => s.id).sort()).toEqual(allocated.sort());
});

it('runs one health monitor and one set of housekeeping schedules per deployment, whatever the number of workers', async () => {
  const ids = housekeepingIds(loadConfig({ ...process.env, TEMPORAL_TASK_QUEUE: TASK_QUEUE }));
  const running: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = "${ids.healthMonitor}" AND ExecutionStatus = "Running"` })) running.push(w.runId);
  expect(running).toHaveLength(1);
  const schedules: string[] = [];
  for await (const s of client.schedule.list()) schedules.push(s.scheduleId);
  expect(schedules.filter((s) => s.startsWith(TASK_QUEUE)).sort()).toEqual([ids.cleanup, ids.sparePool].sort());
});
