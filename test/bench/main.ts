/**
 * `npm run bench`: the control plane's speed as a client sees it (issue 12 part 1), over HTTP only,
 * on a system started as production runs it (test/bench/system.ts: shapes, Temporal, workers). Not a
 * test: it prints a table against the issue's targets and Octavia 11's figures, writes a JSON summary,
 * and exits 0 whether the targets are met or not (1 when it could not measure).
 *
 *   warm-up          3 full stacks made and deleted (every flow's code loaded)
 *   idle             BENCH_IDLE (20) LBs POST -> ACTIVE one at a time, then as many listeners on one
 *   create           BENCH_N (100) full stacks (LB, listener, pool, 2 members; each step waited ACTIVE), BENCH_C (20) in flight
 *   reads            BENCH_READS (2000) GET /v2/lbaas/loadbalancers, BENCH_C in flight, over those N;
 *                    as many GETs of one of them (what a waiting client polls: its cost per request)
 *   cascade delete   all N, BENCH_C in flight, until every GET is 404
 *   batch            one PUT /pools/{id}/members of BENCH_BATCH (1000) members -> ACTIVE
 *   scaling          the create at each N of BENCH_SCALING (10,100,1000; '' for none), then deleted
 *
 * Also the CPU seconds of every process per phase (/proc), and their peak resident memory (VmHWM).
 * BENCH_OUT: the JSON summary (default test/bench/results.json).
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BenchClient, POLL_ALONE_MS, POLL_CONCURRENT_MS, POLL_FRACTION, POLL_MAX_MS } from './client';
import { logger } from '../../common/logger';
import { BackendCpu, CpuLedger, loadAverage, residentMiB } from './measure';
import { printReport, rows, type Results } from './report';
import type { ReadsResult } from './scenarios';
import { batchMembers, cascadeDelete, fullStackCreate, idle, listPath, objectPath, reads, warmUp } from './scenarios';
import { startBenchSystem, type BenchSystem } from './system';

const num = (name: string, def: number) => Number(process.env[name] ?? def);
const N = num('BENCH_N', 100);
const C = num('BENCH_C', 20);
const READS = num('BENCH_READS', 2000);
const IDLE = num('BENCH_IDLE', 20);
const BATCH = num('BENCH_BATCH', 1000);
const SCALING = (process.env.BENCH_SCALING ?? '10,100,1000').split(',').filter(Boolean).map(Number);
const OUT = process.env.BENCH_OUT ?? path.join(__dirname, 'results.json');

logger.level = process.env.LOG_LEVEL ?? 'warn';
const say = (line: string) => console.log(`[bench] ${line}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Each process's resident memory (MiB), as /proc tells it now. */
const memory = (system: BenchSystem, which: 'VmHWM' | 'VmRSS') => Object.fromEntries(system.processes.map((p) => [p.role, residentMiB(p.pid, which)]));

/** The API and worker processes' peak memory together: what the issue's 400 MiB is about (the Temporal server is not ours). */
function oursPeakRss(system: BenchSystem): number | undefined {
  const ours = system.processes.filter((p) => p.role !== 'temporal').map((p) => residentMiB(p.pid));
  return ours.length && ours.every((m) => m !== undefined) ? ours.reduce((a, b) => a! + b!, 0) : undefined;
}

async function main() {
  const command = `${Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => `${k}=${v} `).join('')}npm run bench`;
  const loadAtStart = loadAverage();
  say(`${command} (load average ${loadAtStart.join(', ')}, ${os.cpus().length} cores)`);
  const system = await startBenchSystem();
  let backends: BackendCpu | undefined;
  const client = new BenchClient(system.apiUrl);
  const stop = async () => {
    await client.close().catch(() => undefined);
    await backends?.stop();
    await system.stop();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    say(`system: ${Object.entries(system.setup).map(([k, v]) => `${k} ${v}`).join(', ')}; ${system.processes.map((p) => `${p.role} pid ${p.pid}`).join(', ')}`);
    if (system.postgres) backends = await BackendCpu.start(system.postgres.url, system.postgres.databases);
    const ledger = new CpuLedger(system.processes, backends);
    const cpu: Record<string, Record<string, number>> = {};
    const memoryAt: Record<string, Record<string, number | undefined>> = { 'peak after start': memory(system, 'VmHWM') };
    const phase = async <T>(name: string, fn: () => Promise<T>, done: (v: T) => string): Promise<T> => {
      const { value, cpu: used } = await ledger.during(fn);
      cpu[name] = used;
      say(`${name}: ${done(value)}`);
      return value;
    };

    await phase('warm-up', () => warmUp(client), () => 'done');
    const idleRun = await phase('idle', () => idle(client, IDLE), ({ result }) => `LB median ${Math.round(result.lbActive.p50)} ms, listener median ${Math.round(result.childActive.p50)} ms`);
    await cascadeDelete(client, idleRun.lbs, C);
    const created = await phase('create', () => fullStackCreate(client, N, C, 'stack'), ({ result }) => `${seconds(result.wallMs)} wall, full-stack p50 ${seconds(result.fullStack.p50)}`);
    const readsDone = (r: ReadsResult) => `${r.requestsPerSecond.toFixed(0)} req/s, p99 ${Math.round(r.latency.p99)} ms`;
    const readRun = await phase('reads', () => reads(client, listPath, READS, C), readsDone);
    const readOne = await phase('reads of one LB', () => reads(client, objectPath(created.lbs[0]!), READS, C), readsDone);
    const deleted = await phase('cascade delete', () => cascadeDelete(client, created.lbs, C), (r) => `${seconds(r.wallMs)}`);
    const batch = await phase('batch', () => batchMembers(client, BATCH), (r) => `${seconds(r.activeMs)} to ACTIVE`);
    const peakRss = oursPeakRss(system);
    memoryAt[`peak after the N=${N} scenarios`] = memory(system, 'VmHWM');

    const scaling: Results['scaling'] = [];
    for (const n of SCALING) {
      const point = n === N ? { create: created.result, delete: deleted } : await phase(`scaling N=${n}`, async () => {
        const run = await fullStackCreate(client, n, C, `scale-${n}`);
        return { create: run.result, delete: await cascadeDelete(client, run.lbs, C) };
      }, (r) => `${Math.round(r.create.perLbMs)} ms per LB`);
      scaling.push({ n, c: C, perLbMs: point.create.perLbMs, wallMs: point.create.wallMs, fullStackP50Ms: point.create.fullStack.p50, deleteWallMs: point.delete.wallMs });
    }

    // What waiting cost: the create's polling GETs at the API CPU time one GET of a load balancer takes.
    const apiRole = system.processes.some((p) => p.role === 'single') ? 'single' : 'api';
    const cpuPerGet = (cpu['reads of one LB']![apiRole] ?? NaN) / READS;
    const polling = {
      gets: created.result.polls,
      perSecond: created.result.polls / (created.result.wallMs / 1000),
      apiCpuMsPerGet: cpuPerGet * 1000,
      shareOfApiCpu: (created.result.polls * cpuPerGet) / (cpu.create![apiRole] ?? NaN),
      // The system: every process but the bench's own.
      shareOfSystemCpu: (created.result.polls * cpuPerGet) / Object.entries(cpu.create!).reduce((sum, [role, s]) => (role === 'bench' ? sum : sum + s), 0),
    };
    const results: Results = { create: created.result, reads: readRun, readOne, cascadeDelete: deleted, idle: idleRun.result, batch, scaling, peakRssMiB: peakRss, polling };
    memoryAt['peak at the end'] = memory(system, 'VmHWM');
    memoryAt['resident at the end'] = memory(system, 'VmRSS');
    const loadAtEnd = loadAverage();
    console.log(`\n${printReport(results, cpu, memoryAt)}`);
    console.log(`\nload average ${loadAtStart.join(', ')} at the start, ${loadAtEnd.join(', ')} at the end; polling from ${POLL_ALONE_MS} ms (one in flight) or ${POLL_CONCURRENT_MS} ms (C in flight) to ${POLL_MAX_MS} ms (${client.polls} polling GETs)`);
    const warnings = system.warnings();
    for (const [role, byMessage] of Object.entries(warnings)) console.log(`${role} logged at warn or above: ${Object.entries(byMessage).map(([msg, n]) => `${n}× ${msg}`).join('; ')}`);
    const summary = {
      command,
      at: new Date().toISOString(),
      machine: { cores: os.cpus().length, loadAverage: { start: loadAtStart, end: loadAtEnd } },
      system: { ...system.setup, processes: system.processes.map((p) => p.role) },
      settings: { n: N, c: C, reads: READS, idle: IDLE, batch: BATCH, scaling: SCALING, pollMs: { alone: POLL_ALONE_MS, concurrent: POLL_CONCURRENT_MS, max: POLL_MAX_MS, fractionOfWait: POLL_FRACTION } },
      results,
      targets: rows(results),
      cpuSeconds: cpu,
      memoryMiB: memoryAt,
      polls: client.polls,
      warnings,
    };
    await writeFile(OUT, `${JSON.stringify(summary, null, 2)}\n`);
    say(`summary written to ${OUT}`);
  } catch (err) {
    console.error(`[bench] failed; what our processes logged last:\n${system.output()}`);
    throw err;
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
