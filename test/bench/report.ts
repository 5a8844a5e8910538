/**
 * The benchmark's table: each figure next to issue 12's target and the Octavia 11 reference (no-op
 * drivers, 2 cores, N=100, C=20), the scaling curve, and where the CPU time went.
 */
import type { BatchResult, CreateResult, DeleteResult, IdleResult, ReadsResult } from './scenarios';

export interface Results {
  create: CreateResult;
  reads: ReadsResult;
  readOne: ReadsResult;
  cascadeDelete: DeleteResult;
  idle: IdleResult;
  batch: BatchResult;
  scaling: { n: number; c: number; perLbMs: number; wallMs: number; fullStackP50Ms: number; deleteWallMs: number }[];
  /** API + worker(s) (or the single process), MiB, after the N-sized scenarios. */
  peakRssMiB: number | undefined;
  /** The create's polling GETs and the share of the API's CPU time they took (at the one-LB reads' cost per GET). */
  polling: { gets: number; perSecond: number; apiCpuMsPerGet: number; shareOfApiCpu: number; shareOfSystemCpu: number };
}

export interface Row {
  figure: string;
  ours: string;
  target?: string;
  met?: boolean;
  octavia?: string;
}

const time = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s` : `${Math.round(ms)} ms`);
const atMost = (value: number, limit: number) => value <= limit;

export function rows(r: Results): Row[] {
  const { create, reads, cascadeDelete, idle, batch } = r;
  const nc = `N=${create.n}, C=${create.c}`;
  return [
    { figure: `full-stack create, wall (${nc})`, ours: time(create.wallMs), target: '≤ 30 s', met: atMost(create.wallMs, 30_000), octavia: '383 s' },
    { figure: 'load balancers per second', ours: create.lbsPerSecond.toFixed(2), octavia: '0.26' },
    { figure: 'LB POST → ACTIVE p50 / p95 / max', ours: [create.lbActive.p50, create.lbActive.p95, create.lbActive.max].map(time).join(' / ') },
    { figure: 'LB POST → full stack ACTIVE p50', ours: time(create.fullStack.p50), target: '≤ 5 s', met: atMost(create.fullStack.p50, 5000), octavia: '76 s' },
    { figure: 'LB POST → full stack ACTIVE p95 / max', ours: [create.fullStack.p95, create.fullStack.max].map(time).join(' / ') },
    { figure: '409s retried (create)', ours: String(create.conflicts) },
    { figure: `reads: ${reads.requests} GET /loadbalancers, C=${reads.c} (${reads.loadBalancersPerPage} per page)`, ours: `${reads.requestsPerSecond.toFixed(0)} req/s`, target: '≥ 300 req/s', met: reads.requestsPerSecond >= 300, octavia: '5.4 req/s' },
    { figure: 'reads p50', ours: time(reads.latency.p50) },
    { figure: 'reads p99', ours: time(reads.latency.p99), target: '≤ 100 ms', met: atMost(reads.latency.p99, 100), octavia: '5.8 s' },
    { figure: `GET one load balancer, C=${r.readOne.c}: req/s, p50 / p99`, ours: `${r.readOne.requestsPerSecond.toFixed(0)} req/s, ${time(r.readOne.latency.p50)} / ${time(r.readOne.latency.p99)}` },
    { figure: `cascade delete of ${cascadeDelete.n}, C=${cascadeDelete.c}, until every GET is 404`, ours: time(cascadeDelete.wallMs), target: '≤ 10 s', met: atMost(cascadeDelete.wallMs, 10_000), octavia: '56 s' },
    { figure: `idle LB POST → ACTIVE, median (p90), n=${idle.count}`, ours: `${time(idle.lbActive.p50)} (${time(idle.lbActive.p90)})`, target: '≤ 300 ms', met: atMost(idle.lbActive.p50, 300), octavia: '0.9–1.8 s' },
    { figure: `child (listener) POST → ACTIVE, median (p90), n=${idle.count}`, ours: `${time(idle.childActive.p50)} (${time(idle.childActive.p90)})`, target: '≤ 150 ms', met: atMost(idle.childActive.p50, 150), octavia: '0.2–0.6 s' },
    { figure: `batch: one PUT of ${batch.members} members → ACTIVE`, ours: time(batch.activeMs), target: '≤ 5 s', met: atMost(batch.activeMs, 5000) },
    { figure: `  its cascade delete (${batch.members} members) → 404`, ours: time(batch.deleteMs) },
    {
      figure: 'peak resident memory, API + worker',
      ours: r.peakRssMiB === undefined ? 'not read' : `${Math.round(r.peakRssMiB)} MiB`,
      target: '≤ 400 MiB',
      met: r.peakRssMiB === undefined ? undefined : atMost(r.peakRssMiB, 400),
    },
  ];
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

export function printReport(r: Results, cpu: Record<string, Record<string, number>>, memory: Record<string, Record<string, number | undefined>>): string {
  const out: string[] = [];
  const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'MISSED');
  out.push(table(['figure', 'ours', 'target', '', 'Octavia 11'], rows(r).map((x) => [x.figure, x.ours, x.target ?? '', mark(x.met), x.octavia ?? ''])));

  const p = r.polling;
  // A running system without BENCH_PIDS: no CPU time read, so no cost.
  const cost = Number.isFinite(p.apiCpuMsPerGet)
    ? `at ${p.apiCpuMsPerGet.toFixed(2)} ms of API CPU per GET about ${Math.round(p.shareOfApiCpu * 100)} % of the API's CPU in the create, ${Math.round(p.shareOfSystemCpu * 100)} % of the system's`
    : 'the API\'s CPU time not read';
  out.push('', `polling while waiting (create): ${p.gets} GETs, ${p.perSecond.toFixed(0)}/s; ${cost}`);
  if (r.scaling.length) {
    out.push('', `scaling: full-stack create, C=${r.scaling[0]!.c}, time per load balancer (flat is the goal)`);
    const widest = Math.max(...r.scaling.map((s) => s.perLbMs));
    for (const s of r.scaling) {
      const bar = '█'.repeat(Math.max(1, Math.round((s.perLbMs / widest) * 40)));
      out.push(`  N=${String(s.n).padEnd(5)} ${time(s.perLbMs).padStart(7)}/LB  ${bar}  (wall ${time(s.wallMs)}, full-stack p50 ${time(s.fullStackP50Ms)}, delete ${time(s.deleteWallMs)})`);
    }
  }

  const phases = Object.keys(cpu);
  const roles = [...new Set(phases.flatMap((p) => Object.keys(cpu[p]!)))];
  out.push('', 'CPU seconds per phase (user + system; postgres: the backends of the run\'s databases; bench: this process, the load)');
  out.push(table(['phase', ...roles], phases.map((p) => [p, ...roles.map((role) => (cpu[p]![role] ?? NaN).toFixed(1))])));
  const when = Object.keys(memory);
  const holders = [...new Set(when.flatMap((w) => Object.keys(memory[w]!)))];
  out.push('', 'resident memory, MiB (peak: VmHWM, resident: VmRSS)');
  out.push(table(['', ...holders], when.map((w) => [w, ...holders.map((p) => { const mib = memory[w]![p]; return mib === undefined ? '?' : String(Math.round(mib)); })])));
  return out.join('\n');
}
