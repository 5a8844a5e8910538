/**
 * What the benchmark reads besides the API's answers: percentiles of a sample, and per process (from
 * /proc, Linux) the CPU time it used and its peak resident memory, including PostgreSQL's backends for
 * the run's databases, which come and go with their connections.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from 'pg';

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export interface Distribution {
  n: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export const distribution = (xs: readonly number[]): Distribution => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p90: percentile(xs, 90),
  p95: percentile(xs, 95),
  p99: percentile(xs, 99),
  max: Math.max(...xs),
});

/** Linux's USER_HZ: /proc reports CPU time in 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) in parentheses: utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** A process's resident memory in MiB: its peak so far (VmHWM) or now (VmRSS); undefined once it is gone. */
export function residentMiB(pid: number, which: 'VmHWM' | 'VmRSS' = 'VmHWM'): number | undefined {
  try {
    const kb = new RegExp(`^${which}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export const loadAverage = () => os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number];

/**
 * The CPU time of the PostgreSQL backends serving some databases. A backend lives as long as its
 * connection, so the set is sampled every second and each backend's last reading kept: a backend that
 * ends between two samples loses at most its last second.
 */
export class BackendCpu {
  private readonly last = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;
  private sampling: Promise<void> = Promise.resolve();

  private constructor(private readonly client: Client, private readonly databases: string[]) {
    this.timer = setInterval(() => void this.sample(), 1000);
    this.timer.unref();
  }

  static async start(maintenanceUrl: string, databases: string[]): Promise<BackendCpu> {
    const client = new Client({ connectionString: maintenanceUrl });
    client.on('error', () => undefined);
    await client.connect();
    const sampler = new BackendCpu(client, databases);
    await sampler.sample();
    return sampler;
  }

  private sample(): Promise<void> {
    this.sampling = this.sampling.then(async () => {
      const { rows } = await this.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [this.databases]);
      for (const { pid } of rows) {
        const cpu = cpuSeconds(pid);
        if (cpu !== undefined) this.last.set(pid, cpu);
      }
    }).catch(() => undefined);
    return this.sampling;
  }

  /** The CPU seconds every backend seen so far used, read now. */
  async total(): Promise<number> {
    await this.sample();
    let sum = 0;
    for (const cpu of this.last.values()) sum += cpu;
    return sum;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.client.end().catch(() => undefined);
  }
}

/** CPU seconds so far of each role: the system's processes, PostgreSQL's backends, and the bench itself (the load). */
export class CpuLedger {
  constructor(private readonly processes: { role: string; pid: number }[], private readonly backends?: BackendCpu) {}

  async read(): Promise<Record<string, number>> {
    const cpu: Record<string, number> = {};
    for (const { role, pid } of this.processes) cpu[role] = cpuSeconds(pid) ?? NaN;
    if (this.backends) cpu.postgres = await this.backends.total();
    const self = process.cpuUsage();
    cpu.bench = (self.user + self.system) / 1e6;
    return cpu;
  }

  /** Runs `fn`, returning what it returned and the CPU seconds each role used meanwhile. */
  async during<T>(fn: () => Promise<T>): Promise<{ value: T; cpu: Record<string, number> }> {
    const before = await this.read();
    const value = await fn();
    const after = await this.read();
    const cpu: Record<string, number> = {};
    for (const role of Object.keys(after)) cpu[role] = Math.round((after[role]! - (before[role] ?? 0)) * 100) / 100;
    return { value, cpu };
  }
}
