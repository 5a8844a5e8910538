/**
 * The system the benchmark drives, started as production runs it, or one already running:
 *
 *   BENCH_SHAPE=split (default)   the API and the worker(s) as separate processes (`bin/api.ts`,
 *                                 `bin/worker.ts`), after the database is created and migrated
 *   BENCH_SHAPE=single            one process holding both (what `startSystem` makes by default)
 *   BENCH_TEMPORAL=dev (default)  a Temporal dev server, in memory, on a free port
 *   BENCH_TEMPORAL=cluster        the real Temporal server on PostgreSQL (platform/temporal-cluster.ts)
 *   BENCH_WORKERS=1|2..           worker processes (split shape)
 *   BENCH_COMPUTE=noop|nova       the no-op compute driver (default with one worker), or the Nova
 *                                 emulator in the bench's process as the one compute service several
 *                                 workers share (the no-op driver's instances live in one process)
 *   BENCH_API_URL=http://...      drive a running system instead (BENCH_PIDS=api:<pid>,worker:<pid>,..
 *                                 to read their CPU time and memory)
 *
 * Own systems get a fresh database on DATABASE_URL's server, the no-op network and amphora drivers,
 * LOG_LEVEL=warn, and are torn down (database dropped) at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../../common/logger';
import { freeLoopbackPort } from '../../common/net';
import { loadConfig } from '../../config';
import { databaseName, databaseUrlFor, dropDatabase, ensureDatabase } from '../../platform/database';
import { migrate } from '../../platform/migrate';
import { connectClient } from '../../platform/temporal';
import { ensureTemporalCli } from '../../platform/temporal-cli';
import { startDevServer, stopChild } from '../../platform/temporal-dev-server';
import { startNovaEmulator } from '../emulators/nova';
import { novaComputeEnv, startScratchCluster } from '../support/cluster';
import { httpAnswers, spawnOurs, workersPolling, type OurProcess } from '../support/processes';

export interface BenchProcess {
  /** api, worker-1, .., single (API and worker in one), temporal. */
  role: string;
  pid: number;
}

export interface BenchSystem {
  apiUrl: string;
  /** What was run, for the report: shape, Temporal, workers, compute. */
  setup: Record<string, string | number>;
  processes: BenchProcess[];
  /** The PostgreSQL URL and databases whose backends' CPU time is the system's (own systems only). */
  postgres?: { url: string; databases: string[] };
  /** Log lines at warn or above our processes wrote, by process and message (own systems only). */
  warnings(): Record<string, Record<string, number>>;
  /** The last lines each of our processes wrote (own systems only): what to show when a request failed. */
  output(): string;
  stop(): Promise<void>;
}

const env = process.env;

/** Undo steps, run in reverse on stop (or when a start fails half-way). */
class Teardown {
  private readonly steps: Array<() => Promise<void>> = [];
  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length) await this.steps.pop()!().catch((err: Error) => console.error(`[bench] teardown: ${err.message}`));
  }
}

export function startBenchSystem(): Promise<BenchSystem> {
  return env.BENCH_API_URL ? Promise.resolve(runningSystem(env.BENCH_API_URL)) : ownSystem();
}

function runningSystem(apiUrl: string): BenchSystem {
  const processes = (env.BENCH_PIDS ?? '')
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [role, pid] = entry.split(':');
      if (!role || !Number.isInteger(Number(pid))) throw new Error(`BENCH_PIDS: "${entry}" is not role:pid`);
      return { role, pid: Number(pid) };
    });
  return { apiUrl, setup: { system: `running at ${apiUrl}` }, processes, warnings: () => ({}), output: () => '', stop: async () => undefined };
}

async function ownSystem(): Promise<BenchSystem> {
  const shape = env.BENCH_SHAPE ?? 'split';
  const temporalKind = env.BENCH_TEMPORAL ?? 'dev';
  const workers = shape === 'single' ? 1 : Number(env.BENCH_WORKERS ?? 1);
  const compute = env.BENCH_COMPUTE ?? (workers > 1 ? 'nova' : 'noop');
  if (!['split', 'single'].includes(shape) || !['dev', 'cluster'].includes(temporalKind) || !['noop', 'nova'].includes(compute) || !(workers >= 1)) {
    throw new Error('BENCH_SHAPE is split|single, BENCH_TEMPORAL dev|cluster, BENCH_COMPUTE noop|nova, BENCH_WORKERS >= 1');
  }
  if (compute === 'noop' && workers > 1) throw new Error('Several workers need a compute service they share: BENCH_COMPUTE=nova');

  const config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
  const teardown = new Teardown();
  try {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'octavia-bench-'));
    teardown.add(() => rm(tmp, { recursive: true, force: true }));
    const databaseUrl = databaseUrlFor(config.database.url, `octavia_bench_${Date.now()}_${process.pid}`);
    await ensureDatabase(databaseUrl);
    teardown.add(() => dropDatabase(databaseUrl));
    await migrate(databaseUrl);
    const databases = [databaseName(databaseUrl)];

    let address: string;
    let temporalPid: number | undefined;
    if (temporalKind === 'cluster') {
      const cluster = await startScratchCluster(config, databaseUrl, logger);
      teardown.add(() => cluster.stop());
      ({ address, pid: temporalPid } = cluster);
      databases.push(...cluster.databases);
    } else {
      const cli = await ensureTemporalCli(config.temporal, logger);
      const dev = await startDevServer({ cli, ip: '127.0.0.1', port: await freeLoopbackPort(), namespace: config.temporal.namespace }, logger);
      teardown.add(() => dev.stop('SIGKILL'));
      ({ address, pid: temporalPid } = dev);
    }

    let computeEnv: Record<string, string> = { COMPUTE_DRIVER: 'noop' };
    if (compute === 'nova') {
      const nova = await startNovaEmulator({ bootMs: 0, deleteMs: 0 });
      teardown.add(() => nova.stop());
      computeEnv = { ...novaComputeEnv(nova), AMP_ACTIVE_WAIT_SEC: '0.05' };
    }
    const port = await freeLoopbackPort();
    const common = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: address,
      DATA_PLANE: '',
      NETWORK_DRIVER: 'noop',
      AMPHORA_DRIVER: 'noop',
      // The no-op drivers' state in memory: each process keeps its own, and a file would be shared by all.
      NOOP_STATE_FILE: '',
      ...computeEnv,
      LOG_LEVEL: 'warn',
      LOG_PRETTY: 'false',
      API_BIND_PORT: String(port),
      HEALTH_MANAGER_BIND_PORT: '0',
      // One key for every worker (as a deployment has), kept nowhere.
      HEARTBEAT_KEY: randomBytes(32).toString('hex'),
      CERT_STATE_DIR: path.join(tmp, 'pki'),
      LOCAL_STATE_DIR: path.join(tmp, 'local-cloud'),
    };
    const ours: Array<{ role: string; process: OurProcess }> = [];
    const spawn = (role: string, entry: string) => {
      const p = spawnOurs(entry, common);
      ours.push({ role, process: p });
      teardown.add(() => stopChild(p.child));
    };
    if (shape === 'single') spawn('single', 'test/bench/single-process.ts');
    else {
      for (let i = 1; i <= workers; i++) spawn(`worker-${i}`, 'bin/worker.ts');
      spawn('api', 'bin/api.ts');
    }

    const apiUrl = `http://127.0.0.1:${port}`;
    await httpAnswers([apiUrl], 120_000, 'the API');
    const client = await connectClient(address, config.temporal.namespace);
    try {
      await workersPolling(client, config.temporal.taskQueue, workers, 180_000);
    } finally {
      await client.connection.close();
    }
    for (const { role, process: p } of ours) if (p.child.exitCode !== null) throw new Error(`${role} exited while starting: ${p.output()}`);

    return {
      apiUrl,
      setup: { shape, temporal: temporalKind === 'cluster' ? 'cluster (PostgreSQL)' : 'dev server (in memory)', workers, compute },
      processes: [...ours.map(({ role, process: p }) => ({ role, pid: p.child.pid! })), ...(temporalPid ? [{ role: 'temporal', pid: temporalPid }] : [])],
      postgres: { url: databaseUrlFor(databaseUrl, 'postgres'), databases },
      warnings: () => Object.fromEntries(ours.filter((o) => o.process.warnings().size).map((o) => [o.role, Object.fromEntries(o.process.warnings())])),
      output: () => ours.map((o) => `--- ${o.role}:\n${o.process.output()}`).join('\n'),
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}
