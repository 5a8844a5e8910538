/**
 * What the end-to-end data-plane tests share (DATA_PLANE=local through the API): a whole system on a
 * slot of the local cloud's ranges (test/support/local-cloud.ts: its own namespaces, interfaces, CIDRs
 * and state folder, so a running `npm start` or another slot's test is never touched), members on the
 * tenant network, requests to a VIP on fresh connections, a look inside a local amphora, and the
 * check that nothing of a deleted load balancer is left.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../../common/logger';
import { loadConfig } from '../../config';
import { LocalComputeDriver } from '../../drivers/compute/local';
import { LocalNetworkDriver } from '../../drivers/network/local';
import { startSystem, type RunningSystem } from '../../platform/system';

export const PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
/** The local network driver's fixed subnet id (LOCAL_SUBNET_ID's default). */
export const SUBNET_ID = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';

export interface Member {
  name: string;
  address: string;
  port: number;
  child: ChildProcess;
}

/** A failure that polling must not wait out (a load balancer gone to ERROR). */
class GiveUp extends Error {}

/** Polls `check` until it gives a value; its errors count as "not yet", except GiveUp. */
export async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One GET on a fresh connection (HAProxy balances per request; no keep-alive hides that). */
export function get(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(data.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Requests back to back for `ms`; counts answers per member and failures. */
export async function traffic(url: string, ms: number) {
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

/** One request of a Probe: when it started and ended (ms since the epoch), and whether it was answered. */
export interface ProbeResult {
  start: number;
  end: number;
  ok: boolean;
}

/**
 * Requests to `url` back to back (each with a short timeout, so an outage is seen at a fine grain)
 * until stopped; every outcome is kept with its times.
 */
export class Probe {
  readonly results: ProbeResult[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(url: string, timeoutMs = 500) {
    this.loop = (async () => {
      while (this.running) {
        const start = Date.now();
        const ok = await get(url, timeoutMs).then(
          () => true,
          () => false,
        );
        this.results.push({ start, end: Date.now(), ok });
        if (!ok) await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }

  async stop(): Promise<ProbeResult[]> {
    this.running = false;
    await this.loop;
    return this.results;
  }

  /** Waits for the first answered request that started at or after `t`. */
  firstSuccessAfter(t: number, timeoutMs: number): Promise<ProbeResult> {
    return until(async () => this.results.find((r) => r.ok && r.start >= t), timeoutMs, 'the VIP to answer again');
  }

  /** Failed requests that started within [from, to). */
  failuresBetween(from: number, to: number): number {
    return this.results.filter((r) => !r.ok && r.start >= from && r.start < to).length;
  }
}

export interface DataPlane {
  sys: RunningSystem;
  stateDir: string;
  env: Record<string, string>;
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The load balancer's whole tree ACTIVE again (the API's own answer); ERROR fails at once. */
  settled(lbId: string, timeoutMs?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  startMember(name: string, port: number): Promise<Member>;
  /** The load balancer's amphorae as the API lists them. */
  amphorae(lbId: string): Promise<any[]>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** PID 1 of a local amphora, as the host sees it (drivers/compute/local keeps it in init.pid). */
  initPid(computeId: string): Promise<number>;
  /** The IPv4 addresses on an amphora's VIP NIC (eth1 in its amphora-haproxy namespace). */
  vipNicAddresses(computeId: string): Promise<string[]>;
  /** A file of an amphora's /var/lib/octavia, read from the host. */
  amphoraFile(computeId: string, relativePath: string): Promise<string>;
  /** A cascade delete through the API, then: no namespace, process or file of these amphorae left. */
  deleteAndExpectNothingLeft(lbId: string, computeIds: string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A system with the real data plane on local-cloud slot `slot` (169.254.15<slot>.0/24 management,
 * 169.254.16<slot>.0/24 tenant), quick heartbeats and failure detection; `env` adds or overrides settings.
 */
export async function startDataPlane(slot: number, extraEnv: Record<string, string> = {}): Promise<DataPlane> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), `octavia-dataplane-${slot}-`));
  const env: Record<string, string> = {
    DATA_PLANE: 'local',
    LOCAL_STATE_DIR: stateDir,
    CERT_STATE_DIR: path.join(stateDir, 'pki'),
    LOCAL_MGMT_CIDR: `169.254.15${slot}.0/24`,
    LOCAL_TENANT_CIDR: `169.254.16${slot}.0/24`,
    LOCAL_MGMT_NETNS: `octavia-test${slot}-mgmt`,
    LOCAL_MGMT_UPLINK: `oct-t${slot}-mgmt`,
    LOCAL_TENANT_NETNS: `octavia-test${slot}-tenant`,
    LOCAL_TENANT_UPLINK: `oct-t${slot}-ten`,
    HEALTH_MANAGER_BIND_PORT: '0',
    HEARTBEAT_INTERVAL: '1',
    HEARTBEAT_TIMEOUT: '8',
    HEALTH_CHECK_INTERVAL: '1',
    AMP_ACTIVE_WAIT_SEC: '0.2',
    AMPHORA_CONNECTION_RETRY_INTERVAL: '1',
    AMPHORA_CONNECTION_MAX_RETRIES: '60',
    ...extraEnv,
  };
  const config = loadConfig({ ...process.env, API_BIND_PORT: '0', TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`, ...env });
  const sys = await startSystem({ config, log: logger, temporalAddress: config.temporal.address! });
  const members: Member[] = [];

  const api: DataPlane['api'] = async (method, p, body) => {
    const res = await fetch(sys.apiUrl + p, {
      method,
      headers: { 'x-project-id': PROJECT, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const initPid = async (computeId: string) => Number((await readFile(path.join(stateDir, 'amphorae', computeId, 'init.pid'), 'utf8')).split(' ')[0]);
  /** Any process started from this cloud's state folder (every amphora's PID 1 is). */
  const agentsRunning = () => {
    try {
      return execFileSync('pgrep', ['-f', stateDir], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };

  return {
    sys,
    stateDir,
    env,
    api,
    async settled(lbId, timeoutMs = 90_000) {
      return until(async () => {
        const lb = (await api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
        if (lb.provisioning_status === 'ERROR') throw new GiveUp(`load balancer ${lbId} went to ERROR`);
        return lb.provisioning_status === 'ACTIVE' && lb;
      }, timeoutMs, `load balancer ${lbId} ACTIVE`);
    },
    startMember(name, port) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../scripts/member.ts'), '--port', String(port), '--name', name], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          const m = /listening on ([0-9.]+):/.exec(chunk.toString());
          if (!m) return;
          const member = { name, address: m[1]!, port, child };
          members.push(member);
          resolve(member);
        });
        child.once('exit', (code) => reject(new Error(`member ${name} exited with ${code}`)));
      });
    },
    async amphorae(lbId) {
      return (await api('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae;
    },
    initPid,
    async vipNicAddresses(computeId) {
      // The amphora's mount namespace holds its /run/netns/amphora-haproxy.
      const out = execFileSync('nsenter', ['-t', String(await initPid(computeId)), '-m', 'ip', '-n', 'amphora-haproxy', '-4', '-o', 'addr', 'show', 'dev', 'eth1'], {
        encoding: 'utf8',
      });
      return [...out.matchAll(/inet ([0-9.]+)\//g)].map((m) => m[1]!);
    },
    amphoraFile(computeId, relativePath) {
      return readFile(path.join(stateDir, 'amphorae', computeId, 'root', 'var-lib-octavia', relativePath), 'utf8');
    },
    async deleteAndExpectNothingLeft(lbId, computeIds) {
      expect((await api('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`)).status).toBe(204);
      await until(async () => (await api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).status === 404, 60_000, 'the load balancer gone');
      const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      for (const id of computeIds) expect(netns).not.toContain(`octavia-amp-${id}`);
      expect(agentsRunning()).toBe('');
      const amphoraeDir = path.join(stateDir, 'amphorae');
      expect(existsSync(amphoraeDir) ? await readdir(amphoraeDir) : []).toEqual([]);
    },
    /**
     * Members, system, then whatever a failed test left of the cloud (amphorae, both bridges with their
     * namespaces): a leftover would break the slot's next run (its management taps are named by index).
     */
    async stop() {
      for (const m of members) m.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      await sys.stop();
      if (sys.compute instanceof LocalComputeDriver) {
        for (const i of await sys.compute.liveInstances()) await sys.compute.delete(i.id);
        await sys.compute.destroy();
      }
      if (sys.network instanceof LocalNetworkDriver) await sys.network.destroy();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
