/**
 * Killing the whole process (SIGKILL: no clean shutdown) and starting it again (`npm start`'s
 * bin/start.ts, as an operator would):
 * - a create flow interrupted by it completes: the workflow lives in Temporal, the activities are
 *   idempotent, and the no-op compute driver keeps its instances in its state file as a real compute
 *   service would;
 * - simulated amphorae (NOOP_HEARTBEATS) go on heartbeating and none is failed over: the no-op amphora
 *   driver keeps what it was pushed beside NOOP_STATE_FILE, as real amphorae keep theirs while the
 *   control plane restarts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createPrismaClient } from '../../db/prisma';
import { dropDatabase, ensureDatabase } from '../../platform/database';
import { migrate } from '../../platform/migrate';
import { eventually, PROJECT_ID } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(180_000);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function startApp(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** A database of its own: the processes run the health monitor and the housekeeping schedules, which must not act on what other test files left behind (nor they on this). */
async function ownDatabase(suffix: string): Promise<string> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_${suffix}`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
  return databaseUrl;
}

async function kill(app: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (app.exitCode !== null || app.signalCode !== null) return;
  const exited = new Promise((r) => app.once('exit', r));
  app.kill(signal);
  await exited;
}

async function createLoadBalancer(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/lbaas/loadbalancers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-project-id': PROJECT_ID },
    body: JSON.stringify({ loadbalancer: { vip_subnet_id: VIP_SUBNET } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { loadbalancer: { id: string } }).loadbalancer.id;
}

const apiReady = (port: number) =>
  eventually(() => fetch(`http://127.0.0.1:${port}/v2/lbaas/loadbalancers`).then((r) => (r.ok ? true : undefined), () => undefined), 60_000, 'the API');

it('a create flow interrupted by SIGKILL completes after a restart; the no-op amphorae send no heartbeats by default', async () => {
  const databaseUrl = await ownDatabase('restart');
  const db = createPrismaClient(databaseUrl, 2);
  const port = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    API_BIND_PORT: String(port),
    HEALTH_MANAGER_BIND_PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: `restart-${port}`,
    NOOP_STATE_FILE: path.join(await mkdtemp(path.join(os.tmpdir(), 'noop-')), 'compute.json'),
    NOOP_BUILD_DELAY_MS: '4000',
    AMP_ACTIVE_WAIT_SEC: '0.2',
    HEARTBEAT_INTERVAL: '0.5',
  };

  let app = startApp(env);
  try {
    await apiReady(port);
    const id = await createLoadBalancer(port);

    // The instance is built and booting: the flow is inside its wait step.
    await eventually(async () => (await db.amphora.findFirst({ where: { loadBalancerId: id, computeId: { not: null } } })) ?? undefined);
    await kill(app, 'SIGKILL');
    expect((await db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('PENDING_CREATE');

    app = startApp(env);
    await eventually(
      async () => ((await db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus === 'ACTIVE' ? true : undefined),
      90_000,
      'the load balancer to become ACTIVE after the restart',
    );
    const amphorae = await db.amphora.findMany({ where: { loadBalancerId: id } });
    expect(amphorae.map((a) => a.status)).toEqual(['ALLOCATED']);

    // As Octavia's no-op driver: no heartbeat in four intervals, so nothing reports the load balancer.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await db.amphoraHealth.count({ where: { amphoraId: amphorae[0]!.id } })).toBe(0);
    expect((await db.loadBalancer.findUniqueOrThrow({ where: { id } })).operatingStatus).toBe('OFFLINE');
  } finally {
    await kill(app, 'SIGTERM');
    await db.$disconnect();
    await dropDatabase(databaseUrl);
  }
});

it('a restart fails no heartbeating amphora over: the simulated amphorae keep what they were pushed and heartbeat on', async () => {
  const databaseUrl = await ownDatabase('restart_heartbeats');
  const db = createPrismaClient(databaseUrl, 2);
  const port = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    API_BIND_PORT: String(port),
    HEALTH_MANAGER_BIND_PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: `restart-hb-${port}`,
    NOOP_STATE_FILE: path.join(await mkdtemp(path.join(os.tmpdir(), 'noop-')), 'compute.json'),
    NOOP_HEARTBEATS: 'true',
    HEARTBEAT_KEY: 'restart-test-key',
    HEARTBEAT_INTERVAL: '0.5',
    // Longer than the process takes to come back (it bundles the workflows), shorter than the waits below.
    HEARTBEAT_TIMEOUT: '45',
    HEALTH_CHECK_INTERVAL: '0.5',
    AMP_ACTIVE_WAIT_SEC: '0.2',
  };

  let app = startApp(env);
  try {
    await apiReady(port);
    const id = await createLoadBalancer(port);
    const amphora = await eventually(
      async () => (await db.amphora.findFirst({ where: { loadBalancerId: id, status: 'ALLOCATED' } })) ?? undefined,
      30_000,
      'the load balancer ACTIVE on its amphora',
    );
    // Heartbeating (opted in): the health manager records them and the load balancer turns ONLINE.
    await eventually(
      async () => ((await db.loadBalancer.findUniqueOrThrow({ where: { id } })).operatingStatus === 'ONLINE' ? true : undefined),
      15_000,
      'heartbeats making the load balancer ONLINE',
    );

    await kill(app, 'SIGKILL');
    const restartedAt = new Date();
    app = startApp(env);
    await apiReady(port);
    // The restarted process's simulation heartbeats for the amphora it was pushed before the restart.
    await eventually(
      async () => {
        const health = await db.amphoraHealth.findUnique({ where: { amphoraId: amphora.id } });
        return health && health.lastUpdate > restartedAt ? true : undefined;
      },
      30_000,
      'a heartbeat after the restart',
    );
    // Several health checks later: nothing was claimed or failed over.
    await new Promise((r) => setTimeout(r, 3000));
    const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id } });
    expect([lb.provisioningStatus, lb.operatingStatus]).toEqual(['ACTIVE', 'ONLINE']);
    const amphorae = await db.amphora.findMany({ where: { loadBalancerId: id } });
    expect(amphorae.map((a) => [a.id, a.status])).toEqual([[amphora.id, 'ALLOCATED']]);
    expect((await db.amphoraHealth.findUniqueOrThrow({ where: { amphoraId: amphora.id } })).busy).toBe(false);
  } finally {
    await kill(app, 'SIGTERM');
    await db.$disconnect();
    await dropDatabase(databaseUrl);
  }
});
