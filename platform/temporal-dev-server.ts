/**
 * The local Temporal dev server (`temporal server start-dev`): what `npm start` and the tests run when
 * no TEMPORAL_ADDRESS is given. It registers our search attributes at start (idempotent) and, with a
 * database file, keeps workflows across restarts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from '../common/logger';
import { allSearchAttributes } from '../common/search-attributes';

export interface DevServerOptions {
  cli: string;
  ip: string;
  port: number;
  namespace: string;
  /** undefined: no Web UI. */
  uiPort?: number;
  /** undefined: in memory (tests). */
  dbFile?: string;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** The server's process (what its CPU time and memory are read from). */
  pid: number | undefined;
  /** SIGTERM (clean) by default; an in-memory test server may simply be killed. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const searchAttributeType: Record<string, string> = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime' };

export async function startDevServer(opts: DevServerOptions, log: Logger): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', opts.ip, '--port', String(opts.port), '--namespace', opts.namespace, '--log-level', 'warn'];
  for (const key of allSearchAttributes) args.push('--search-attribute', `${key.name}=${searchAttributeType[key.type]}`);
  // One partition per task queue: with the default four, a task often lands on a partition with no
  // waiting poller and is forwarded, adding ~40 ms to every workflow and activity task. One worker
  // process needs no partitioning (a production cluster sets this per queue, see README).
  for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
    args.push('--dynamic-config-value', `${key}=1`);
  }
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  if (opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort), '--ui-ip', opts.ip);
  if (opts.dbFile) {
    await mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }

  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    for (const line of chunk.toString().split('\n').filter(Boolean)) log.debug({ component: 'temporal-dev-server' }, line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const address = `${opts.ip}:${opts.port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`The Temporal dev server exited (code ${exited}) while starting:\n${output}`);
    }
    if ((await portOpen(opts.ip, opts.port)) && (await namespaceReady(address, opts.namespace))) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`The Temporal dev server did not answer on ${address} in time:\n${output}`);
    }
    await sleep(250);
  }
  const uiUrl = opts.uiPort === undefined ? undefined : `http://${opts.ip}:${opts.uiPort}`;
  log.info({ address, uiUrl, dbFile: opts.dbFile ?? '(in memory)' }, 'Temporal dev server ready');
  return { address, uiUrl, pid: child.pid, stop: (signal) => stopChild(child, signal) };
}

/**
 * A plain TCP probe first: a gRPC connection attempt against a closed port leaves a reconnecting
 * channel behind for seconds, which would keep the process alive.
 */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function namespaceReady(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const killed = await Promise.race([exited.then(() => true), sleep(10_000, undefined, { ref: false }).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
