/**
 * The Nova compute driver: the amphora compute port over OpenStack Compute API v2.1 (microversion
 * pinned in client.ts), Keystone v3 for the token and the catalog, Glance for images found by tag.
 *
 * Every call is one or a few HTTP requests and returns: nothing here waits for a server to become
 * ACTIVE or gone (the flows poll `status`/`getAmphora` from a heartbeating activity).
 *
 * Idempotency, since Temporal retries every step:
 *   - build looks for a server with exactly the requested name first (`GET /servers?name=^<name>$`),
 *     so a build retried after its response was lost returns the first server instead of a second;
 *   - createServerGroup does the same with the group's name;
 *   - delete, deleteServerGroup, deleteFlavor and detachPort treat 404 as done;
 *   - attachPort treats "already attached to this server" as done.
 */
import type { Logger } from '../../../common/logger';
import {
  AmphoraComputeDriver,
  ComputeStatus,
  type AmphoraLookup,
  type BuildRequest,
  type ComputeInstance,
  type FlavorSpec,
  type ServerGroupPolicy,
} from '../port';
import { AmphoraBuildError, AmphoraComputeError, ComputeValidationError, DeleteFailed, InstanceNotFoundError } from '../errors';
import type { ComputeCircuitBreaker } from '../../openstack/breaker';
import type { OpenStackClient } from '../../openstack/client';
import { ServiceCalls } from '../../openstack/service';
import { toComputeError, type ErrorContext } from './errors';
import { OpenStackHttpError } from '../../openstack/http';
import { composeUserData, encodeUserData, UserDataTooLargeError } from './userdata';

/** The tag every amphora server carries (microversion 2.52+), so housekeeping can list ours. */
export const AMPHORA_SERVER_TAG = 'octavia-amphora';

export interface NovaAmphoraSettings {
  /** AMP_BOOT_NETWORK_LIST: networks of a build that names none. Empty: `networks: "none"`. */
  bootNetworkIds: string[];
  /** AMP_SECGROUP_LIST: security groups (names or ids) of a build that names none. */
  securityGroups: string[];
  /** AMP_SSH_KEY_NAME: key pair of a build that names none. */
  sshKeyName?: string | undefined;
  /** AMP_IMAGE_TAG: boot the newest active Glance image with this tag when no image id is chosen. */
  imageTag?: string | undefined;
  /** AMP_IMAGE_OWNER_ID: only images of this project count for the tag lookup. */
  imageOwnerId?: string | undefined;
  /** An image id that means "none chosen" (config/index.ts's AMP_IMAGE_ID default, when a tag is set). */
  placeholderImageId?: string | undefined;
}

export interface NovaDriverOptions {
  client: OpenStackClient;
  breaker: ComputeCircuitBreaker;
  amphora: NovaAmphoraSettings;
  log: Logger;
}

/** The fields of a Nova server we read (GET /servers/{id}). */
interface NovaServer {
  id: string;
  name?: string;
  status?: string;
  fault?: { message?: string; code?: number };
  addresses?: Record<string, Array<{ addr?: string; version?: number; 'OS-EXT-IPS:type'?: string }>>;
  'OS-EXT-AZ:availability_zone'?: string;
  hostId?: string;
  image?: { id?: string } | string;
  flavor?: { id?: string; original_name?: string };
  created?: string;
}

interface InterfaceAttachment {
  port_id?: string;
  net_id?: string;
  fixed_ips?: Array<{ ip_address?: string }>;
}

interface GlanceImage {
  id: string;
  status?: string;
  tags?: string[];
  owner?: string;
  created_at?: string;
}

/** Nova's vm status -> ours. Anything not listed (REBOOT, MIGRATING, RESIZE, PAUSED, ...) is UNKNOWN. */
export function mapNovaStatus(status: string | undefined): ComputeStatus {
  switch (status) {
    case 'BUILD':
      return ComputeStatus.BUILD;
    case 'ACTIVE':
      return ComputeStatus.ACTIVE;
    case 'ERROR':
      return ComputeStatus.ERROR;
    case 'SHUTOFF':
      return ComputeStatus.SHUTOFF;
    case 'DELETED':
    case 'SOFT_DELETED':
      return ComputeStatus.DELETED;
    default:
      return ComputeStatus.UNKNOWN;
  }
}

/** Nova's `name` filter is a regular expression (matched with re.search): anchor it and escape the name. */
export function exactNameFilter(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

export class NovaComputeDriver extends AmphoraComputeDriver {
  readonly name = 'nova';
  private readonly calls: ServiceCalls<ErrorContext>;
  private readonly amp: NovaAmphoraSettings;
  private readonly log: Logger;

  constructor(o: NovaDriverOptions) {
    super();
    this.calls = new ServiceCalls(o, toComputeError);
    this.amp = o.amphora;
    this.log = o.log;
  }

  get circuitState(): 'closed' | 'half-open' | 'open' {
    return this.calls.circuitState;
  }

  close(): void {
    this.calls.close();
  }

  protected async doBuild(request: BuildRequest): Promise<string> {
    const ctx: ErrorContext = { action: `build ${request.name}`, errorClass: AmphoraBuildError };
    return this.calls.guard(ctx, async () => {
      const existing = await this.findByName(request.name);
      if (existing) {
        this.log.info({ computeId: existing, name: request.name }, 'A server with this name exists already: not building another');
        return existing;
      }
      if (!request.flavorId) throw new AmphoraBuildError(`Could not build ${request.name}: no compute flavor given.`, { retryable: false });
      const imageRef = await this.chooseImage(request);

      let userData: string | undefined;
      try {
        userData = encodeUserData(composeUserData(request.userData, request.configDriveFiles));
      } catch (err) {
        if (err instanceof UserDataTooLargeError) {
          throw new AmphoraBuildError(`Could not build ${request.name}: ${err.message}`, { retryable: false, cause: err });
        }
        throw err;
      }
      const networkIds = request.networkIds?.length ? request.networkIds : this.amp.bootNetworkIds;
      const securityGroups = request.securityGroups?.length ? request.securityGroups : this.amp.securityGroups;
      const keyName = request.keyName ?? this.amp.sshKeyName;
      const server: Record<string, unknown> = {
        name: request.name,
        flavorRef: request.flavorId,
        imageRef,
        networks: networkIds.length ? networkIds.map((uuid) => ({ uuid })) : 'none',
        config_drive: true,
        tags: [AMPHORA_SERVER_TAG],
      };
      if (keyName) server.key_name = keyName;
      if (securityGroups.length) server.security_groups = securityGroups.map((name) => ({ name }));
      if (userData !== undefined) server.user_data = userData;
      if (request.metadata && Object.keys(request.metadata).length) server.metadata = request.metadata;
      if (request.availabilityZone) server.availability_zone = request.availabilityZone;
      const body: Record<string, unknown> = { server };
      if (request.serverGroupId) body['os:scheduler_hints'] = { group: request.serverGroupId };

      const res = await this.calls.request<{ server?: { id?: string } }>('compute', 'POST', '/servers', { body });
      const id = res?.server?.id;
      if (!id) throw new AmphoraBuildError(`Could not build ${request.name}: Nova answered without a server id.`);
      this.log.info({ computeId: id, name: request.name, flavorId: request.flavorId, imageId: imageRef }, 'Amphora server requested');
      return id;
    });
  }

  async delete(computeId: string): Promise<void> {
    await this.calls.guard({ action: `delete server ${computeId}`, errorClass: DeleteFailed, computeId }, async () => {
      await this.calls.ignore404(() => this.calls.request('compute', 'DELETE', `/servers/${encodeURIComponent(computeId)}`));
    });
  }

  async status(computeId: string): Promise<ComputeStatus> {
    const server = await this.calls.guard({ action: `get server ${computeId}`, computeId, notFound: 'instance' }, () => this.showServer(computeId));
    return mapNovaStatus(server.status);
  }

  async getAmphora(lookup: AmphoraLookup): Promise<ComputeInstance> {
    const what = 'id' in lookup ? `server ${lookup.id}` : `server named ${lookup.name}`;
    const computeId = 'id' in lookup ? lookup.id : undefined;
    return this.calls.guard({ action: `get ${what}`, computeId, notFound: 'instance' }, async () => {
      let id = computeId;
      if (id === undefined) {
        const name = (lookup as { name: string }).name;
        id = await this.findByName(name);
        if (!id) throw new InstanceNotFoundError(`No compute instance with name ${name}.`);
      }
      return this.describe(await this.showServer(id));
    });
  }

  async createServerGroup(name: string, policy: ServerGroupPolicy): Promise<string> {
    return this.calls.guard({ action: `create server group ${name}` }, async () => {
      // A retried create finds the group its lost response made.
      const groups = await this.calls.request<{ server_groups?: Array<{ id: string; name?: string; policy?: string }> }>(
        'compute',
        'GET',
        '/os-server-groups',
      );
      const existing = groups?.server_groups?.find((g) => g.name === name && (g.policy === undefined || g.policy === policy));
      if (existing) return existing.id;
      const res = await this.calls.request<{ server_group?: { id?: string } }>('compute', 'POST', '/os-server-groups', {
        body: { server_group: { name, policy } },
      });
      const id = res?.server_group?.id;
      if (!id) throw new AmphoraComputeError(`Could not create server group ${name}: Nova answered without an id.`);
      this.log.info({ serverGroupId: id, name, policy }, 'Server group created');
      return id;
    });
  }

  async deleteServerGroup(serverGroupId: string): Promise<void> {
    await this.calls.guard({ action: `delete server group ${serverGroupId}` }, async () => {
      await this.calls.ignore404(() => this.calls.request('compute', 'DELETE', `/os-server-groups/${encodeURIComponent(serverGroupId)}`));
    });
  }

  async attachPort(computeId: string, portId: string): Promise<void> {
    const path = `/servers/${encodeURIComponent(computeId)}/os-interface`;
    await this.calls.guard({ action: `attach port ${portId} to server ${computeId}`, computeId }, async () => {
      try {
        await this.calls.request('compute', 'POST', path, { body: { interfaceAttachment: { port_id: portId } } });
      } catch (err) {
        if (!(err instanceof OpenStackHttpError)) throw err;
        if (err.status === 404 && !/\bport\b/i.test(err.detail)) {
          throw new InstanceNotFoundError(`Could not attach port ${portId}: Nova answered 404: ${err.detail}`, { computeId, cause: err });
        }
        // A retried attach whose first answer was lost: the port is there already.
        if ((err.status === 400 || err.status === 409) && (await this.attachedPorts(computeId)).includes(portId)) return;
        throw err;
      }
    });
  }

  async attachNetwork(computeId: string, networkId: string): Promise<string> {
    const path = `/servers/${encodeURIComponent(computeId)}/os-interface`;
    return this.calls.guard({ action: `attach network ${networkId} to server ${computeId}`, computeId }, async () => {
      const res = await this.calls.request<{ interfaceAttachment?: { port_id?: string } }>('compute', 'POST', path, {
        body: { interfaceAttachment: { net_id: networkId } },
      });
      const portId = res?.interfaceAttachment?.port_id;
      if (!portId) throw new Error(`Nova answered the attach of network ${networkId} without a port.`);
      return portId;
    });
  }

  async detachPort(computeId: string, portId: string): Promise<void> {
    await this.calls.guard({ action: `detach port ${portId} from server ${computeId}`, computeId }, async () => {
      await this.calls.ignore404(() =>
        this.calls.request('compute', 'DELETE', `/servers/${encodeURIComponent(computeId)}/os-interface/${encodeURIComponent(portId)}`),
      );
    });
  }

  async validateFlavor(flavorId: string): Promise<void> {
    await this.calls.guard({ action: `find compute flavor ${flavorId}`, notFound: 'validation' }, async () => {
      await this.calls.request('compute', 'GET', `/flavors/${encodeURIComponent(flavorId)}`);
    });
  }

  async validateImage(imageId: string): Promise<void> {
    await this.calls.guard({ action: `find image ${imageId}`, notFound: 'validation' }, async () => {
      // The "none chosen" placeholder stands for the tag lookup a build would do.
      if (this.amp.imageTag && imageId === this.amp.placeholderImageId) {
        if (!(await this.newestTaggedImage(this.amp.imageTag))) throw new ComputeValidationError(`The image: ${this.noTaggedImage(this.amp.imageTag)}`);
        return;
      }
      const image = await this.calls.request<{ status?: string }>('image', 'GET', `/images/${encodeURIComponent(imageId)}`);
      if (image?.status !== undefined && image.status !== 'active') {
        throw new ComputeValidationError(`The image ${imageId} is not usable (status ${image.status}).`);
      }
    });
  }

  async validateAvailabilityZone(zone: string): Promise<void> {
    await this.calls.guard({ action: `find availability zone ${zone}` }, async () => {
      const res = await this.calls.request<{ availabilityZoneInfo?: Array<{ zoneName?: string; zoneState?: { available?: boolean } }> }>(
        'compute',
        'GET',
        '/os-availability-zone',
      );
      const found = res?.availabilityZoneInfo?.find((z) => z.zoneName === zone);
      if (!found) throw new ComputeValidationError(`The compute availability zone ${zone} does not exist.`);
      if (found.zoneState?.available === false) throw new ComputeValidationError(`The compute availability zone ${zone} is not available.`);
    });
  }

  async createFlavor(spec: FlavorSpec): Promise<string> {
    return this.calls.guard({ action: `create compute flavor ${spec.name}` }, async () => {
      const res = await this.calls.request<{ flavor?: { id?: string } }>('compute', 'POST', '/flavors', {
        body: {
          flavor: { name: spec.name, ram: spec.ram, vcpus: spec.vcpus, disk: spec.disk, 'os-flavor-access:is_public': spec.isPublic ?? true },
        },
      });
      const id = res?.flavor?.id;
      if (!id) throw new AmphoraComputeError(`Could not create compute flavor ${spec.name}: Nova answered without an id.`);
      if (spec.extraSpecs && Object.keys(spec.extraSpecs).length) {
        try {
          await this.calls.request('compute', 'POST', `/flavors/${encodeURIComponent(id)}/os-extra_specs`, {
            body: { extra_specs: spec.extraSpecs },
          });
        } catch (err) {
          // No half-made flavor: remove it, then report the extra specs' failure.
          await this.deleteFlavor(id).catch((cleanup: unknown) =>
            this.log.warn({ flavorId: id, err: cleanup }, 'Could not delete a flavor whose extra specs failed'),
          );
          throw toComputeError(err, { action: `set the extra specs of compute flavor ${spec.name}` });
        }
      }
      this.log.info({ flavorId: id, name: spec.name }, 'Compute flavor created');
      return id;
    });
  }

  async deleteFlavor(flavorId: string): Promise<void> {
    await this.calls.guard({ action: `delete compute flavor ${flavorId}` }, async () => {
      await this.calls.ignore404(() => this.calls.request('compute', 'DELETE', `/flavors/${encodeURIComponent(flavorId)}`));
    });
  }

  // --- helpers ---

  private async showServer(id: string): Promise<NovaServer> {
    const res = await this.calls.request<{ server?: NovaServer }>('compute', 'GET', `/servers/${encodeURIComponent(id)}`);
    if (!res?.server) throw new AmphoraComputeError(`Nova answered GET /servers/${id} without a server.`, { computeId: id });
    return res.server;
  }

  /** The id of the (oldest) live server named exactly `name`, if any. */
  private async findByName(name: string): Promise<string | undefined> {
    const res = await this.calls.request<{ servers?: Array<{ id: string; name?: string; status?: string; created?: string }> }>(
      'compute',
      'GET',
      '/servers',
      { query: { name: exactNameFilter(name) } },
    );
    const matches = (res?.servers ?? [])
      .filter((s) => s.name === name && mapNovaStatus(s.status) !== ComputeStatus.DELETED)
      .sort((a, b) => (a.created ?? '').localeCompare(b.created ?? ''));
    if (matches.length > 1) this.log.warn({ name, computeIds: matches.map((s) => s.id) }, 'Several servers have this name: using the oldest');
    return matches[0]?.id;
  }

  /**
   * The image to boot: the one the request names, unless it is the "none chosen" placeholder and a
   * tag is configured; then the newest active image with AMP_IMAGE_TAG (owned by AMP_IMAGE_OWNER_ID
   * when set), as Octavia's amp_image_tag.
   */
  private async chooseImage(request: BuildRequest): Promise<string> {
    const chosen = request.imageId && request.imageId !== this.amp.placeholderImageId ? request.imageId : undefined;
    if (chosen) return chosen;
    if (!this.amp.imageTag) {
      throw new AmphoraBuildError(`Could not build ${request.name}: no image id given and AMP_IMAGE_TAG is not set.`, { retryable: false });
    }
    const found = await this.newestTaggedImage(this.amp.imageTag);
    if (!found) throw new AmphoraBuildError(`Could not build ${request.name}: ${this.noTaggedImage(this.amp.imageTag)}`, { retryable: false });
    return found;
  }

  private noTaggedImage(tag: string): string {
    return `no active image with tag ${tag}${this.amp.imageOwnerId ? ` owned by ${this.amp.imageOwnerId}` : ''}.`;
  }

  /** The newest active Glance image with `tag` (and AMP_IMAGE_OWNER_ID as owner, when set). */
  private async newestTaggedImage(tag: string): Promise<string | undefined> {
    const res = await this.calls.request<{ images?: GlanceImage[] }>('image', 'GET', '/images', {
      query: { tag, status: 'active', owner: this.amp.imageOwnerId, sort_key: 'created_at', sort_dir: 'desc' },
    });
    return (res?.images ?? [])
      .filter((i) => (i.status ?? 'active') === 'active' && (!i.tags || i.tags.includes(tag)))
      .filter((i) => !this.amp.imageOwnerId || i.owner === undefined || i.owner === this.amp.imageOwnerId)
      .sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))[0]?.id;
  }

  private async attachedPorts(computeId: string): Promise<string[]> {
    return (await this.interfaces(computeId)).map((a) => a.port_id).filter((p): p is string => typeof p === 'string');
  }

  private async interfaces(computeId: string): Promise<InterfaceAttachment[]> {
    const res = await this.calls.request<{ interfaceAttachments?: InterfaceAttachment[] }>(
      'compute',
      'GET',
      `/servers/${encodeURIComponent(computeId)}/os-interface`,
    );
    return res?.interfaceAttachments ?? [];
  }

  private async describe(s: NovaServer): Promise<ComputeInstance> {
    const status = mapNovaStatus(s.status);
    const image = typeof s.image === 'object' && s.image ? s.image.id : undefined;
    const instance: ComputeInstance = {
      id: s.id,
      name: s.name ?? '',
      status,
      lbNetworkIp: await this.lbNetworkIp(s, status),
      imageId: image,
      flavorId: s.flavor?.id,
      availabilityZone: s['OS-EXT-AZ:availability_zone'] || undefined,
      hostId: s.hostId || undefined,
    };
    if (s.fault?.message) instance.fault = s.fault.message;
    return instance;
  }

  /**
   * The amphora's address on the boot (management) network. Nova keys `addresses` by network name,
   * not id, so for an ACTIVE server with boot networks configured the interface list says which port
   * is on the first boot network (as Octavia does). Otherwise, or if that list cannot be had, the
   * first fixed address of the server.
   */
  private async lbNetworkIp(s: NovaServer, status: ComputeStatus): Promise<string | undefined> {
    const boot = this.amp.bootNetworkIds[0];
    if (boot && s.addresses?.[boot]?.[0]?.addr) return s.addresses[boot][0].addr;
    if (boot && status === ComputeStatus.ACTIVE) {
      try {
        const onBoot = (await this.interfaces(s.id)).find((a) => a.net_id === boot);
        const ip = onBoot?.fixed_ips?.[0]?.ip_address;
        if (ip) return ip;
      } catch (err) {
        this.log.debug({ computeId: s.id, err }, 'Could not list the interfaces of the server: using its first address');
      }
    }
    const all = Object.values(s.addresses ?? {}).flat();
    return (all.find((a) => a['OS-EXT-IPS:type'] !== 'floating') ?? all[0])?.addr;
  }
}
