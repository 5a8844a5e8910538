/**
 * The benchmark's scenarios (issue 12 part 1), each driving the API over HTTP only and waiting as a
 * client waits (client.ts). Times are milliseconds from the first request to the last answer that
 * showed the end state.
 */
import { BenchClient, POLL_ALONE_MS, POLL_CONCURRENT_MS, VIP_SUBNET, now } from './client';
import { distribution, type Distribution } from './measure';

const LBS = '/v2/lbaas/loadbalancers';
const lbPath = (id: string) => `${LBS}/${id}`;

/** How soon a client waiting among `c` in flight polls (client.ts). */
const floorFor = (c: number) => (c > 1 ? POLL_CONCURRENT_MS : POLL_ALONE_MS);

/** Runs fn(0) .. fn(n - 1) with at most `c` in flight. */
async function inParallel<T>(n: number, c: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(c, n) }, lane));
  return results;
}

/** POSTs a child and waits for it ACTIVE (its flow commits the child and its load balancer at once). */
async function child(client: BenchClient, floor: number, collection: string, key: string, body: Record<string, unknown>): Promise<string> {
  const t = now();
  const id = await client.create(collection, key, body);
  await client.active(`${collection}/${id}`, key, t, floor);
  return id;
}

async function loadBalancer(client: BenchClient, floor: number, name: string): Promise<string> {
  const t = now();
  const id = await client.create(LBS, 'loadbalancer', { name, vip_subnet_id: VIP_SUBNET });
  await client.active(lbPath(id), 'loadbalancer', t, floor);
  return id;
}

interface Stack {
  lb: string;
  pool: string;
  /** POST of the load balancer -> it is ACTIVE; -> its second member is ACTIVE. */
  lbActiveMs: number;
  fullStackMs: number;
}

/** LB -> ACTIVE -> listener -> ACTIVE -> pool -> ACTIVE -> member -> ACTIVE -> member -> ACTIVE. */
async function stack(client: BenchClient, floor: number, name: string): Promise<Stack> {
  const t0 = now();
  const lb = await loadBalancer(client, floor, name);
  const lbActiveMs = now() - t0;
  const listener = await child(client, floor, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lb, protocol: 'HTTP', protocol_port: 80 });
  const pool = await child(client, floor, '/v2/lbaas/pools', 'pool', { listener_id: listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
  for (const address of ['10.0.0.10', '10.0.0.11']) await child(client, floor, `/v2/lbaas/pools/${pool}/members`, 'member', { address, protocol_port: 80 });
  return { lb, pool, lbActiveMs, fullStackMs: now() - t0 };
}

/** What a phase cost the client: 409s retried, polling GETs. */
function counters(client: BenchClient) {
  const start = { conflicts: client.conflicts, polls: client.polls };
  return () => ({ conflicts: client.conflicts - start.conflicts, polls: client.polls - start.polls });
}

export interface CreateResult {
  n: number;
  c: number;
  wallMs: number;
  lbsPerSecond: number;
  perLbMs: number;
  lbActive: Distribution;
  fullStack: Distribution;
  conflicts: number;
  polls: number;
}

export async function fullStackCreate(client: BenchClient, n: number, c: number, prefix: string): Promise<{ result: CreateResult; lbs: string[] }> {
  const count = counters(client);
  const t0 = now();
  const stacks = await inParallel(n, c, (i) => stack(client, floorFor(c), `${prefix}-${i}`));
  const wallMs = now() - t0;
  return {
    lbs: stacks.map((s) => s.lb),
    result: {
      n,
      c,
      wallMs,
      lbsPerSecond: n / (wallMs / 1000),
      perLbMs: wallMs / n,
      lbActive: distribution(stacks.map((s) => s.lbActiveMs)),
      fullStack: distribution(stacks.map((s) => s.fullStackMs)),
      ...count(),
    },
  };
}

export interface ReadsResult {
  path: string;
  requests: number;
  c: number;
  wallMs: number;
  requestsPerSecond: number;
  latency: Distribution;
  /** The list's length (a list: no limit, so the whole list in one page). */
  loadBalancersPerPage?: number;
}

/** `requests` GETs of `path`, `c` in flight. */
export async function reads(client: BenchClient, path: string, requests: number, c: number): Promise<ReadsResult> {
  const perPage = new Set<number | undefined>();
  const t0 = now();
  const latencies = await inParallel(requests, c, async () => {
    const t = now();
    const res = await client.call('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    perPage.add(res.body.loadbalancers?.length);
    return now() - t;
  });
  const wallMs = now() - t0;
  if (perPage.size !== 1) throw new Error(`The list changed while it was read: ${[...perPage].join(', ')} load balancers per page`);
  return { path, requests, c, wallMs, requestsPerSecond: requests / (wallMs / 1000), latency: distribution(latencies), loadBalancersPerPage: [...perPage][0] };
}

/** The list of load balancers, and one of them (what a client polls while it waits). */
export const listPath = LBS;
export const objectPath = lbPath;

export interface DeleteResult {
  n: number;
  c: number;
  wallMs: number;
  conflicts: number;
  polls: number;
}

/** DELETE ?cascade=true of each, `c` in flight, until every GET is 404. */
export async function cascadeDelete(client: BenchClient, lbs: string[], c: number): Promise<DeleteResult> {
  const count = counters(client);
  const t0 = now();
  await inParallel(lbs.length, c, async (i) => {
    const t = now();
    await client.expect(204, 'DELETE', `${lbPath(lbs[i]!)}?cascade=true`);
    await client.gone(lbPath(lbs[i]!), t, floorFor(c));
  });
  return { n: lbs.length, c, wallMs: now() - t0, ...count() };
}

export interface IdleResult {
  count: number;
  lbActive: Distribution;
  childActive: Distribution;
}

/**
 * On a quiet system, one request at a time: `count` load balancers POST -> ACTIVE, then `count`
 * listeners on one of them POST -> ACTIVE. Returns the load balancers made (to delete).
 */
export async function idle(client: BenchClient, count: number): Promise<{ result: IdleResult; lbs: string[] }> {
  const lbs: string[] = [];
  const lbTimes: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = now();
    lbs.push(await loadBalancer(client, POLL_ALONE_MS, `idle-${i}`));
    lbTimes.push(now() - t);
  }
  const childTimes: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = now();
    await child(client, POLL_ALONE_MS, '/v2/lbaas/listeners', 'listener', { loadbalancer_id: lbs[0], protocol: 'TCP', protocol_port: 10_000 + i });
    childTimes.push(now() - t);
  }
  return { lbs, result: { count, lbActive: distribution(lbTimes), childActive: distribution(childTimes) } };
}

export interface BatchResult {
  members: number;
  /** PUT -> the load balancer ACTIVE again, every member ACTIVE. */
  activeMs: number;
  /** The cascade delete of that load balancer with its members, until its GET is 404. */
  deleteMs: number;
}

/** One PUT /pools/{id}/members replacing the members of a pool (two of them) with `members` new ones. */
export async function batchMembers(client: BenchClient, members: number): Promise<BatchResult> {
  const { lb, pool } = await stack(client, POLL_ALONE_MS, 'batch');
  const list = Array.from({ length: members }, (_, i) => ({ address: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, protocol_port: 80 }));
  const t = now();
  await client.expect(202, 'PUT', `/v2/lbaas/pools/${pool}/members`, { members: list });
  await client.active(lbPath(lb), 'loadbalancer', t, POLL_ALONE_MS);
  const activeMs = now() - t;
  const after = (await client.expect(200, 'GET', `/v2/lbaas/pools/${pool}/members`)).body.members as { provisioning_status: string }[];
  const active = after.filter((m) => m.provisioning_status === 'ACTIVE').length;
  if (after.length !== members || active !== members) throw new Error(`After the batch: ${after.length} members, ${active} ACTIVE (expected ${members})`);
  const d = now();
  await cascadeDelete(client, [lb], 1);
  return { members, activeMs, deleteMs: now() - d };
}

/** A few load balancers with their whole tree, made and deleted: every flow's code loaded and warm. */
export async function warmUp(client: BenchClient): Promise<void> {
  const { lbs } = await fullStackCreate(client, 3, 3, 'warm-up');
  await cascadeDelete(client, lbs, 3);
}
