/**
 * What must hold once every flow has finished, whatever fault hit them, read through the API and the
 * Nova emulator (never the database directly: what a user and the cloud see):
 *   - no object (load balancer, listener, pool, member, health monitor, amphora) in PENDING_*;
 *   - every compute instance belongs to an amphora the database still knows (an ERROR amphora keeps
 *     its instance for housekeeping to delete: tracked, not leaked);
 *   - every live amphora (ALLOCATED, READY) has its instance, ACTIVE;
 *   - a SINGLE load balancer has at most one live amphora, and an ACTIVE one exactly one.
 * And what a request's effect and a refused request's trace are checked with (operations.ts).
 */
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { ChaosSystem } from './system';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type View = Record<string, any>;

const LIVE_AMPHORA = new Set(['ALLOCATED', 'READY']);

async function list(sys: ChaosSystem, path: string, plural: string): Promise<View[]> {
  const res = await sys.api('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
  return res.body[plural] as View[];
}

export interface GlobalState {
  violations: string[];
  /** Instances whose amphora is ERROR: housekeeping's to delete. */
  trackedLeftovers: number;
}

export async function checkGlobalInvariants(sys: ChaosSystem): Promise<GlobalState> {
  const violations: string[] = [];
  const lbs = await list(sys, '/v2/lbaas/loadbalancers', 'loadbalancers');
  for (const [path, plural] of [
    ['/v2/lbaas/loadbalancers', 'loadbalancers'],
    ['/v2/lbaas/listeners', 'listeners'],
    ['/v2/lbaas/pools', 'pools'],
    ['/v2/lbaas/healthmonitors', 'healthmonitors'],
  ] as const) {
    const objects = plural === 'loadbalancers' ? lbs : await list(sys, path, plural);
    for (const o of objects) if (String(o.provisioning_status).startsWith('PENDING')) violations.push(`${plural} ${o.id} stuck in ${o.provisioning_status}`);
  }
  for (const pool of await list(sys, '/v2/lbaas/pools', 'pools')) {
    for (const m of await list(sys, `/v2/lbaas/pools/${pool.id}/members`, 'members')) {
      if (String(m.provisioning_status).startsWith('PENDING')) violations.push(`member ${m.id} stuck in ${m.provisioning_status}`);
    }
  }

  const amphorae = await list(sys, '/v2/octavia/amphorae', 'amphorae');
  for (const a of amphorae) if (String(a.status).startsWith('PENDING')) violations.push(`amphora ${a.id} stuck in ${a.status}`);
  const known = new Map(amphorae.filter((a) => a.status !== 'DELETED').map((a) => [`amphora-${a.id}`, a]));
  // A server being deleted is on its way out (the emulator lists it until it is gone).
  const servers = sys.nova.liveServers().filter((s) => s.taskState !== 'deleting');
  let trackedLeftovers = 0;
  for (const s of servers) {
    const a = known.get(s.name);
    if (!a) violations.push(`compute instance ${s.id} (${s.name}, ${s.status}) has no amphora: leaked`);
    else if (a.status === 'ERROR') trackedLeftovers++;
  }
  const serverById = new Map(servers.map((s) => [s.id, s]));
  for (const a of amphorae.filter((x) => LIVE_AMPHORA.has(x.status))) {
    const s = a.compute_id ? serverById.get(a.compute_id) : undefined;
    if (!s) violations.push(`amphora ${a.id} (${a.status}) has no compute instance (compute id ${a.compute_id})`);
    else if (s.status !== 'ACTIVE') violations.push(`amphora ${a.id} (${a.status}) has its instance ${s.id} in ${s.status}`);
  }
  // The campaign's load balancers are all SINGLE (the default topology, no flavor).
  for (const lb of lbs.filter((l) => l.provisioning_status !== 'DELETED')) {
    const live = amphorae.filter((a) => a.loadbalancer_id === lb.id && a.status === 'ALLOCATED');
    if (live.length > 1) violations.push(`SINGLE load balancer ${lb.id} has ${live.length} live amphorae: ${live.map((a) => a.id).join(', ')}`);
    if (lb.provisioning_status === 'ACTIVE' && live.length !== 1) violations.push(`ACTIVE load balancer ${lb.id} has ${live.length} live amphorae`);
  }
  return { violations, trackedLeftovers };
}

/** Octavia's fault body (api/errors.ts). */
export function isOctaviaFault(body: unknown): boolean {
  const b = body as View | undefined;
  return typeof b?.faultstring === 'string' && ['Client', 'Server'].includes(b.faultcode) && 'debuginfo' in b;
}

/**
 * Why a load balancer's flow that started after `since` failed: the root cause of the newest failed
 * one (an object left ERROR must have one), or undefined.
 */
export async function failureReason(temporal: Client, loadBalancerId: string, since: Date): Promise<string | undefined> {
  const query = `LoadBalancerId = "${loadBalancerId}" AND ExecutionStatus != "Running" AND ExecutionStatus != "Completed" AND StartTime >= "${since.toISOString()}"`;
  for await (const w of temporal.workflow.list({ query })) {
    try {
      await temporal.workflow.getHandle(w.workflowId, w.runId).result();
    } catch (err) {
      let cause: unknown = err instanceof WorkflowFailedError ? err.cause : err;
      while ((cause as { cause?: unknown })?.cause) cause = (cause as { cause: unknown }).cause;
      const message = (cause as Error | undefined)?.message;
      if (message) return `${w.type}: ${message}`;
    }
  }
  return undefined;
}
