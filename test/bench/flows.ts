/**
 * `npm run bench`: how fast flows run end to end (HTTP POST -> the object ACTIVE, as a client sees it),
 * on a real Temporal dev server and PostgreSQL with the no-op drivers. Not a test: it prints numbers.
 *
 *   idle load balancer create     POST /loadbalancers -> ACTIVE, one at a time
 *   child operation               POST /listeners -> listener and load balancer ACTIVE, one at a time
 *   the same with N existing LBs  (does any step grow with the number of objects?)
 *   concurrent stacks             C clients each creating LB + listener (+ pool + 2 members when the
 *                                 API has them), waiting for ACTIVE after each step
 *
 * BENCH_N (default 30), BENCH_EXISTING (default 300), BENCH_CLIENTS (default 20).
 */
import { performance } from 'node:perf_hooks';
import globalSetup from '../support/global-setup';
import globalTeardown from '../support/global-teardown';
import { startTestSystem, type TestSystem } from '../support/system';

const N = Number(process.env.BENCH_N ?? 30);
const EXISTING = Number(process.env.BENCH_EXISTING ?? 300);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const SUBNET = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const summary = (xs: number[]) =>
  `median ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

async function waitActive(sys: TestSystem, path: string, key: string): Promise<void> {
  for (;;) {
    const res = await sys.api('GET', path);
    const status = res.body?.[key]?.provisioning_status;
    if (status === 'ACTIVE') return;
    if (status === 'ERROR' || res.status >= 400) throw new Error(`${path}: ${status ?? res.status}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function createLb(sys: TestSystem): Promise<string> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
  if (res.status !== 201) throw new Error(`create LB: ${res.status} ${res.text}`);
  await waitActive(sys, `/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer');
  return res.body.loadbalancer.id;
}

async function child(sys: TestSystem, lbId: string, collection: string, key: string, body: unknown): Promise<string> {
  const res = await sys.api('POST', `/v2/lbaas/${collection}`, { [key]: body });
  if (res.status !== 201) throw new Error(`create ${key}: ${res.status} ${res.text}`);
  const id = res.body[key].id;
  await waitActive(sys, `/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer');
  await waitActive(sys, `/v2/lbaas/${collection}/${id}`, key);
  return id;
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return times;
}

async function main() {
  await globalSetup();
  const sys = await startTestSystem({ LOG_LEVEL: 'error' });
  try {
    const hasPools = (await sys.api('GET', '/v2/lbaas/pools')).status === 200;
    await timeEach(5, () => createLb(sys)); // warm-up: workflow bundle, caches, connections

    const lbTimes = await timeEach(N, () => createLb(sys));
    console.log(`idle LB POST -> ACTIVE:               ${summary(lbTimes)}`);

    const lb = await createLb(sys);
    const childTimes = await timeEach(N, (i) =>
      child(sys, lb, 'listeners', 'listener', { protocol: 'TCP', protocol_port: 10000 + i, loadbalancer_id: lb }),
    );
    console.log(`child op (listener) POST -> ACTIVE:   ${summary(childTimes)}`);

    // Grow the database, then measure again.
    const rows = Array.from({ length: EXISTING }, () => crypto.randomUUID());
    await sys.db.loadBalancer.createMany({
      data: rows.map((id) => ({ id, projectId: 'bench', provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE', vipSubnetId: SUBNET })),
    });
    const lbTimesFull = await timeEach(N, () => createLb(sys));
    console.log(`idle LB with ${EXISTING} more LBs in the DB:   ${summary(lbTimesFull)}`);
    const lb2 = await createLb(sys);
    const childFull = await timeEach(N, (i) =>
      child(sys, lb2, 'listeners', 'listener', { protocol: 'TCP', protocol_port: 20000 + i, loadbalancer_id: lb2 }),
    );
    console.log(`child op with ${EXISTING} more LBs in the DB:  ${summary(childFull)}`);

    const stack = async () => {
      const t = performance.now();
      const id = await createLb(sys);
      await child(sys, id, 'listeners', 'listener', { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: id });
      if (hasPools) {
        const pool = await child(sys, id, 'pools', 'pool', { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: id });
        for (const address of ['10.0.0.10', '10.0.0.11']) {
          const res = await sys.api('POST', `/v2/lbaas/pools/${pool}/members`, { member: { address, protocol_port: 80 } });
          if (res.status !== 201) throw new Error(`member: ${res.status} ${res.text}`);
          await waitActive(sys, `/v2/lbaas/loadbalancers/${id}`, 'loadbalancer');
        }
      }
      return performance.now() - t;
    };
    const stacks = await Promise.all(Array.from({ length: CLIENTS }, stack));
    console.log(`${CLIENTS} concurrent full stacks (${hasPools ? 'LB + listener + pool + 2 members' : 'LB + listener'}): ${summary(stacks)}`);
  } finally {
    await sys.stop();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
