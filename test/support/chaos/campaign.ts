/**
 * The fault campaign's trials: each takes the next fault (in turn) and draws a flow it can hit, sends the request and
 * strikes at a random moment while the flow runs (or, for an outage, just before the request), waits
 * until everything settled (no flow running, nothing PENDING; bounded), then checks the request's
 * effect and the global invariants. Every draw comes from the trial's seed.
 */
import { faults, type Fault, type FaultName } from './faults';
import { checkGlobalInvariants, isOctaviaFault } from './invariants';
import { operations, type OperationName, type TrialContext } from './operations';
import { seededRandom } from './random';
import type { ApiAnswer, ChaosSystem } from './system';

export interface TrialResult {
  index: number;
  seed: number;
  fault: FaultName;
  operation: OperationName;
  /** ms from the request to the fault (negative: the outage began first). */
  offsetMs: number;
  hit: boolean;
  status: number | undefined;
  /** A 5xx the API answered during an outage (allowed when well-formed and harmless). */
  refused?: string;
  settleMs: number;
  violations: string[];
  trackedLeftovers: number;
}

export interface CampaignOptions {
  seed: number;
  trials: number;
  /** Only these faults (CHAOS_FAULTS), default all. */
  only?: FaultName[];
  settleTimeoutMs: number;
  log?: (line: string) => void;
}

const RUNNING = 'ExecutionStatus = "Running" AND ResourceType != "housekeeping"';

/** No flow running and no object PENDING, twice in a row (a flow may start from a PENDING row on worker start-up). */
async function settle(sys: ChaosSystem, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    try {
      let running = 0;
      for await (const _ of sys.temporal.workflow.list({ query: RUNNING, pageSize: 10 })) running++;
      const lbs = await sys.api('GET', '/v2/lbaas/loadbalancers?fields=provisioning_status');
      const listeners = await sys.api('GET', '/v2/lbaas/listeners?fields=provisioning_status');
      const pending = [...(lbs.body?.loadbalancers ?? []), ...(listeners.body?.listeners ?? [])].some((o: { provisioning_status: string }) => o.provisioning_status.startsWith('PENDING'));
      const answered = lbs.status === 200 && listeners.status === 200;
      quiet = running === 0 && !pending && answered ? quiet + 1 : 0;
      if (quiet >= 2) return true;
    } catch {
      quiet = 0; // Temporal or the database is on its way back
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

export function trialSeed(campaignSeed: number, index: number): number {
  return (Math.imul(campaignSeed, 2654435761) + index) >>> 0;
}

export async function runTrial(sys: ChaosSystem, stock: TrialContext['stock'], index: number, seed: number, opts: CampaignOptions): Promise<TrialResult> {
  const rnd = seededRandom(seed);
  // Faults in turn (every kind within any run of seven trials), the rest drawn.
  const pool = opts.only ? faults.filter((f) => opts.only!.includes(f.name)) : faults;
  const fault: Fault = pool[index % pool.length]!;
  const op = rnd.pick(operations.filter((o) => fault.fits(o.compute)));
  const injection = fault.inject(sys, rnd);
  const offsetMs = injection.strike ? rnd.int(fault.outage ? -1500 : 0, op.windowMs) : 0;
  const ctx: TrialContext = { sys, stock, name: `chaos-${seed.toString(16)}-${index}`, since: new Date() };
  const violations: string[] = [];
  const prepared = await op.prepare(ctx);
  ctx.since = new Date();

  injection.arm?.();
  const started = Date.now();
  let answer: ApiAnswer | undefined;
  let requestError: unknown;
  const request = async () => {
    try {
      answer = await op.send(ctx, prepared);
    } catch (err) {
      requestError = err;
    }
  };
  const strike = async () => {
    await injection.strike?.();
  };
  if (offsetMs < 0) {
    const striking = strike();
    await new Promise((r) => setTimeout(r, -offsetMs));
    await Promise.all([striking, request()]);
  } else {
    const sending = request();
    await new Promise((r) => setTimeout(r, offsetMs));
    await Promise.all([strike(), sending]);
  }
  const settled = await settle(sys, opts.settleTimeoutMs);
  const settleMs = Date.now() - started;
  const hit = injection.hit();
  injection.disarm();
  if (!settled) violations.push(`not settled after ${opts.settleTimeoutMs / 1000} s (a flow still running or an object PENDING)`);

  let refused: string | undefined;
  if (requestError !== undefined || !answer) {
    violations.push(`no answer to the request: ${String(requestError)}`);
  } else if (answer.status >= 200 && answer.status < 300) {
    violations.push(...(await op.effect(ctx, prepared, answer)));
  } else if (answer.status >= 500 && fault.outage) {
    refused = `${answer.status} ${answer.text}`;
    if (!isOctaviaFault(answer.body)) violations.push(`a ${answer.status} during ${fault.name} is not in Octavia's error format: ${answer.text}`);
    violations.push(...(await op.unchanged(ctx, prepared)));
  } else {
    violations.push(`the request was answered ${answer.status}: ${answer.text}`, ...(await op.unchanged(ctx, prepared)));
  }
  const global = await checkGlobalInvariants(sys);
  violations.push(...global.violations);
  return { index, seed, fault: fault.name, operation: op.name, offsetMs, hit, status: answer?.status, refused, settleMs, violations, trackedLeftovers: global.trackedLeftovers };
}

export async function runCampaign(sys: ChaosSystem, opts: CampaignOptions): Promise<TrialResult[]> {
  const stock: TrialContext['stock'] = [];
  const results: TrialResult[] = [];
  for (let i = 0; i < opts.trials; i++) {
    const r = await runTrial(sys, stock, i, trialSeed(opts.seed, i), opts);
    results.push(r);
    opts.log?.(
      `trial ${i} seed ${r.seed}: ${r.fault} at ${r.offsetMs} ms on ${r.operation}${r.hit ? '' : ' (missed)'} -> ${r.status}${r.refused ? ' (refused)' : ''}, settled in ${r.settleMs} ms` +
        (r.violations.length ? `, VIOLATIONS: ${r.violations.join('; ')}` : ''),
    );
  }
  return results;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

export function report(results: TrialResult[], seed: number): string {
  const byFault = new Map<string, { trials: number; hit: number; refused: number }>();
  const byOperation = new Map<string, number>();
  for (const r of results) {
    const f = byFault.get(r.fault) ?? { trials: 0, hit: 0, refused: 0 };
    f.trials++;
    if (r.hit) f.hit++;
    if (r.refused) f.refused++;
    byFault.set(r.fault, f);
    byOperation.set(r.operation, (byOperation.get(r.operation) ?? 0) + 1);
  }
  const settle = results.map((r) => r.settleMs).sort((a, b) => a - b);
  const violations = results.flatMap((r) => r.violations.map((v) => `  trial ${r.index} (seed ${r.seed}, ${r.fault} on ${r.operation}): ${v}`));
  return [
    `chaos: ${results.length} trials, campaign seed ${seed}`,
    'faults (trials / hit / refused 5xx):',
    ...[...byFault].map(([k, v]) => `  ${k.padEnd(24)} ${String(v.trials).padStart(4)} ${String(v.hit).padStart(4)} ${String(v.refused).padStart(4)}`),
    `operations: ${[...byOperation].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `time to settle: p50 ${(percentile(settle, 50) / 1000).toFixed(1)} s, p95 ${(percentile(settle, 95) / 1000).toFixed(1)} s, max ${((settle.at(-1) ?? 0) / 1000).toFixed(1)} s`,
    `refused during outages: ${results.filter((r) => r.refused).map((r) => `trial ${r.index} ${r.refused!.slice(0, 120)}`).join('; ') || 'none'}`,
    `instances left to housekeeping (ERROR amphorae) at the end: ${results.at(-1)?.trackedLeftovers ?? 0}`,
    `invariant violations: ${violations.length}`,
    ...violations,
  ].join('\n');
}
