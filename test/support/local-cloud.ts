/**
 * What the local-cloud tests share (local-compute, local-network, the compute contract on `local`):
 * the root check, isolated drivers (own state dir, own namespace and interface names, own CIDRs, so a
 * running `npm start` on the same machine is never touched), a real config drive (a minimal
 * amphora-agent.conf with Octavia's template keys, and certificates from drivers/certificates), and
 * a mutual-TLS call to an agent as Octavia's driver makes it.
 */
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { LocalCertificateAuthority } from '../../drivers/certificates';
import { ComputeStatus } from '../../drivers/compute';
import { LocalComputeDriver } from '../../drivers/compute/local';
import { LocalNetworkDriver } from '../../drivers/network/local';

export const isRoot = process.getuid?.() === 0;

/** `describe`, or `describe.skip` with one clear line saying why. */
export function describeAsRoot(name: string, fn: () => void): void {
  if (!isRoot) {
    // eslint-disable-next-line no-console
    console.warn(`${name}: skipped, the local cloud needs root (it creates network namespaces, veths and mounts).`);
    describe.skip(name, fn);
    return;
  }
  describe(name, fn);
}

export interface LocalCloud {
  stateDir: string;
  network: LocalNetworkDriver;
  compute: LocalComputeDriver;
  ca: LocalCertificateAuthority;
  /** Everything of the cloud removed: amphorae, networks, state. */
  destroy(): Promise<void>;
}

/**
 * A cloud of its own. `slot` (0..9) keeps concurrent clouds apart: 169.254.15<slot>.0/24 management,
 * 169.254.16<slot>.0/24 tenant, names suffixed with it. Slot 0 is the production default's range, so
 * tests use 1 and up.
 */
export async function makeLocalCloud(slot: number, existingStateDir?: string): Promise<LocalCloud> {
  // An existing state dir: the same cloud seen by a restarted controller.
  const stateDir = existingStateDir ?? (await mkdtemp(path.join(os.tmpdir(), `octavia-local-${slot}-`)));
  const network = new LocalNetworkDriver({
    stateDir,
    tenantCidr: `169.254.16${slot}.0/24`,
    tenantNetns: `octavia-test${slot}-tenant`,
    tenantUplink: `oct-t${slot}-ten`,
  });
  const compute = new LocalComputeDriver({
    stateDir,
    mgmtCidr: `169.254.15${slot}.0/24`,
    mgmtNetns: `octavia-test${slot}-mgmt`,
    mgmtUplink: `oct-t${slot}-mgmt`,
    ports: network,
    stopGraceSeconds: 1,
  });
  const ca = new LocalCertificateAuthority({ stateDir: path.join(stateDir, 'pki'), certValiditySeconds: 3600, signingDigest: 'sha256' });
  return {
    stateDir,
    network,
    compute,
    ca,
    async destroy() {
      for (const i of await compute.liveInstances()) await compute.delete(i.id);
      await compute.destroy();
      await network.destroy();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A config drive as the controller renders it (Octavia's amphora_agent_conf.template keys). */
export async function configDrive(
  cloud: LocalCloud,
  amphoraId: string,
  opts: { heartbeatPort: number; heartbeatKey?: string },
): Promise<Record<string, string>> {
  const cert = await cloud.ca.issueAmphoraCertificate(amphoraId);
  const conf = `[DEFAULT]
debug = False
use_syslog = True
syslog_log_facility = LOG_LOCAL1

[haproxy_amphora]
base_cert_dir = /var/lib/octavia/certs
base_path = /var/lib/octavia
bind_host = ::
bind_port = 9443
haproxy_cmd = /usr/sbin/haproxy
respawn_count = 2
respawn_interval = 2
use_upstart = True
user_log_facility = 0
administrative_log_facility = 1

[health_manager]
controller_ip_port_list = ${cloud.compute.controllerIp}:${opts.heartbeatPort}
heartbeat_interval = 1
heartbeat_key = ${opts.heartbeatKey ?? 'insecure-test-heartbeat-key'}

[amphora_agent]
agent_server_ca = /etc/octavia/certs/client_ca.pem
agent_server_cert = /etc/octavia/certs/server.pem
agent_request_read_timeout = 180
amphora_id = ${amphoraId}
amphora_udp_driver = keepalived_lvs
agent_tls_protocol = TLSv1.2

[controller_worker]
loadbalancer_topology = SINGLE
`;
  return {
    '/etc/octavia/amphora-agent.conf': conf,
    '/etc/octavia/certs/server.pem': cert.pem,
    '/etc/octavia/certs/client_ca.pem': await cloud.ca.clientCaCertificate(),
  };
}

/** Builds an amphora with its config drive and waits until its agent answers; ERROR fails at once. */
export async function bootAmphora(
  cloud: LocalCloud,
  amphoraId: string,
  opts: { heartbeatPort: number; heartbeatKey?: string },
): Promise<{ computeId: string; lbNetworkIp: string; bootMs: number }> {
  const files = await configDrive(cloud, amphoraId, opts);
  const started = Date.now();
  const computeId = await cloud.compute.build({ name: `amphora-${amphoraId}`, flavorId: 'amphora-flavor', imageId: 'amphora-image', configDriveFiles: files });
  const inst = await until(async () => {
    const i = await cloud.compute.getAmphora({ id: computeId });
    if (i.status === ComputeStatus.ERROR) throw new Error(`amphora ${amphoraId} went to ERROR: ${i.fault}`);
    return i.status === ComputeStatus.ACTIVE && i;
  }, 60_000, `amphora ${amphoraId} ACTIVE`);
  return { computeId, lbNetworkIp: inst.lbNetworkIp as string, bootMs: Date.now() - started };
}

export interface AgentReply {
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
}

/** One call to an agent over mutual TLS 1.2, its certificate checked against the amphora id. */
export async function callAgent(
  cloud: LocalCloud,
  target: { ip: string; amphoraId: string },
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<AgentReply> {
  const tls = await cloud.ca.controllerTls();
  const pem = tls.clientCertPem;
  const key = pem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/)?.[0];
  const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.join('\n');
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.ip,
        port: 9443,
        method,
        path: urlPath,
        servername: target.amphoraId,
        ca: tls.serverCaPem,
        cert,
        key,
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        timeout: 60_000,
        headers: {
          'User-Agent': 'Octavia HaProxy Rest Client/1.0 (https://wiki.openstack.org/wiki/Octavia)',
          ...(payload ? { 'Content-Length': String(payload.length) } : {}),
          ...(payload && typeof body !== 'string' ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON (a config file): keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Host-wide kernel settings the amphora's sysctl files and units touch: none may change. */
export const HOST_WIDE_SYSCTLS = [
  'fs/file-max',
  'fs/nr_open',
  'kernel/pid_max',
  'net/core/somaxconn',
  'net/core/netdev_max_backlog',
  'net/ipv4/ip_forward',
  'net/ipv4/ip_nonlocal_bind',
  'net/ipv4/tcp_max_orphans',
  'net/ipv4/tcp_fin_timeout',
  'net/ipv4/ip_local_port_range',
  'net/netfilter/nf_conntrack_max',
  'net/netfilter/nf_conntrack_buckets',
];

export async function hostSysctls(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of HOST_WIDE_SYSCTLS) out[key] = (await readFile(`/proc/sys/${key}`, 'utf8').catch(() => 'absent')).trim();
  return out;
}

/** Host pids of the processes in the namespace `/proc/<pid>/ns/<kind>` of `pid` names (e.g. an amphora's PID namespace). */
export async function processesSharingNamespace(kind: 'pid' | 'net' | 'mnt', ns: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const link = await readlink(`/proc/${entry}/ns/${kind}`).catch(() => undefined);
    if (link === ns) pids.push(Number(entry));
  }
  return pids;
}

/** Polls until `probe` is truthy; resolves to its value. */
export async function until<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
