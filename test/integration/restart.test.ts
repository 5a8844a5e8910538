/**
 * Killing the whole process (SIGKILL: no clean shutdown) in the middle of a create flow and starting it
 * again completes that flow: the workflow lives in Temporal, the activities are idempotent, and the
 * no-op compute driver keeps its instances in its state file as a real compute service would.
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

it('a create flow interrupted by SIGKILL completes after a restart', async () => {
  // Its own database: the processes it starts run the health monitor and the housekeeping schedules,
  // which must not act on what other test files left behind (nor they on this).
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_restart`;
  const databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
  const db = createPrismaClient(databaseUrl, 2);
  const port = await freePort();
  const env = {
    DATABASE_URL: databaseUrl,
    API_BIND_PORT: String(port),
    TEMPORAL_TASK_QUEUE: `restart-${port}`,
    NOOP_STATE_FILE: path.join(await mkdtemp(path.join(os.tmpdir(), 'noop-')), 'compute.json'),
    NOOP_BUILD_DELAY_MS: '4000',
    AMP_ACTIVE_WAIT_SEC: '0.2',
  };
  const api = `http://127.0.0.1:${port}/v2/lbaas/loadbalancers`;
  const ready = () =>
    eventually(() => fetch(api).then((r) => (r.ok ? true : undefined), () => undefined), 60_000, 'the API');

  let app = startApp(env);
  try {
    await ready();
    const res = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-project-id': PROJECT_ID },
      body: JSON.stringify({ loadbalancer: { vip_subnet_id: '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11' } }),
    });
    expect(res.status).toBe(201);
    const { id } = ((await res.json()) as { loadbalancer: { id: string } }).loadbalancer;

    // The instance is built and booting: the flow is inside its wait step.
    await eventually(async () => (await db.amphora.findFirst({ where: { loadBalancerId: id, computeId: { not: null } } })) ?? undefined);
    app.kill('SIGKILL');
    await new Promise((r) => app.once('exit', r));
    expect((await db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('PENDING_CREATE');

    app = startApp(env);
    await eventually(
      async () => ((await db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus === 'ACTIVE' ? true : undefined),
      90_000,
      'the load balancer to become ACTIVE after the restart',
    );
    const amphorae = await db.amphora.findMany({ where: { loadBalancerId: id } });
    expect(amphorae.map((a) => a.status)).toEqual(['ALLOCATED']);
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => (app.exitCode !== null ? r(null) : app.once('exit', r)));
    await db.$disconnect();
    await dropDatabase(databaseUrl);
  }
});
