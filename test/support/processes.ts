/**
 * Our own entry points as child processes, the way a deployment runs them (`node --import tsx
 * bin/<entry>.ts`, one process each): for the cluster test and the benchmark, which need the API and
 * the workers apart from the process that drives them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { projectRoot } from '../../config';
import { eventually } from './system';

export interface OurProcess {
  child: ChildProcess;
  /** What it wrote last (stdout and stderr, the last 4000 characters): what to show when it dies. */
  output(): string;
  /** The log lines at warn or above it wrote (pino's JSON lines: level >= 40), counted by message (ids as <id>). */
  warnings(): Map<string, number>;
  /** Whether it has logged a line with this message (at its LOG_LEVEL), e.g. 'Worker running'. */
  said(msg: string): boolean;
}

/** Spawns `entry` (a path from the project root, e.g. bin/worker.ts) with the environment plus `env`. */
export function spawnOurs(entry: string, env: Record<string, string>): OurProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const warnings = new Map<string, number>();
  const messages = new Set<string>();
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  // The messages line by line (a chunk may end mid-line): pino writes them to stdout.
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    collect(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
      if (msg !== undefined) messages.add(msg);
      if (Number(/^\{"level":(\d+)/.exec(line)?.[1]) >= 40) {
        // Ids replaced, so one kind of warning is counted once however many flows it names.
        const what = (msg ?? line.slice(0, 120)).replace(/[0-9a-f]{8}-[0-9a-f-]{27}[0-9a-f:-]*/gi, '<id>');
        warnings.set(what, (warnings.get(what) ?? 0) + 1);
      }
    }
  });
  child.stderr!.on('data', collect);
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`${path.basename(entry)} (pid ${child.pid}) exited ${code} ${signal ?? ''}: ${output}`);
  });
  return { child, output: () => output, warnings: () => warnings, said: (msg) => messages.has(msg) };
}

/** Waits until every URL answers 200 (the API listens: its version document). */
export function httpAnswers(urls: string[], timeoutMs: number, what: string): Promise<true> {
  return eventually(
    async () => ((await Promise.all(urls.map((u) => fetch(u).then((r) => r.ok, () => false)))).every(Boolean) ? true : undefined),
    timeoutMs,
    what,
  );
}

/** Waits until `n` workers poll the task queue's workflow tasks (each bundles the workflows as it starts). */
export function workersPolling(client: Client, taskQueue: string, n: number, timeoutMs: number): Promise<true> {
  return eventually(async () => {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (pollers ?? []).length >= n ? true : undefined;
  }, timeoutMs, `${n} worker(s) polling ${taskQueue}`);
}
