/**
 * The local compute driver (COMPUTE_DRIVER=local): an amphora is Octavia 11's real, unmodified
 * `octavia-agent` from Debian, running on this machine in network, mount, UTS and PID namespaces of
 * its own, like a small VM. drivers/compute/local/README.md describes the machine it gets and every
 * wall met making the agent believe it (and how each is handled).
 *
 * - `build` makes the amphora's network namespace `octavia-amp-<compute id>` with `eth0` on the
 *   management bridge (LOCAL_MGMT_CIDR; host 1 is the controller's address), writes the config drive
 *   files into the amphora's own /etc/octavia, starts its PID 1 (amphora/init.py, named `systemd`) and
 *   returns: the instance is BUILD until the agent answers on <lbNetworkIp>:9443, then ACTIVE; ERROR
 *   when its PID 1 is gone. Builds are idempotent by name; a retried build resumes a half-made one.
 * - `delete` stops PID 1 (which SIGTERMs the amphora, SIGKILLs it after the grace period), unplugs
 *   its ports, removes its veth, namespace and files. Idempotent.
 * - State: `<stateDir>/compute.json` (instances, server groups, flavors; changed under a lock) and one
 *   folder per amphora, `<stateDir>/amphorae/<compute id>/`. The amphorae run detached from the
 *   controller, so a restarted controller finds them where it left them.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostAt, parseCidr, randomMac, type Cidr } from '../../network/local/addresses';
import type { LocalPortPlug } from '../../network/local/driver';
import { deleteBridgedNetwork, deleteNetns, ensureBridgedNetwork, ensureNetns, ensureVeth, ip, ipDelete, netnsExists } from '../../network/local/ip';
import { JsonStore } from '../../network/local/store';
import { AmphoraBuildError, AmphoraComputeError, ComputeValidationError, DeleteFailed, InstanceNotFoundError } from '../errors';
import {
  AmphoraComputeDriver,
  type AmphoraLookup,
  type BuildRequest,
  type ComputeInstance,
  ComputeStatus,
  type FlavorSpec,
  type ServerGroupPolicy,
} from '../port';
import { amphoraNetns, mgmtTap } from './names';
import { tcpAccepts } from '../../../common/net';

export const LOCAL_COMPUTE_DEFAULTS = {
  mgmtCidr: '169.254.150.0/24',
  mgmtNetns: 'octavia-mgmt',
  mgmtUplink: 'oct-mgmt',
  agentPort: 9443,
  stopGraceSeconds: 2,
  flavorIds: ['amphora-flavor'],
  imageIds: ['amphora-image'],
  availabilityZone: 'local',
} as const;

const INIT = path.join(__dirname, 'amphora', 'init.py');
const SYSTEMCTL = path.join(__dirname, 'amphora', 'systemctl.py');
const MGMT_BRIDGE = 'br-mgmt';
/** What the "image" is: the Debian packages and the paths the amphora's private mounts go over. */
const IMAGE_PATHS = [
  '/usr/bin/amphora-agent',
  '/usr/sbin/haproxy',
  '/usr/sbin/service',
  '/usr/bin/nsenter',
  '/usr/bin/unshare',
  '/usr/bin/python3',
  '/etc/octavia',
  '/var/lib/octavia',
  '/usr/lib/systemd/system',
];
/** Where config drive files may go: the amphora's own copies of these folders. */
const CONFIG_DRIVE_ROOTS: Record<string, string> = { '/etc/octavia/': 'etc-octavia', '/var/lib/octavia/': 'var-lib-octavia' };

export interface LocalComputeOptions {
  /** LOCAL_STATE_DIR: compute.json and amphorae/ live here. */
  stateDir: string;
  /** LOCAL_MGMT_CIDR (default 169.254.150.0/24): host 1 is the controller, amphorae get host 2 and up. */
  mgmtCidr?: string;
  /** LOCAL_MGMT_NETNS: the namespace that holds the management bridge (default octavia-mgmt). */
  mgmtNetns?: string;
  /** LOCAL_MGMT_UPLINK: the controller's interface on it, in the root namespace (default oct-mgmt). */
  mgmtUplink?: string;
  /** The agent's bind_port ([haproxy_amphora] bind_port), probed for ACTIVE. */
  agentPort?: number;
  /** LOCAL_AMPHORA_STOP_GRACE_SECONDS: how long PID 1 lets the amphora's processes stop before SIGKILL. */
  stopGraceSeconds?: number;
  /** What validateFlavor/validateImage/validateAvailabilityZone accept (AMP_FLAVOR_ID, AMP_IMAGE_ID). */
  flavorIds?: string[];
  imageIds?: string[];
  availabilityZone?: string;
  /** The local network driver: attachPort/detachPort hot-plug its ports; a delete unplugs them. */
  ports?: LocalPortPlug;
}

interface InstanceRecord {
  id: string;
  name: string;
  /** Its slot on the management network: lbNetworkIp is host index+1 (host 1 is the controller). */
  index: number;
  mgmtIp: string;
  mgmtMac: string;
  createdAt: string;
  launchedAt?: string;
  /** When the agent first answered: from then on ACTIVE as long as PID 1 lives (a booted VM). */
  activeAt?: string;
  deleting?: boolean;
  flavorId?: string;
  imageId?: string;
  availabilityZone: string;
  serverGroupId?: string;
  metadata?: Record<string, string>;
  ports: string[];
}

interface ComputeState {
  instances: Record<string, InstanceRecord>;
  serverGroups: Record<string, { name: string; policy: ServerGroupPolicy }>;
  flavors: Record<string, FlavorSpec>;
}

interface ProcessRef {
  pid: number;
  starttime: string;
}

export class LocalComputeDriver extends AmphoraComputeDriver {
  readonly name = 'local';
  readonly mgmtCidr: Cidr;
  /** The controller's address on the management network: where amphorae send heartbeats. */
  readonly controllerIp: string;
  private readonly o: Required<Omit<LocalComputeOptions, 'ports' | 'mgmtCidr'>>;
  private readonly ports: LocalPortPlug | undefined;
  private readonly store: JsonStore<ComputeState>;
  /** Launches in progress in this process, by compute id (a concurrent build of the same name waits). */
  private readonly launching = new Map<string, Promise<void>>();
  /** Nova's hostId: one host here, so every amphora shares it (anti-affinity cannot be honoured). */
  private readonly hostId = createHash('sha224').update(os.hostname()).digest('hex');

  constructor(opts: LocalComputeOptions) {
    super();
    this.mgmtCidr = parseCidr(opts.mgmtCidr ?? LOCAL_COMPUTE_DEFAULTS.mgmtCidr);
    this.controllerIp = hostAt(this.mgmtCidr, 1);
    this.o = {
      stateDir: opts.stateDir,
      mgmtNetns: opts.mgmtNetns ?? LOCAL_COMPUTE_DEFAULTS.mgmtNetns,
      mgmtUplink: opts.mgmtUplink ?? LOCAL_COMPUTE_DEFAULTS.mgmtUplink,
      agentPort: opts.agentPort ?? LOCAL_COMPUTE_DEFAULTS.agentPort,
      stopGraceSeconds: opts.stopGraceSeconds ?? LOCAL_COMPUTE_DEFAULTS.stopGraceSeconds,
      flavorIds: opts.flavorIds ?? [...LOCAL_COMPUTE_DEFAULTS.flavorIds],
      imageIds: opts.imageIds ?? [...LOCAL_COMPUTE_DEFAULTS.imageIds],
      availabilityZone: opts.availabilityZone ?? LOCAL_COMPUTE_DEFAULTS.availabilityZone,
    };
    if (this.o.mgmtUplink.length > 15) throw new Error(`Interface name ${this.o.mgmtUplink} is longer than 15 characters`);
    this.ports = opts.ports;
    this.store = new JsonStore(path.join(opts.stateDir, 'compute.json'), () => ({ instances: {}, serverGroups: {}, flavors: {} }));
  }

  /** The folder of one amphora: its config drive, private /var/lib/octavia and /var/log, pid files, console. */
  instanceDir(computeId: string): string {
    return path.join(this.o.stateDir, 'amphorae', computeId);
  }

  /** Instances that exist (not being deleted): what a leak check counts. */
  async liveInstances(): Promise<ComputeInstance[]> {
    const all = Object.values((await this.store.read()).instances).filter((i) => !i.deleting);
    return Promise.all(all.map((i) => this.describe(i)));
  }

  // ---- build --------------------------------------------------------------------------------------

  protected async doBuild(request: BuildRequest): Promise<string> {
    const state = await this.store.read();
    this.checkCatalogue(request, state);
    const files = configDriveTargets(request.configDriveFiles ?? {});
    const rec = await this.store.update((s) => {
      const existing = Object.values(s.instances).find((i) => i.name === request.name && !i.deleting);
      if (existing) return existing;
      const used = new Set(Object.values(s.instances).map((i) => i.index));
      let index = 1;
      while (used.has(index)) index += 1;
      if (index + 1 > this.mgmtCidr.size - 2) {
        throw new AmphoraBuildError(`No valid host was found: the management network ${this.mgmtCidr.text} is full.`, { retryable: false });
      }
      const created: InstanceRecord = {
        id: randomUUID(),
        name: request.name,
        index,
        mgmtIp: hostAt(this.mgmtCidr, index + 1),
        mgmtMac: randomMac(),
        createdAt: new Date().toISOString(),
        flavorId: request.flavorId,
        imageId: request.imageId,
        availabilityZone: request.availabilityZone ?? this.o.availabilityZone,
        serverGroupId: request.serverGroupId,
        metadata: request.metadata,
        ports: [],
      };
      s.instances[created.id] = created;
      return created;
    });
    if (rec.launchedAt) return rec.id;
    let launch = this.launching.get(rec.id);
    if (!launch) {
      launch = this.launch(rec, files).finally(() => this.launching.delete(rec.id));
      this.launching.set(rec.id, launch);
    }
    try {
      await launch;
    } catch (err) {
      // The record stays: a retried build (same name) resumes, and a delete removes what was made.
      throw new AmphoraBuildError(`Could not build ${rec.name}: ${(err as Error).message}`, { cause: err, computeId: rec.id });
    }
    return rec.id;
  }

  private checkCatalogue(r: BuildRequest, s: ComputeState): void {
    const reject = (msg: string) => new AmphoraBuildError(msg, { retryable: false });
    if (r.flavorId && !this.flavorExists(r.flavorId, s)) throw reject(`Flavor ${r.flavorId} could not be found.`);
    if (r.imageId && !this.o.imageIds.includes(r.imageId)) throw reject(`Image ${r.imageId} could not be found.`);
    const missing = missingImagePaths();
    if (missing.length) throw reject(`The amphora image is not installed here (missing ${missing.join(', ')}): run scripts/install-data-plane.sh.`);
    if (r.availabilityZone && r.availabilityZone !== this.o.availabilityZone) throw reject(`Availability zone ${r.availabilityZone} does not exist.`);
    if (r.serverGroupId && !s.serverGroups[r.serverGroupId]) throw reject(`Server group ${r.serverGroupId} could not be found.`);
  }

  private async launch(rec: InstanceRecord, files: Array<[string, string | Uint8Array]>): Promise<void> {
    const dir = this.instanceDir(rec.id);
    const netns = amphoraNetns(rec.id);
    // Already started by an earlier try whose reply was lost: leave it running.
    if ((await this.initProcess(rec.id)) || (await alive(await readProcessRef(path.join(dir, 'launcher.pid'))))) {
      await this.markLaunched(rec.id);
      return;
    }
    await this.ensureMgmtNetwork();
    await ensureNetns(netns);
    const tap = mgmtTap(rec.index);
    await ensureVeth({ name: tap, netns: this.o.mgmtNetns, peerName: 'eth0', peerNetns: netns, peerMac: rec.mgmtMac });
    await ip(['link', 'set', tap, 'master', MGMT_BRIDGE, 'up'], this.o.mgmtNetns);
    await ip(['addr', 'replace', `${rec.mgmtIp}/${this.mgmtCidr.prefixLength}`, 'dev', 'eth0'], netns);
    await ip(['link', 'set', 'eth0', 'up'], netns);

    const spec = await writeMachine(dir, rec, files, this.o.stopGraceSeconds);
    const console = await open(path.join(dir, 'console.log'), 'a');
    try {
      const child = spawn(
        'nsenter',
        [`--net=/run/netns/${netns}`, 'unshare', '--mount', '--propagation', 'private', '--uts', '--pid', '--fork', '--kill-child=SIGTERM', '/usr/bin/python3', INIT, spec],
        { detached: true, stdio: ['ignore', console.fd, console.fd] },
      );
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid as number));
      });
      child.unref();
      await writeFile(path.join(dir, 'launcher.pid'), `${pid} ${await starttime(pid)}\n`);
    } finally {
      await console.close();
    }
    await this.markLaunched(rec.id);
  }

  private async markLaunched(id: string): Promise<void> {
    await this.store.update((s) => {
      const i = s.instances[id];
      if (i) i.launchedAt ??= new Date().toISOString();
    });
  }

  /** The management bridge in its namespace, and the controller's leg on it (the heartbeat address). */
  async ensureMgmtNetwork(): Promise<void> {
    await ensureBridgedNetwork({
      netns: this.o.mgmtNetns,
      bridge: MGMT_BRIDGE,
      uplink: { hostName: this.o.mgmtUplink, bridgeName: 'uplink', hostAddress: `${this.controllerIp}/${this.mgmtCidr.prefixLength}` },
    });
  }

  /** Removes the management network (tests; an operator). Refused while amphorae exist. */
  async destroy(): Promise<void> {
    const left = Object.keys((await this.store.read()).instances);
    if (left.length) throw new Error(`Amphorae still exist: ${left.join(', ')}`);
    await deleteBridgedNetwork({ netns: this.o.mgmtNetns, uplink: { hostName: this.o.mgmtUplink } });
  }

  // ---- status and lookups -------------------------------------------------------------------------

  async status(computeId: string): Promise<ComputeStatus> {
    return (await this.getAmphora({ id: computeId })).status;
  }

  async getAmphora(lookup: AmphoraLookup): Promise<ComputeInstance> {
    const all = Object.values((await this.store.read()).instances);
    const found =
      'id' in lookup
        ? all.find((i) => i.id === lookup.id)
        : (all.find((i) => i.name === lookup.name && !i.deleting) ?? all.find((i) => i.name === lookup.name));
    if (!found) {
      const what = 'id' in lookup ? `id ${lookup.id}` : `name ${lookup.name}`;
      throw new InstanceNotFoundError(`No compute instance with ${what}.`, { computeId: 'id' in lookup ? lookup.id : undefined });
    }
    return this.describe(found);
  }

  private async describe(rec: InstanceRecord): Promise<ComputeInstance> {
    const { status, fault } = await this.observe(rec);
    return {
      id: rec.id,
      name: rec.name,
      status,
      ...(fault ? { fault } : {}),
      lbNetworkIp: rec.mgmtIp,
      imageId: rec.imageId,
      flavorId: rec.flavorId,
      availabilityZone: rec.availabilityZone,
      hostId: this.hostId,
    };
  }

  private async observe(rec: InstanceRecord): Promise<{ status: ComputeStatus; fault?: string }> {
    if (rec.deleting) return { status: ComputeStatus.DELETED };
    if (!rec.launchedAt) return { status: ComputeStatus.BUILD };
    const dir = this.instanceDir(rec.id);
    const init = await readProcessRef(path.join(dir, 'init.pid'));
    if (!init) {
      if (await alive(await readProcessRef(path.join(dir, 'launcher.pid')))) return { status: ComputeStatus.BUILD };
      return { status: ComputeStatus.ERROR, fault: `The amphora did not start: ${await consoleTail(dir)}` };
    }
    if (!(await alive(init))) return { status: ComputeStatus.ERROR, fault: `The amphora stopped (its PID 1 is gone): ${await consoleTail(dir)}` };
    if (rec.activeAt) return { status: ComputeStatus.ACTIVE };
    if (!(await tcpAccepts(rec.mgmtIp, this.o.agentPort))) return { status: ComputeStatus.BUILD };
    await this.store.update((s) => {
      const i = s.instances[rec.id];
      if (i) i.activeAt ??= new Date().toISOString();
    });
    return { status: ComputeStatus.ACTIVE };
  }

  private async initProcess(computeId: string): Promise<ProcessRef | undefined> {
    const ref = await readProcessRef(path.join(this.instanceDir(computeId), 'init.pid'));
    return (await alive(ref)) ? ref : undefined;
  }

  // ---- delete -------------------------------------------------------------------------------------

  async delete(computeId: string): Promise<void> {
    const rec = (await this.store.read()).instances[computeId];
    if (!rec) return;
    await this.store.update((s) => {
      const i = s.instances[computeId];
      if (i) i.deleting = true;
    });
    // A launch still running in this process would start the amphora after the stop below.
    await this.launching.get(computeId)?.catch(() => undefined);
    await this.stop(computeId);
    try {
      await this.ports?.unplugInstance(computeId);
      if (netnsExists(this.o.mgmtNetns)) await ipDelete(['link', 'delete', mgmtTap(rec.index)], this.o.mgmtNetns);
      await deleteNetns(amphoraNetns(computeId));
      await rm(this.instanceDir(computeId), { recursive: true, force: true });
    } catch (err) {
      throw new DeleteFailed(`Could not remove ${rec.name}: ${(err as Error).message}`, { cause: err, computeId });
    }
    await this.store.update((s) => {
      delete s.instances[computeId];
    });
  }

  /**
   * Stops the amphora: SIGTERM to its PID 1 (which stops everything inside, SIGKILL after the grace
   * period; gunicorn alone would take 30 s), SIGKILL to PID 1 if it outlives that, which ends its whole
   * PID namespace. The launcher (unshare) exits with it. A launch caught before PID 1 reported its pid
   * is stopped through the launcher (unshare passes SIGTERM on to it when it dies).
   */
  private async stop(computeId: string): Promise<void> {
    const dir = this.instanceDir(computeId);
    const graceMs = this.o.stopGraceSeconds * 1000;
    const started = Date.now();
    let termSent = false;
    for (;;) {
      const init = await this.initProcess(computeId);
      const launcherRef = await readProcessRef(path.join(dir, 'launcher.pid'));
      const launcher = (await alive(launcherRef)) ? launcherRef : undefined;
      if (!init && !launcher) return;
      const elapsed = Date.now() - started;
      if (init && !termSent) {
        signal(init, 'SIGTERM');
        termSent = true;
      } else if (!init && launcher) {
        signal(launcher, 'SIGKILL');
      }
      if (elapsed > graceMs + 2000) {
        if (init) signal(init, 'SIGKILL');
        if (launcher) signal(launcher, 'SIGKILL');
      }
      if (elapsed > graceMs + 10_000) throw new DeleteFailed(`Amphora ${computeId} did not stop.`, { computeId });
      await sleep(50);
    }
  }

  // ---- server groups, ports -----------------------------------------------------------------------

  /** Recorded so builds may name it; nothing else: one host cannot keep a pair apart. */
  async createServerGroup(name: string, policy: ServerGroupPolicy): Promise<string> {
    return this.store.update((s) => {
      const id = randomUUID();
      s.serverGroups[id] = { name, policy };
      return id;
    });
  }

  async deleteServerGroup(serverGroupId: string): Promise<void> {
    await this.store.update((s) => {
      delete s.serverGroups[serverGroupId];
    });
  }

  async attachPort(computeId: string, portId: string): Promise<void> {
    const rec = (await this.store.read()).instances[computeId];
    if (!rec || rec.deleting) throw new InstanceNotFoundError(`Instance ${computeId} could not be found.`, { computeId });
    await this.ports?.plugPort(portId, computeId);
    await this.store.update((s) => {
      const i = s.instances[computeId];
      if (i && !i.ports.includes(portId)) i.ports.push(portId);
    });
  }

  /** The local cloud has one tenant network, the VIP's: there is no other network to plug. */
  async attachNetwork(computeId: string, networkId: string): Promise<string> {
    throw new AmphoraComputeError(`The local cloud has no network ${networkId} to attach to instance ${computeId}.`, { computeId, retryable: false });
  }

  async detachPort(computeId: string, portId: string): Promise<void> {
    const rec = (await this.store.read()).instances[computeId];
    if (!rec?.ports.includes(portId)) return;
    await this.ports?.unplugPort(portId);
    await this.store.update((s) => {
      const i = s.instances[computeId];
      if (i) i.ports = i.ports.filter((p) => p !== portId);
    });
  }

  // ---- catalogue ----------------------------------------------------------------------------------

  async validateFlavor(flavorId: string): Promise<void> {
    if (!this.flavorExists(flavorId, await this.store.read())) throw new ComputeValidationError(`The compute flavor ${flavorId} does not exist.`);
  }

  /** The one image is the Debian octavia-agent installed on this machine, under its configured ids. */
  async validateImage(imageId: string): Promise<void> {
    if (!this.o.imageIds.includes(imageId)) throw new ComputeValidationError(`The compute image ${imageId} does not exist.`);
    const missing = missingImagePaths();
    if (missing.length) {
      throw new ComputeValidationError(`The compute image ${imageId} is not installed here (missing ${missing.join(', ')}): run scripts/install-data-plane.sh.`);
    }
  }

  async validateAvailabilityZone(zone: string): Promise<void> {
    if (zone !== this.o.availabilityZone) throw new ComputeValidationError(`The compute availability zone ${zone} does not exist.`);
  }

  async createFlavor(spec: FlavorSpec): Promise<string> {
    return this.store.update((s) => {
      const id = randomUUID();
      s.flavors[id] = spec;
      return id;
    });
  }

  async deleteFlavor(flavorId: string): Promise<void> {
    await this.store.update((s) => {
      delete s.flavors[flavorId];
    });
  }

  private flavorExists(flavorId: string, s: ComputeState): boolean {
    return this.o.flavorIds.includes(flavorId) || flavorId in s.flavors;
  }
}

// ---- the machine an amphora gets ------------------------------------------------------------------

function missingImagePaths(): string[] {
  return IMAGE_PATHS.filter((p) => !existsSync(p));
}

/** Validates where each config drive file goes; returns [path inside the instance folder, contents]. */
function configDriveTargets(files: Record<string, string | Uint8Array>): Array<[string, string | Uint8Array]> {
  return Object.entries(files).map(([file, contents]) => {
    const normal = path.posix.normalize(file);
    const root = Object.keys(CONFIG_DRIVE_ROOTS).find((r) => normal.startsWith(r));
    if (!root || normal !== file) {
      throw new AmphoraBuildError(`Config drive file ${file}: only files under ${Object.keys(CONFIG_DRIVE_ROOTS).join(' or ')} are supported here.`, {
        retryable: false,
      });
    }
    return [path.join('root', CONFIG_DRIVE_ROOTS[root] as string, normal.slice(root.length)), contents];
  });
}

/**
 * Writes the amphora's private folders and PID 1's spec (amphora.json); returns the spec's path.
 * What goes over what, and why, is the table in drivers/compute/local/README.md.
 */
async function writeMachine(dir: string, rec: InstanceRecord, files: Array<[string, string | Uint8Array]>, stopGraceSeconds: number): Promise<string> {
  const root = (p: string) => path.join(dir, 'root', p);
  for (const d of ['etc-octavia', 'var-lib-octavia', 'var-log', 'systemd-system', 'init.d', 'sysctl.d', 'empty']) {
    await mkdir(root(d), { recursive: true });
  }
  await writeFile(root('empty-file'), '');
  // Its own name resolves without DNS (keepalived looks it up at start: 10 s of timeouts otherwise),
  // and no resolver is configured: name lookups stay inside the amphora, never reach the host's DNS.
  await writeFile(root('hosts'), `127.0.0.1 localhost\n127.0.1.1 ${rec.name}\n::1 localhost ip6-localhost ip6-loopback\n`);
  await writeFile(root('resolv.conf'), '# a local amphora has no resolver\n');
  for (const [rel, contents] of files) {
    const target = path.join(dir, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, contents, { mode: 0o600 });
    await chmod(target, 0o600);
  }
  // Wall 4: the host's hard RLIMIT_NOFILE is below what Octavia's maxconn makes haproxy ask for; with
  // `no strict-limits` haproxy warns instead of exiting. The agent passes this file to every haproxy.
  const userGroup = await readFile('/var/lib/octavia/haproxy-default-user-group.conf', 'utf8').catch(() => 'global\n    group nogroup\n');
  await writeFile(root('var-lib-octavia/haproxy-default-user-group.conf'), `${userGroup.replace(/\n*$/, '\n')}    no strict-limits\n`);
  if (existsSync('/var/lib/octavia/ping-wrapper.sh')) {
    await copyFile('/var/lib/octavia/ping-wrapper.sh', root('var-lib-octavia/ping-wrapper.sh'));
    await chmod(root('var-lib-octavia/ping-wrapper.sh'), 0o755);
  }
  // Host-wide sysctls: the package's file minus every key that is not per network namespace.
  const sysctl = await readFile('/etc/sysctl.d/octavia-agent-sysctl.conf', 'utf8').catch(() => '');
  const netOnly = sysctl.split('\n').filter((l) => /^\s*net\./.test(l));
  await writeFile(root('sysctl.d/octavia-agent-sysctl.conf'), `# octavia-agent's sysctls, net.* only (fs.* and kernel.* are host-wide)\n${netOnly.join('\n')}\n`);

  const spec = {
    hostname: rec.name,
    hostPidFile: path.join(dir, 'init.pid'),
    systemctl: SYSTEMCTL,
    agent: ['/usr/bin/amphora-agent', '--config-file', '/etc/octavia/amphora-agent.conf'],
    stopGraceSeconds,
    restartSeconds: 1,
    binds: [
      [root('etc-octavia'), '/etc/octavia'],
      [root('var-lib-octavia'), '/var/lib/octavia'],
      [root('var-log'), '/var/log'],
      [root('systemd-system'), '/usr/lib/systemd/system'],
      [root('init.d'), '/etc/init.d'],
      [root('sysctl.d'), '/etc/sysctl.d'],
      [root('empty'), '/usr/lib/sysctl.d'],
      [root('empty'), '/usr/local/lib/sysctl.d'],
      [root('empty-file'), '/etc/sysctl.conf'],
      [root('hosts'), '/etc/hosts'],
      [root('resolv.conf'), '/etc/resolv.conf'],
      [SYSTEMCTL, '/usr/bin/systemctl'],
    ],
  };
  const specPath = path.join(dir, 'amphora.json');
  await writeFile(specPath, JSON.stringify(spec, null, 1));
  return specPath;
}

// ---- processes ------------------------------------------------------------------------------------

async function starttime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

async function readProcessRef(file: string): Promise<ProcessRef | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const [pid, start] = (text ?? '').trim().split(' ');
  return pid && start ? { pid: Number(pid), starttime: start } : undefined;
}

/** Alive, and the same process (a pid is reused after a reboot or a long time). */
async function alive(ref: ProcessRef | undefined): Promise<boolean> {
  return ref !== undefined && (await starttime(ref.pid)) === ref.starttime;
}

function signal(ref: ProcessRef, sig: NodeJS.Signals): void {
  try {
    process.kill(ref.pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}


async function consoleTail(dir: string): Promise<string> {
  const text = await readFile(path.join(dir, 'console.log'), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join(' | ') || 'no console output';
}
