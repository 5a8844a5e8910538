/**
 * The amphora compute driver port (Octavia's compute-driver-interface). The flows talk to compute only
 * through this class; the no-op and Nova drivers live beside it.
 *
 * The abstract base enforces the interface's rules for every driver, so a driver only implements the
 * calls themselves:
 *   - only amphora type VM is supported (others: not implemented);
 *   - at most five config-drive files, each at most 10 KiB;
 *   - user data is a string or bytes.
 */
import { AmphoraBuildError, ComputeNotImplementedError } from './errors';

export const AmphoraType = { VM: 'VM', CONTAINER: 'CONTAINER', BAREMETAL: 'BAREMETAL', HW_LOAD_BALANCER: 'HW_LOAD_BALANCER' } as const;
export type AmphoraType = (typeof AmphoraType)[keyof typeof AmphoraType];

export const MAX_CONFIG_DRIVE_FILES = 5;
export const MAX_CONFIG_DRIVE_FILE_BYTES = 10 * 1024;

export interface BuildRequest {
  /**
   * The instance name. Flows pass `amphora-<amphora id>`: a build retried after a lost response finds
   * the instance it already made by this name instead of making a second one.
   */
  name: string;
  amphoraType?: AmphoraType;
  flavorId?: string;
  imageId?: string;
  /** Name of an SSH key pair registered in the compute service. */
  keyName?: string;
  securityGroups?: string[];
  networkIds?: string[];
  /** Absolute path -> contents. */
  configDriveFiles?: Record<string, string | Uint8Array>;
  userData?: string | Uint8Array;
  /** Anti-affinity group of an ACTIVE_STANDBY pair: the two amphorae must not share a host. */
  serverGroupId?: string;
  /** Where to build (Octavia grew availability zones in Ussuri). */
  availabilityZone?: string;
  /** Key/value metadata stored on the instance (we tag every amphora with its id). */
  metadata?: Record<string, string>;
}

/** Compute states the flows act on, mapped from each driver's own vocabulary. */
export const ComputeStatus = {
  BUILD: 'BUILD',
  ACTIVE: 'ACTIVE',
  ERROR: 'ERROR',
  SHUTOFF: 'SHUTOFF',
  DELETED: 'DELETED',
  UNKNOWN: 'UNKNOWN',
} as const;
export type ComputeStatus = (typeof ComputeStatus)[keyof typeof ComputeStatus];

export interface ComputeInstance {
  id: string;
  name: string;
  status: ComputeStatus;
  /** The compute service's reason for ERROR (Nova's `fault.message`). */
  fault?: string;
  /** Address on the load-balancer management network, when known. */
  lbNetworkIp?: string;
  imageId?: string;
  flavorId?: string;
  availabilityZone?: string;
  /** Project-scoped host fingerprint (Nova's hostId): equal values share a hypervisor. */
  hostId?: string;
}

export type AmphoraLookup = { id: string } | { name: string };

/** Nova's server group policies; amphora pairs use anti-affinity (soft: best effort when hosts are few). */
export type ServerGroupPolicy = 'anti-affinity' | 'soft-anti-affinity';

export interface FlavorSpec {
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  isPublic?: boolean;
  /** Nova extra specs (e.g. `hw:cpu_policy`). */
  extraSpecs?: Record<string, string>;
}

export abstract class AmphoraComputeDriver {
  abstract readonly name: string;

  /** Builds a new amphora and returns its compute id. It does not wait for ACTIVE: see `status`. */
  async build(request: BuildRequest): Promise<string> {
    validateBuildRequest(request);
    return this.doBuild(request);
  }

  /** Deletes the instance. Deleting an instance that is already gone succeeds (flows retry deletes). */
  abstract delete(computeId: string): Promise<void>;

  /** The instance's status; throws InstanceNotFoundError when it does not exist. */
  abstract status(computeId: string): Promise<ComputeStatus>;

  /** Finds an instance by id or name; throws InstanceNotFoundError when none matches. */
  abstract getAmphora(lookup: AmphoraLookup): Promise<ComputeInstance>;

  protected abstract doBuild(request: BuildRequest): Promise<string>;

  // What a real deployment needs beyond the seed's four calls, as Octavia grew it:

  /**
   * ACTIVE_STANDBY pairs are built into an anti-affinity server group so that one hypervisor failure
   * cannot take both amphorae (Octavia's anti-affinity, Mitaka). Returns the group id.
   */
  abstract createServerGroup(name: string, policy: ServerGroupPolicy): Promise<string>;

  /** Idempotent: a group already gone is fine. */
  abstract deleteServerGroup(serverGroupId: string): Promise<void>;

  /**
   * Failover and VIP moves plug a network port into a running amphora, and unplug it (Octavia's
   * network driver does this through Nova's os-interface API).
   */
  abstract attachPort(computeId: string, portId: string): Promise<void>;

  /** Idempotent: a port no longer attached is fine. */
  abstract detachPort(computeId: string, portId: string): Promise<void>;

  /**
   * A new NIC on `networkId`, its port made by the compute service (deleted with the instance): how
   * Octavia plugs a member network. Returns the port id. Not idempotent by itself: the network driver
   * looks for a NIC on the network first.
   */
  abstract attachNetwork(computeId: string, networkId: string): Promise<string>;

  /**
   * Checks, before anything is built, that what a flavor profile or an availability zone names exists,
   * so a typo is a clear 400 at the API instead of a failed build minutes later (Octavia validates
   * compute flavors, images and zones the same way). Each throws ComputeValidationError when the thing
   * does not exist.
   */
  abstract validateFlavor(flavorId: string): Promise<void>;
  abstract validateImage(imageId: string): Promise<void>;
  abstract validateAvailabilityZone(zone: string): Promise<void>;

  /** Registers a compute flavor (the openstack flavors API's `register`); returns its id. */
  abstract createFlavor(spec: FlavorSpec): Promise<string>;

  /** Idempotent: a flavor already gone is fine. */
  abstract deleteFlavor(flavorId: string): Promise<void>;
}

function byteLength(v: string | Uint8Array): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
}

export function validateBuildRequest(r: BuildRequest): void {
  const type = r.amphoraType ?? AmphoraType.VM;
  if (type !== AmphoraType.VM) {
    throw new ComputeNotImplementedError(`Amphora type ${type} is not supported; only VM is.`);
  }
  const files = Object.entries(r.configDriveFiles ?? {});
  if (files.length > MAX_CONFIG_DRIVE_FILES) {
    throw new AmphoraBuildError(
      `At most ${MAX_CONFIG_DRIVE_FILES} config drive files are allowed, got ${files.length}.`,
      { retryable: false },
    );
  }
  for (const [file, contents] of files) {
    if (typeof contents !== 'string' && !(contents instanceof Uint8Array)) {
      throw new AmphoraBuildError(`Config drive file ${file} must be a string or bytes.`, { retryable: false });
    }
    if (byteLength(contents) > MAX_CONFIG_DRIVE_FILE_BYTES) {
      throw new AmphoraBuildError(
        `Config drive file ${file} is larger than ${MAX_CONFIG_DRIVE_FILE_BYTES} bytes.`,
        { retryable: false },
      );
    }
  }
  if (r.userData !== undefined && typeof r.userData !== 'string' && !(r.userData instanceof Uint8Array)) {
    throw new AmphoraBuildError('User data must be a string or bytes.', { retryable: false });
  }
}
