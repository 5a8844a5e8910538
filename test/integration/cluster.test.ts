/**
 * A deployment's shape, for real: a Temporal server on PostgreSQL (platform/temporal-cluster.ts, built
 * from go.temporal.io/server), two worker processes (`npm run worker`) and two API processes
 * (`npm run api`) of ours against it, one database and one compute service (the Nova emulator: the
 * no-op compute driver's instances live in one process, a cloud's in the cloud). A worker SIGKILLed
 * while flows run loses none:
 * the other finishes every one; the health monitor and the housekeeping schedules exist once per
 * deployment, not once per worker.
 */
import { type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { logger } from '../../common/logger';
import { freeLoopbackPort } from '../../common/net';
import { loadConfig } from '../../config';
import { housekeepingIds } from '../../platform/schedules';
import type { Cluster } from '../../platform/temporal-cluster';
import { startNovaEmulator, type NovaEmulator } from '../emulators/nova';
import { novaComputeEnv, startScratchCluster } from '../support/cluster';
import { VIP_SUBNET } from '../support/fixtures';
import { httpAnswers, spawnOurs, workersPolling } from '../support/processes';
import { PROJECT_ID, eventually } from '../support/system';

jest.setTimeout(300_000);
const TASK_QUEUE = `cluster-test-${process.pid}`;

let cluster: Cluster;
let nova: NovaEmulator;
let client: Client;
const processes: ChildProcess[] = [];
const apis: string[] = [];
let workers: ChildProcess[] = [];

function ours(entry: 'worker' | 'api', env: Record<string, string>): ChildProcess {
  const { child } = spawnOurs(`bin/${entry}.ts`, env);
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
  cluster = await startScratchCluster(config, process.env.DATABASE_URL!, logger);
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: config.temporal.namespace });
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
  };
  for (let i = 0; i < 2; i++) workers.push(ours('worker', { ...common, HEALTH_MANAGER_BIND_PORT: String(await freeLoopbackPort()) }));
  for (let i = 0; i < 2; i++) {
    const port = await freeLoopbackPort();
    ours('api', { ...common, API_BIND_PORT: String(port) });
    apis.push(`http://127.0.0.1:${port}`);
  }
  await httpAnswers(apis, 120_000, 'both API processes');
  // Both workers poll the queue (each bundles the workflows at start).
  await workersPolling(client, TASK_QUEUE, 2, 180_000);
}, 45 * 60_000);

afterAll(async () => {
  for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
  await client?.connection.close();
  await cluster?.stop();
  await nova?.stop();
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
