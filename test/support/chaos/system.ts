/**
 * The fault campaign's deployment, every part of which a fault can hit: a private PostgreSQL cluster
 * (restartable without touching the machine's), a Temporal dev server on a fixed port with a database
 * file (killed and started again on the same port and file), the Nova emulator as compute (its fault
 * controls), and our worker and API as separate processes (the worker SIGKILLed and started again).
 * Amphora and network drivers are the no-op ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { logger } from '../../../common/logger';
import { freeLoopbackPort } from '../../../common/net';
import { loadConfig } from '../../../config';
import { ensureDatabase } from '../../../platform/database';
import { migrate } from '../../../platform/migrate';
import { connectClient } from '../../../platform/temporal';
import { ensureTemporalCli } from '../../../platform/temporal-cli';
import { startDevServer, type DevServer } from '../../../platform/temporal-dev-server';
import { startNovaEmulator, type NovaEmulator } from '../../emulators/nova';
import { startPrivatePostgres } from '../postgres';
import { novaComputeEnv } from '../cluster';
import { httpAnswers, spawnOurs, workersPolling, type OurProcess } from '../processes';
import { PROJECT_ID, apiClient, type ApiResponse } from '../system';

/** How long a compute request may take in the campaign: a hang fault holds one longer. */
export const NOVA_TIMEOUT_SECONDS = 2;
/**
 * Consecutive compute failures that open the breaker (the driver's default is 5): a retried step makes
 * one request per attempt with exponential backoff, so a burst that opens it takes 1 + 2 + ... seconds.
 */
export const BREAKER_THRESHOLD = 3;
/** How long an instance takes to boot in the emulator: flows spend most of their time waiting for it. */
export const BOOT_MS = 1500;

export type ApiAnswer = ApiResponse;

export interface ChaosSystem {
  nova: NovaEmulator;
  /** A client of the campaign's Temporal server (reconnects by itself after a restart). */
  temporal: Client;
  /** fetch() against the API process, JSON in and out; `project` defaults to the tests' project. */
  api(method: string, path: string, body?: unknown, project?: string): Promise<ApiAnswer>;
  /** SIGKILL the worker and start a new one (not waiting for it to poll). */
  killWorker(): Promise<void>;
  restartPostgres(): Promise<void>;
  /** SIGKILL the Temporal server and start it again on the same port and database file. */
  restartTemporal(): Promise<void>;
  stop(): Promise<void>;
}

/** SIGKILLs one of our processes and waits until it is gone. */
async function killed(p: OurProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exit = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.kill('SIGKILL');
  await exit;
}

export async function startChaosSystem(): Promise<ChaosSystem> {
  const base = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const log = logger.child({ component: 'chaos' });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'octavia-chaos-'));
  const pg = await startPrivatePostgres();
  const databaseUrl = pg.url('octavia');
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  const cli = await ensureTemporalCli(base.temporal, log);
  const devServerOptions = { cli, ip: '127.0.0.1', port: await freeLoopbackPort(), namespace: base.temporal.namespace, dbFile: path.join(dir, 'temporal.sqlite') };
  let devServer: DevServer = await startDevServer(devServerOptions, log);
  const temporal = await connectClient(devServer.address, base.temporal.namespace);

  const nova = await startNovaEmulator({ bootMs: BOOT_MS, deleteMs: 100 });
  const common = {
    ...novaComputeEnv(nova),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_TASK_QUEUE: `chaos-${process.pid}`,
    TEMPORAL_METRICS_ADDRESS: '',
    AMP_ACTIVE_WAIT_SEC: '0.2',
    AMP_BOOT_TIMEOUT_SECONDS: '60',
    NOVA_REQUEST_TIMEOUT_SECONDS: String(NOVA_TIMEOUT_SECONDS),
    NOVA_CIRCUIT_BREAKER_THRESHOLD: String(BREAKER_THRESHOLD),
    NOVA_CIRCUIT_BREAKER_RESET_SECONDS: '2',
    NOOP_STATE_FILE: '',
    HEARTBEAT_KEY_FILE: '',
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'error',
    LOG_PRETTY: 'false',
  };
  const workerEnv = { ...common, HEALTH_MANAGER_BIND_PORT: String(await freeLoopbackPort()) };
  let worker: OurProcess = spawnOurs('bin/worker.ts', workerEnv);
  const apiPort = await freeLoopbackPort();
  const apiProcess = spawnOurs('bin/api.ts', { ...common, API_BIND_PORT: String(apiPort) });
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const client = apiClient(apiUrl);
  const api: ChaosSystem['api'] = (method, p, body, project = PROJECT_ID) => client(method, p, body, { 'x-project-id': project });
  // The API answers once it has connected to the database and Temporal; the worker polls once it has
  // started (the first trial's flow must not wait for it).
  await httpAnswers([apiUrl], 120_000, 'the API process');
  await workersPolling(temporal, common.TEMPORAL_TASK_QUEUE, 1, 120_000);

  return {
    nova,
    temporal,
    api,
    async killWorker() {
      await killed(worker);
      worker = spawnOurs('bin/worker.ts', workerEnv);
    },
    restartPostgres: () => pg.restart(),
    async restartTemporal() {
      await devServer.stop('SIGKILL');
      devServer = await startDevServer(devServerOptions, log);
    },
    async stop() {
      await Promise.all([killed(worker), killed(apiProcess)]);
      await temporal.connection.close();
      await devServer.stop('SIGKILL');
      await nova.stop();
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
