/**
 * A real Temporal server (go.temporal.io/server, every service in one process) on PostgreSQL, without
 * Docker: what temporal-compose.yml describes, built from Go modules and run here. The server and its
 * SQL tool are built once into the tools cache (like the CLI); the schema and visibility databases are
 * created and migrated with the server's own SQL tool and its versioned schema files; the config is
 * the server's development-postgres12 one with our ports, our database and the dynamic settings the
 * dev server gets (one task-queue partition, eager activities).
 *
 * `npm run cluster` runs one in the foreground; test/integration/cluster.test.ts starts one on free
 * ports with several worker and API processes of ours against it.
 */
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { Logger } from '../common/logger';
import { databaseName, ensureDatabase } from './database';
import { connectClient, registerSearchAttributes } from './temporal';
import { goInstall, isExecutable, onPath } from './temporal-cli';
import { namespaceReady, portOpen, stopChild } from './temporal-dev-server';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';
const run = promisify(execFile);

export interface ClusterOptions {
  /** Where the config and logs go. */
  stateDir: string;
  toolsDir: string;
  /** The PostgreSQL URL whose server and credentials hold Temporal's two databases. */
  databaseUrl: string;
  /** Temporal's own databases: `<prefix>` and `<prefix>_visibility`. */
  databasePrefix: string;
  namespace: string;
  /** The frontend's gRPC port; the other services' ports follow it (+1 .. +8), all below 32768 (the server stores membership ports as smallint). */
  port: number;
  startTimeoutMs?: number;
}

export interface Cluster {
  address: string;
  /** The server's process (what its CPU time and memory are read from). */
  pid: number | undefined;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The server and SQL tool binaries, built when missing; and the server module's schema folder. */
export async function ensureTemporalServer(toolsDir: string, log: Logger): Promise<{ server: string; sqlTool: string; schemaDir: string }> {
  const server = path.join(toolsDir, 'server');
  const sqlTool = path.join(toolsDir, 'sql');
  const go = await onPath('go');
  if (!go) throw new Error(`Go is needed to build the Temporal server (go install ${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION})`);
  if (!(await isExecutable(server)) || !(await isExecutable(sqlTool))) {
    await goInstall(go, [`${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], toolsDir, 'the Temporal server (about 15 minutes on 2 cores)', log);
  }
  const { stdout } = await run(go, ['mod', 'download', '-json', `${MODULE}@${TEMPORAL_SERVER_VERSION}`]);
  const schemaDir = path.join((JSON.parse(stdout) as { Dir: string }).Dir, 'schema', 'postgresql', 'v12');
  await access(schemaDir);
  return { server, sqlTool, schemaDir };
}

/** Creates and migrates one of Temporal's databases (idempotent: update-schema applies what is new). */
async function setupSchema(sqlTool: string, db: URL, name: string, versioned: string): Promise<void> {
  const base = ['--plugin', 'postgres12', '--ep', db.hostname, '-p', db.port || '5432', '-u', decodeURIComponent(db.username || 'postgres'), '--db', name];
  if (db.password) base.push('--pw', decodeURIComponent(db.password));
  await run(sqlTool, [...base, 'setup-schema', '-v', '0.0']).catch((err: { stderr?: string }) => {
    // A database set up before: its schema_version table is there already.
    if (!/already exists/i.test(err.stderr ?? '')) throw err;
  });
  await run(sqlTool, [...base, 'update-schema', '-d', versioned]);
}

function serverConfig(opts: ClusterOptions, db: URL, dynamicConfig: string) {
  const store = (name: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: name,
      connectAddr: `${db.hostname}:${db.port || '5432'}`,
      connectProtocol: 'tcp',
      user: decodeURIComponent(db.username || 'postgres'),
      password: decodeURIComponent(db.password),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpc: number, membership: number, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort: grpc, membershipPort: membership, bindOnLocalHost: true, ...extra } });
  const p = opts.port;
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: store(opts.databasePrefix, 20), visibility: store(`${opts.databasePrefix}_visibility`, 4) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(p, p + 1, { httpPort: p + 2 }),
      history: service(p + 3, p + 4),
      matching: service(p + 5, p + 6),
      worker: service(p + 7, p + 8),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${p}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfig, pollInterval: '10s' },
  };
}

/** The dev server's settings (platform/temporal-dev-server.ts): one partition per queue, eager activities. */
const DYNAMIC_CONFIG = {
  'matching.numTaskqueueReadPartitions': [{ value: 1 }],
  'matching.numTaskqueueWritePartitions': [{ value: 1 }],
  'system.enableActivityEagerExecution': [{ value: true }],
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
};

export async function startCluster(opts: ClusterOptions, log: Logger): Promise<Cluster> {
  const { server, sqlTool, schemaDir } = await ensureTemporalServer(opts.toolsDir, log);
  const db = new URL(opts.databaseUrl);
  for (const [name, kind] of [[opts.databasePrefix, 'temporal'], [`${opts.databasePrefix}_visibility`, 'visibility']] as const) {
    const url = new URL(db);
    url.pathname = `/${name}`;
    await ensureDatabase(url.toString());
    await setupSchema(sqlTool, db, databaseName(url.toString()), path.join(schemaDir, kind, 'versioned'));
  }

  const configDir = path.join(opts.stateDir, 'config');
  await mkdir(configDir, { recursive: true });
  const dynamicConfig = path.join(configDir, 'dynamicconfig.yaml');
  await writeFile(dynamicConfig, stringify(DYNAMIC_CONFIG));
  await writeFile(path.join(configDir, 'development.yaml'), stringify(serverConfig(opts, db, dynamicConfig)));

  const child = spawn(server, ['--root', opts.stateDir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-6000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(`The Temporal server exited (code ${exited}) while starting:\n${output}`);
      // A new namespace reaches every service's cache a few seconds after it answers describe: until
      // then the operator service does not know it, so the search attributes are what says ready.
      if ((await portOpen('127.0.0.1', opts.port)) && (await ensureNamespace(address, opts.namespace)) && (await searchAttributesRegistered(address, opts.namespace, log))) break;
      if (Date.now() > deadline) throw new Error(`The Temporal server did not answer on ${address} in time:\n${output}`);
      await sleep(500);
    }
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  log.info({ address, databases: [opts.databasePrefix, `${opts.databasePrefix}_visibility`] }, 'Temporal server (PostgreSQL) ready');
  return { address, pid: child.pid, stop: (signal) => stopChild(child, signal) };
}

async function searchAttributesRegistered(address: string, namespace: string, log: Logger): Promise<boolean> {
  const client = await connectClient(address, namespace);
  try {
    await registerSearchAttributes(client, namespace, log);
    return true;
  } catch {
    return false;
  } finally {
    await client.connection.close();
  }
}

/** Registers the namespace once the frontend answers (a server's first start has none). */
async function ensureNamespace(address: string, namespace: string): Promise<boolean> {
  if (await namespaceReady(address, namespace)) return true;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2000 });
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('72h') });
  } catch {
    // Not ready yet, or registered meanwhile: the next round tells.
  } finally {
    await connection?.close();
  }
  return false;
}
