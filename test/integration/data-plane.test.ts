/**
 * The real data plane end to end, through the API only (DATA_PLANE=local): Octavia's own amphora agent
 * in local amphorae, HAProxy carrying HTTP from this machine's root namespace to three members on the
 * local tenant network, heartbeats over UDP, a failover when the amphora dies, and a cascade delete
 * that leaves nothing behind. Slot 7 of the local cloud's ranges (test/support/local-cloud.ts): its
 * own namespaces, interfaces and CIDRs, so a running `npm start` is never touched.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { logger } from '../../common/logger';
import { LocalComputeDriver } from '../../drivers/compute/local';
import { LocalNetworkDriver } from '../../drivers/network/local';
import { loadConfig } from '../../config';
import { startSystem, type RunningSystem } from '../../platform/system';
import { describeAsRoot } from '../support/local-cloud';

const SLOT = 7;
const PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const SUBNET_ID = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';

let stateDir: string;
let sys: RunningSystem;
let env: Record<string, string>;
const members: Array<{ name: string; address: string; child: ChildProcess }> = [];

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(sys.apiUrl + p, {
    method,
    headers: { 'x-project-id': PROJECT, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The load balancer's whole tree ACTIVE again (the API's own answer). */
async function settled(lbId: string, timeoutMs = 90_000) {
  return until(async () => {
    const lb = (await api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
    if (lb.provisioning_status === 'ERROR') throw new Error(`load balancer ${lbId} went to ERROR`);
    return lb.provisioning_status === 'ACTIVE' && lb;
  }, timeoutMs, `load balancer ${lbId} ACTIVE`);
}

/** One GET on a fresh connection (HAProxy balances per request; no keep-alive hides that). */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000, agent: false }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(data.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Requests back to back for `ms`; counts answers per member and failures. */
async function traffic(url: string, ms: number) {
  const counts: Record<string, number> = {};
  let failed = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const who = await get(url);
      counts[who] = (counts[who] ?? 0) + 1;
    } catch {
      failed++;
    }
  }
  return { counts, failed };
}

function startMember(name: string, port: number): Promise<{ name: string; address: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../scripts/member.ts'), '--port', String(port), '--name', name], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /listening on ([0-9.]+):/.exec(chunk.toString());
      if (m) resolve({ name, address: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`member ${name} exited with ${code}`)));
  });
}

const computeIds: string[] = [];
const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
/** PID 1 of a local amphora, as the host sees it (drivers/compute/local keeps it in init.pid). */
const initPid = async (computeId: string) => Number((await readFile(path.join(stateDir, 'amphorae', computeId, 'init.pid'), 'utf8')).split(' ')[0]);
/** Any process started from this cloud's state folder (every amphora's PID 1 is). */
const agentsRunning = () => {
  try {
    return execFileSync('pgrep', ['-f', stateDir], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

describeAsRoot('data plane (DATA_PLANE=local, through the API)', () => {
  jest.setTimeout(600_000);

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'octavia-dataplane-'));
    env = {
      DATA_PLANE: 'local',
      LOCAL_STATE_DIR: stateDir,
      CERT_STATE_DIR: path.join(stateDir, 'pki'),
      LOCAL_MGMT_CIDR: `169.254.15${SLOT}.0/24`,
      LOCAL_TENANT_CIDR: `169.254.16${SLOT}.0/24`,
      LOCAL_MGMT_NETNS: `octavia-test${SLOT}-mgmt`,
      LOCAL_MGMT_UPLINK: `oct-t${SLOT}-mgmt`,
      LOCAL_TENANT_NETNS: `octavia-test${SLOT}-tenant`,
      LOCAL_TENANT_UPLINK: `oct-t${SLOT}-ten`,
      HEALTH_MANAGER_BIND_PORT: '0',
      HEARTBEAT_INTERVAL: '1',
      HEARTBEAT_TIMEOUT: '8',
      HEALTH_CHECK_INTERVAL: '1',
      AMP_ACTIVE_WAIT_SEC: '0.2',
      AMPHORA_CONNECTION_RETRY_INTERVAL: '1',
      AMPHORA_CONNECTION_MAX_RETRIES: '60',
    };
    const config = loadConfig({ ...process.env, API_BIND_PORT: '0', TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`, ...env });
    sys = await startSystem({ config, log: logger, temporalAddress: config.temporal.address!, workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE });
    for (const [i, name] of ['m1', 'm2', 'm3'].entries()) members.push(await startMember(name, 8080 + i));
  });

  afterAll(async () => {
    for (const m of members) m.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await sys?.stop();
    // The cloud's two networks go too (amphorae are gone with their load balancer).
    if (sys?.compute instanceof LocalComputeDriver) await sys.compute.destroy();
    if (sys?.network instanceof LocalNetworkDriver) await sys.network.destroy();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('carries traffic, drains a member, reports health and stats, fails over, and deletes without leftovers', async () => {
    const created = Date.now();
    const lb = (await api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'web', vip_subnet_id: SUBNET_ID } })).body.loadbalancer;
    expect(lb.vip_address).toMatch(new RegExp(`^169\\.254\\.16${SLOT}\\.`));
    await settled(lb.id);
    const listener = (await api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).body.listener;
    await settled(lb.id);
    const pool = (await api('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool;
    await settled(lb.id);
    const memberIds: string[] = [];
    for (const m of members) {
      const res = await api('POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: m.address, protocol_port: 8080 + members.indexOf(m), name: m.name } });
      expect(res.status).toBe(201);
      memberIds.push(res.body.member.id);
      await settled(lb.id);
    }
    await api('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 } });
    await settled(lb.id);
    const url = `http://${lb.vip_address}/`;
    const firstServed = await until(() => get(url), 30_000, 'the VIP to answer');
    logger.info({ ms: Date.now() - created, firstServed }, 'load balancer POST -> first request served (with its tree built)');

    // 30 requests spread evenly over the three members.
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const who = await get(url);
      counts[who] = (counts[who] ?? 0) + 1;
    }
    expect(counts).toEqual({ m1: 10, m2: 10, m3: 10 });

    // Draining m1 (admin_state_up=false) under continuous traffic loses no request.
    const during = traffic(url, 6000);
    await api('PUT', `/v2/lbaas/pools/${pool.id}/members/${memberIds[0]}`, { member: { admin_state_up: false } });
    await settled(lb.id);
    const drained = await during;
    expect(drained.failed).toBe(0);
    const after = await traffic(url, 1500);
    expect(after.counts.m1 ?? 0).toBe(0);
    expect(after.failed).toBe(0);

    // m3's server stops: its operating status goes ERROR within three heartbeat intervals (+ the check).
    members[2]!.child.kill('SIGTERM');
    await until(async () => {
      const m = (await api('GET', `/v2/lbaas/pools/${pool.id}/members/${memberIds[2]}`)).body.member;
      return m.operating_status === 'ERROR' && m;
    }, 8000, 'member m3 ERROR');
    const still = await traffic(url, 1000);
    expect(still.failed).toBe(0);
    expect(Object.keys(still.counts)).toEqual(['m2']);

    // The stats API counts what went through, from the heartbeats.
    const stats = await until(async () => {
      const s = (await api('GET', `/v2/lbaas/listeners/${listener.id}/stats`)).body.stats;
      return s.total_connections >= 30 && s;
    }, 10_000, 'listener stats to count the requests');
    expect(stats.bytes_out).toBeGreaterThan(0);

    // The amphora dies (its PID 1 and everything under it): the health manager fails it over and the
    // VIP serves again without any API call.
    const [amphora] = (await api('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae;
    computeIds.push(amphora.compute_id);
    process.kill(await initPid(amphora.compute_id), 'SIGKILL');
    const killed = Date.now();
    await until(async () => {
      const amps = (await api('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae;
      if (amps.length === 1 && amps[0].id !== amphora.id && amps[0].status === 'ALLOCATED') return computeIds.push(amps[0].compute_id);
      return undefined;
    }, 120_000, 'a replacement amphora');
    await until(() => get(url), 30_000, 'the VIP to answer after the failover');
    logger.info({ ms: Date.now() - killed }, 'amphora killed -> traffic served by its replacement');

    // A cascade delete leaves no namespace, process or file of the load balancer behind.
    expect((await api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status).toBe(204);
    await until(async () => (await api('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).status === 404, 60_000, 'the load balancer gone');
    for (const id of computeIds) expect(netnsList()).not.toContain(`octavia-amp-${id}`);
    expect(agentsRunning()).toBe('');
    const amphoraeDir = path.join(stateDir, 'amphorae');
    expect(existsSync(amphoraeDir) ? await readdir(amphoraeDir) : []).toEqual([]);
  });
});
