/**
 * The no-op compute driver: behaves like a compute service without creating anything. An instance is
 * in BUILD for `buildDelayMs`, then ACTIVE; after delete it is not found. Builds are idempotent by
 * name, as the Nova driver's are.
 *
 * Its instances live in memory and, when `statePath` is set (as `npm start` does), in a small JSON
 * file, so that a flow interrupted by a restart of the process still finds the instances it built.
 *
 * Fault injection (`faults`) lets tests break any step of a flow to prove its compensation, and an
 * operator watch one (NOOP_FAULTS): each fault is `true` (always) or a probability.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AmphoraComputeDriver,
  AmphoraLookup,
  BuildRequest,
  ComputeInstance,
  ComputeStatus,
  FlavorSpec,
  ServerGroupPolicy,
} from './port';
import { AmphoraBuildError, ComputeValidationError, DeleteFailed, InstanceNotFoundError } from './errors';

/** true: always; a number: with that probability (each call, or each instance built for the status faults). */
type Fault = boolean | number;

export interface NoopFaults {
  /** build() throws a retryable AmphoraBuildError (a compute service fault). */
  buildFails?: Fault;
  /** build() throws a non-retryable AmphoraBuildError (e.g. bad flavor). */
  buildRejected?: Fault;
  /** Instances never leave BUILD (true: every instance, now; a probability: instances built from now on). */
  buildHangs?: Fault;
  /** Instances go to ERROR instead of ACTIVE (as buildHangs). */
  statusError?: Fault;
  /** delete() throws DeleteFailed. */
  deleteFails?: Fault;
  /** Added to every call. */
  latencyMs?: number;
}

export interface NoopOptions {
  buildDelayMs?: number;
  /**
   * What validate* accepts. Undefined: everything exists (a laptop has no catalogue); tests set them
   * to prove the API rejects what a real cloud would.
   */
  known?: { flavors?: string[]; images?: string[]; zones?: string[] };
  statePath?: string;
  faults?: NoopFaults;
  now?: () => number;
  /** What a probability is drawn against (tests make it predictable). */
  random?: () => number;
}

interface NoopInstance {
  id: string;
  name: string;
  createdAt: number;
  deleted: boolean;
  request: Omit<BuildRequest, 'userData' | 'configDriveFiles'>;
  /** A status fault drawn for this instance when it was built. */
  fault?: 'hang' | 'error';
}

export class NoopComputeDriver extends AmphoraComputeDriver {
  readonly name = 'noop';
  faults: NoopFaults;
  private readonly buildDelayMs: number;
  private readonly known: NoopOptions['known'];
  private readonly serverGroups = new Map<string, ServerGroupPolicy>();
  private readonly flavors = new Map<string, FlavorSpec>();
  /** compute id -> attached port ids */
  private readonly ports = new Map<string, Set<string>>();
  private readonly statePath: string | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private instances: Map<string, NoopInstance> | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(opts: NoopOptions = {}) {
    super();
    this.buildDelayMs = opts.buildDelayMs ?? 0;
    this.known = opts.known;
    this.statePath = opts.statePath;
    this.faults = opts.faults ?? {};
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Whether an injected fault strikes this time. */
  private strikes(fault: Fault | undefined): boolean {
    return fault === true || (typeof fault === 'number' && fault > 0 && this.random() < fault);
  }

  /** Instances that exist (not deleted): what a leak check counts. */
  async liveInstances(): Promise<ComputeInstance[]> {
    const all = await this.load();
    return [...all.values()].filter((i) => !i.deleted).map((i) => this.describe(i));
  }

  protected async doBuild(request: BuildRequest): Promise<string> {
    await this.latency();
    if (this.strikes(this.faults.buildRejected)) {
      throw new AmphoraBuildError('Injected fault: flavor rejected by the compute service.', { retryable: false });
    }
    if (this.strikes(this.faults.buildFails)) throw new AmphoraBuildError('Injected fault: compute service failed to build.');
    const all = await this.load();
    const existing = [...all.values()].find((i) => i.name === request.name && !i.deleted);
    if (existing) return existing.id;
    const { userData: _u, configDriveFiles: _c, ...kept } = request;
    const instance: NoopInstance = { id: randomUUID(), name: request.name, createdAt: this.now(), deleted: false, request: kept };
    // A probability is drawn once per instance, so its status stays what it was (true is checked live).
    const { buildHangs, statusError } = this.faults;
    if (typeof statusError === 'number' && this.strikes(statusError)) instance.fault = 'error';
    else if (typeof buildHangs === 'number' && this.strikes(buildHangs)) instance.fault = 'hang';
    all.set(instance.id, instance);
    await this.save();
    return instance.id;
  }

  async delete(computeId: string): Promise<void> {
    await this.latency();
    if (this.strikes(this.faults.deleteFails)) throw new DeleteFailed(`Injected fault: could not delete ${computeId}.`, { computeId });
    const instance = (await this.load()).get(computeId);
    if (!instance || instance.deleted) return;
    instance.deleted = true;
    await this.save();
  }

  async status(computeId: string): Promise<ComputeStatus> {
    return (await this.getAmphora({ id: computeId })).status;
  }

  async getAmphora(lookup: AmphoraLookup): Promise<ComputeInstance> {
    await this.latency();
    const all = [...(await this.load()).values()].filter((i) => !i.deleted);
    const found = 'id' in lookup ? all.find((i) => i.id === lookup.id) : all.find((i) => i.name === lookup.name);
    if (!found) {
      const what = 'id' in lookup ? `id ${lookup.id}` : `name ${lookup.name}`;
      throw new InstanceNotFoundError(`No compute instance with ${what}.`, { computeId: 'id' in lookup ? lookup.id : undefined });
    }
    return this.describe(found);
  }

  async createServerGroup(_name: string, policy: ServerGroupPolicy): Promise<string> {
    await this.latency();
    const id = randomUUID();
    this.serverGroups.set(id, policy);
    return id;
  }

  async deleteServerGroup(serverGroupId: string): Promise<void> {
    await this.latency();
    this.serverGroups.delete(serverGroupId);
  }

  async attachPort(computeId: string, portId: string): Promise<void> {
    await this.getAmphora({ id: computeId });
    const attached = this.ports.get(computeId) ?? new Set<string>();
    attached.add(portId);
    this.ports.set(computeId, attached);
  }

  async attachNetwork(computeId: string, _networkId: string): Promise<string> {
    const portId = randomUUID();
    await this.attachPort(computeId, portId);
    return portId;
  }

  async detachPort(computeId: string, portId: string): Promise<void> {
    await this.latency();
    this.ports.get(computeId)?.delete(portId);
  }

  /** Ports attached to an instance (for tests of flows that plug ports). */
  attachedPorts(computeId: string): string[] {
    return [...(this.ports.get(computeId) ?? [])];
  }

  async validateFlavor(flavorId: string): Promise<void> {
    this.validate('flavor', flavorId, this.known?.flavors, [...this.flavors.keys()]);
  }

  async validateImage(imageId: string): Promise<void> {
    this.validate('image', imageId, this.known?.images);
  }

  async validateAvailabilityZone(zone: string): Promise<void> {
    this.validate('availability zone', zone, this.known?.zones);
  }

  async createFlavor(spec: FlavorSpec): Promise<string> {
    await this.latency();
    const id = randomUUID();
    this.flavors.set(id, spec);
    return id;
  }

  async deleteFlavor(flavorId: string): Promise<void> {
    await this.latency();
    this.flavors.delete(flavorId);
  }

  private validate(what: string, value: string, known: string[] | undefined, created: string[] = []): void {
    if (known && !known.includes(value) && !created.includes(value)) {
      throw new ComputeValidationError(`The compute ${what} ${value} does not exist.`);
    }
  }

  private describe(i: NoopInstance): ComputeInstance {
    let status: ComputeStatus = ComputeStatus.ACTIVE;
    if (this.faults.statusError === true || i.fault === 'error') status = ComputeStatus.ERROR;
    else if (this.faults.buildHangs === true || i.fault === 'hang' || this.now() - i.createdAt < this.buildDelayMs) status = ComputeStatus.BUILD;
    return {
      id: i.id,
      name: i.name,
      status,
      ...(status === ComputeStatus.ERROR ? { fault: 'Injected fault: instance went to ERROR.' } : {}),
      lbNetworkIp: noopAddress(i.id),
      imageId: i.request.imageId,
      flavorId: i.request.flavorId,
      availabilityZone: i.request.availabilityZone ?? 'nova',
      hostId: `noop-host-${i.id.slice(0, 8)}`,
    };
  }

  private async latency(): Promise<void> {
    if (this.faults.latencyMs) await sleep(this.faults.latencyMs);
  }

  private async load(): Promise<Map<string, NoopInstance>> {
    if (this.instances) return this.instances;
    let saved: NoopInstance[] = [];
    if (this.statePath) {
      try {
        saved = JSON.parse(await readFile(this.statePath, 'utf8')) as NoopInstance[];
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    this.instances ??= new Map(saved.map((i) => [i.id, i]));
    return this.instances;
  }

  /** Write-through, serialised, atomic (write then rename) so a crash never leaves half a file. */
  private save(): Promise<void> {
    const file = this.statePath;
    if (!file || !this.instances) return Promise.resolve();
    const snapshot = JSON.stringify([...this.instances.values()]);
    this.saving = this.saving.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, snapshot);
      await rename(`${file}.tmp`, file);
    });
    return this.saving;
  }
}

/** A stable fake management address (198.51.100.0/24 is TEST-NET-2, never routed). */
function noopAddress(id: string): string {
  return `198.51.100.${(parseInt(id.slice(0, 2), 16) % 254) + 1}`;
}
