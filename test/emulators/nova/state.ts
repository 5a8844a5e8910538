/**
 * Everything the emulated cloud knows: Keystone's users, projects and tokens; Glance's images; the
 * Neutron objects Nova looks up (networks, ports, security groups: modelled here, or asked of the
 * Neutron emulator when one is mounted, see network.ts); Nova's flavors, key pairs, server groups and
 * servers.
 *
 * Servers move through time lazily: every state change is an event with a due time, and `tick()` (run
 * at the start of every request) applies the events that are due, in time order. Nothing runs on a
 * timer, so stopping the emulator leaves nothing behind.
 *
 * One compute host, `novaref-compute` in availability zone `nova`, as in the recordings: a second
 * member of an anti-affinity group cannot be placed (33/34-*.json).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { generateEd25519PublicKey, sshFingerprint } from './keys';
import type { NetworkBackend } from './network';

export const HOST = 'novaref-compute';
export const AVAILABILITY_ZONE = 'nova';
export const REGION = 'RegionOne';

export const IDS = {
  defaultDomain: 'default',
  serviceProject: 'fad0d44366844c669658c02f6cbedfdc',
  adminProject: '543fa6a99d544893b9c8c18b0ff9dd7a',
  demoProject: '3f9c1e7a2b5d4c8e9a0f1b2c3d4e5f6a',
  octaviaUser: '4805df25f67140b2a8c82dcc0b61bb08',
  demoUser: '9d8c7b6a5f4e4d3c8b2a1f0e9d8c7b6a',
  otherProject: '7a6b5c4d3e2f41a0b9c8d7e6f5a4b3c2',
  roles: {
    reader: 'bc7bb2110699480296d9b68cf5c836e1',
    member: 'add8f9d27798458399683e3d28ed1f29',
    admin: 'b523ed99947448e0a95ebdd9d3bcdb6b',
    // Octavia's RBAC personas (for the load-balancer API's keystone mode).
    'load-balancer_observer': '0b1f5a1c3d2e4f60a7b8c9d0e1f2a3b4',
    'load-balancer_global_observer': '1c2f6b2d4e3f4071b8c9d0e1f2a3b4c5',
    'load-balancer_member': '2d3a7c3e5f404182c9d0e1f2a3b4c5d6',
    'load-balancer_admin': '3e4b8d4f60514293d0e1f2a3b4c5d6e7',
    'load-balancer_quota_admin': '4f5c9e5a71624304e1f2a3b4c5d6e7f8',
  },
  tinyImage: 'a6546223-3b2b-4707-a9f3-5baa03b3d68b',
  amphoraImage: '4b8e1c2a-7f3d-4e5a-9b6c-0d1e2f3a4b5c',
  tinyFlavor: '1',
  smallFlavor: '2',
  nanoFlavor: '42',
  amphoraFlavor: '8e7a3c1d-5b2f-4c9e-a6d4-3f2e1b0c9d8a',
  mgmtNetwork: 'd1a2b3c4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  mgmtSubnet: 'e2b3c4d5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
  defaultSecurityGroup: 'f3c4d5e6-a7b8-4c9d-8e0f-2a3b4c5d6e7f',
  mgmtSecurityGroup: 'a4d5e6f7-b8c9-4d0e-9f1a-3b4c5d6e7f80',
} as const;

export const OCTAVIA_KEY_NAME = 'octavia_ssh_key';

export type RoleName = keyof (typeof IDS)['roles'];

export interface Project {
  id: string;
  name: string;
  domainId: string;
}

export interface User {
  id: string;
  name: string;
  password: string;
  domainId: string;
  /** project id -> roles (implied roles included, as Keystone lists them in tokens). */
  roles: Record<string, RoleName[]>;
}

export interface Token {
  id: string;
  userId: string;
  projectId: string | null;
  roles: RoleName[];
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  auditIds: string[];
  revoked: boolean;
}

export interface Image {
  id: string;
  name: string;
  status: string;
  visibility: string;
  tags: string[];
  owner: string;
  diskFormat: string;
  containerFormat: string;
  size: number;
  virtualSize: number;
  checksum: string;
  osHashValue: string;
  minRam: number;
  minDisk: number;
  hidden: boolean;
  createdAt: string;
  updatedAt: string;
  properties: Record<string, string>;
}

export interface Flavor {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  rxtxFactor: number;
  isPublic: boolean;
  disabled: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
  createdAt: number;
}

/** What a server keeps of its flavor (Nova copies the flavor into the instance at boot). */
export interface FlavorSnapshot {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  extraSpecs: Record<string, string>;
}

export interface KeyPair {
  id: number;
  name: string;
  userId: string;
  publicKey: string;
  fingerprint: string;
  type: string;
  createdAt: number;
}

export interface ServerGroup {
  id: string;
  name: string;
  policy: string;
  rules: Record<string, number>;
  projectId: string;
  userId: string;
  members: string[];
}

export interface Network {
  id: string;
  name: string;
  subnetId: string;
  /** First three octets of the /24, e.g. "192.168.0." */
  prefix: string;
  nextHost: number;
}

export interface Port {
  id: string;
  networkId: string;
  subnetId: string;
  ip: string;
  macAddress: string;
  deviceId: string;
  /** Made by Nova for a `networks: [{uuid}]` request: deleted with the server. */
  ownedByNova: boolean;
  tag: string | null;
  /** Neutron's status, when a Neutron is mounted (else os-interface says ACTIVE). */
  status?: string;
}

export interface SecurityGroup {
  id: string;
  name: string;
}

export interface Fault {
  code: number;
  created: number;
  message: string;
  details: string;
}

export type NetworkRequest = { networkId?: string; portId?: string; fixedIp?: string; tag?: string };

export type EventKind = 'schedule' | 'spawned' | 'deleted' | 'stopped' | 'started' | 'rebooted';

export interface Server {
  id: string;
  name: string;
  projectId: string;
  userId: string;
  createdAt: number;
  updatedAt: number;
  imageId: string;
  flavor: FlavorSnapshot;
  metadata: Record<string, string>;
  keyName: string | null;
  userData: string | null;
  configDrive: string;
  availabilityZone: string;
  description: string | null;
  tags: string[];
  accessIPv4: string;
  accessIPv6: string;
  diskConfig: 'AUTO' | 'MANUAL';
  vmState: string;
  taskState: string | null;
  powerState: number;
  host: string | null;
  instanceName: string;
  /** 'cell1' once scheduled, 'cell0' when scheduling failed, null while a build request. */
  cell: 'cell0' | 'cell1' | null;
  launchedAt: number | null;
  terminatedAt: number | null;
  reservationId: string;
  launchIndex: number;
  hostname: string;
  rootDeviceName: string | null;
  fault: Fault | null;
  groupId: string | null;
  networkRequest: 'none' | 'auto' | NetworkRequest[];
  securityGroups: string[];
  portIds: string[];
  volumes: Array<{ id: string; deleteOnTermination: boolean }>;
  deleted: boolean;
  locked: boolean;
  lockedReason: string | null;
  events: Array<{ at: number; kind: EventKind }>;
  failNoValidHost: boolean;
}

export const NO_VALID_HOST_MESSAGE = 'No valid host was found. There are not enough hosts available.';

/** The fault details Nova 26 stored for NoValidHost (34-server-get-ERROR-novalidhost.json). */
export const NO_VALID_HOST_DETAILS = [
  'Traceback (most recent call last):',
  '  File "/usr/lib/python3/dist-packages/nova/conductor/manager.py", line 1587, in schedule_and_build_instances',
  '    host_lists = self._schedule_instances(context, request_specs[0],',
  '                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/nova/conductor/manager.py", line 940, in _schedule_instances',
  '    host_lists = self.query_client.select_destinations(',
  '                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/nova/scheduler/client/query.py", line 41, in select_destinations',
  '    return self.scheduler_rpcapi.select_destinations(context, spec_obj,',
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/nova/scheduler/rpcapi.py", line 160, in select_destinations',
  "    return cctxt.call(ctxt, 'select_destinations', **msg_args)",
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/oslo_messaging/rpc/client.py", line 190, in call',
  '    result = self.transport._send(',
  '             ^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/oslo_messaging/transport.py", line 123, in _send',
  '    return self._driver.send(target, ctxt, message,',
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/oslo_messaging/_drivers/amqpdriver.py", line 689, in send',
  '    return self._send(target, ctxt, message, wait_for_reply, timeout,',
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3/dist-packages/oslo_messaging/_drivers/amqpdriver.py", line 681, in _send',
  '    raise result',
  `nova.exception_Remote.NoValidHost_Remote: ${NO_VALID_HOST_MESSAGE}`,
  'Traceback (most recent call last):',
  '',
  '  File "/usr/lib/python3/dist-packages/oslo_messaging/rpc/server.py", line 244, in inner',
  '    return func(*args, **kwargs)',
  '           ^^^^^^^^^^^^^^^^^^^^^',
  '',
  '  File "/usr/lib/python3/dist-packages/nova/scheduler/manager.py", line 223, in select_destinations',
  '    selections = self._select_destinations(',
  '                 ^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '',
  '  File "/usr/lib/python3/dist-packages/nova/scheduler/manager.py", line 250, in _select_destinations',
  '    selections = self._schedule(',
  '                 ^^^^^^^^^^^^^^^',
  '',
  '  File "/usr/lib/python3/dist-packages/nova/scheduler/manager.py", line 416, in _schedule',
  '    self._ensure_sufficient_hosts(',
  '',
  '  File "/usr/lib/python3/dist-packages/nova/scheduler/manager.py", line 455, in _ensure_sufficient_hosts',
  '    raise exception.NoValidHost(reason=reason)',
  '',
  `nova.exception.NoValidHost: ${NO_VALID_HOST_MESSAGE}`,
  '',
  '',
].join('\n');

/** Keystone-style hex id. */
export const hexId = (): string => randomBytes(16).toString('hex');

/** "2026-11-22T02:02:59Z" (nova utils.isotime). */
export function isoZ(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** "2026-11-22T02:03:00.000000" (a naive datetime from the database, str()'d). */
export function isoMicro(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '.000000');
}

/** nova.utils.generate_uid('r'). */
function reservationId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(8);
  return `r-${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** nova.utils.sanitize_hostname. */
export function sanitizeHostname(name: string, fallback: string): string {
  let h = [...name].filter((c) => (c.codePointAt(0) ?? 0) <= 0xff).join('');
  h = h.slice(0, 63);
  h = h.replace(/[ _.]/g, '-');
  h = h.replace(/[^\w.-]+/g, '');
  h = h.toLowerCase();
  h = h.replace(/^[.-]+|[.-]+$/g, '');
  return h === '' ? fallback.slice(0, 63) : h;
}

function macAddress(): string {
  const b = randomBytes(3);
  return ['fa', '16', '3e', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

export interface StateOptions {
  bootMs: number;
  deleteMs: number;
  actionMs: number;
  tokenTtlSeconds: number;
  strictPorts: boolean;
  /** A Neutron to ask instead of the stand-in networks and ports below. */
  network?: NetworkBackend;
}

export class CloudState {
  readonly projects = new Map<string, Project>();
  readonly users = new Map<string, User>();
  readonly tokens = new Map<string, Token>();
  readonly images = new Map<string, Image>();
  readonly flavors = new Map<string, Flavor>();
  readonly keypairs: KeyPair[] = [];
  readonly serverGroups = new Map<string, ServerGroup>();
  readonly servers = new Map<string, Server>();
  readonly networks = new Map<string, Network>();
  readonly ports = new Map<string, Port>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  /** Builds whose result is decided at create time from now on (faults.buildFailsNoValidHost). */
  buildFailsNoValidHost = false;
  private cell0Ids = 0;
  private cell1Ids = 0;
  private keypairIds = 0;

  constructor(readonly opts: StateOptions) {
    this.seed();
  }

  private seed(): void {
    const now = Date.now();
    for (const p of [
      { id: IDS.serviceProject, name: 'service' },
      { id: IDS.adminProject, name: 'admin' },
      { id: IDS.demoProject, name: 'demo' },
      { id: IDS.otherProject, name: 'other' },
    ]) {
      this.projects.set(p.id, { ...p, domainId: IDS.defaultDomain });
    }
    this.users.set(IDS.octaviaUser, {
      id: IDS.octaviaUser,
      name: 'octavia',
      password: 'octavia-pass',
      domainId: IDS.defaultDomain,
      roles: { [IDS.serviceProject]: ['reader', 'member', 'admin'] },
    });
    this.users.set(IDS.demoUser, {
      id: IDS.demoUser,
      name: 'demo',
      password: 'demo-pass',
      domainId: IDS.defaultDomain,
      // Member in its own project, and in 'service' so that a member can read the service project's
      // servers (50-server-get-as-member-same-project.json).
      roles: { [IDS.demoProject]: ['reader', 'member'], [IDS.serviceProject]: ['reader', 'member'] },
    });

    // One user per Octavia persona (password = name), in project 'demo'; lb-other is a member of 'other'.
    const personas: [string, string, RoleName[]][] = [
      ['lb-observer', IDS.demoProject, ['reader', 'load-balancer_observer']],
      ['lb-global-observer', IDS.demoProject, ['reader', 'load-balancer_global_observer']],
      ['lb-member', IDS.demoProject, ['reader', 'member', 'load-balancer_member']],
      ['lb-admin', IDS.demoProject, ['reader', 'member', 'load-balancer_admin']],
      ['lb-other', IDS.otherProject, ['reader', 'member', 'load-balancer_member']],
      ['no-lb-role', IDS.demoProject, ['reader', 'member']],
      ['lb-quota-admin', IDS.demoProject, ['reader', 'load-balancer_quota_admin']],
      // The cloud's admin role in a project: an admin of the load-balancer API too (context_is_admin).
      ['os-admin', IDS.demoProject, ['reader', 'member', 'admin']],
    ];
    for (const [name, project, roles] of personas) {
      const id = createHash('md5').update(name).digest('hex');
      this.users.set(id, { id, name, password: name, domainId: IDS.defaultDomain, roles: { [project]: roles } });
    }

    this.images.set(IDS.tinyImage, {
      id: IDS.tinyImage,
      name: 'novaref-tiny',
      status: 'active',
      visibility: 'public',
      tags: [],
      owner: IDS.adminProject,
      diskFormat: 'raw',
      containerFormat: 'bare',
      size: 65536,
      virtualSize: 65536,
      checksum: '48bdef959c517342222262918ed9d2ee',
      osHashValue:
        '5a881f6bfcf5b02dde2bf981b8591146c68ad846a3819db7f91b687440ef04743eaf90fde6fdb83cb792533363781eab5a3c624a22ced7622eaf1d4823cbf1e1',
      minRam: 0,
      minDisk: 0,
      hidden: false,
      createdAt: '2026-11-22T02:00:19Z',
      updatedAt: '2026-11-22T02:00:19Z',
      properties: {},
    });
    this.images.set(IDS.amphoraImage, {
      id: IDS.amphoraImage,
      name: 'amphora-x64-haproxy',
      status: 'active',
      visibility: 'private',
      tags: ['amphora'],
      owner: IDS.serviceProject,
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      size: 356777984,
      virtualSize: 2147483648,
      checksum: 'c1e8f0a2b3d4e5f60718293a4b5c6d7e',
      osHashValue:
        '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
      minRam: 0,
      minDisk: 0,
      hidden: false,
      createdAt: '2026-11-22T01:58:02Z',
      updatedAt: '2026-11-22T01:58:09Z',
      properties: { hw_architecture: 'x86_64', hw_rng_model: 'virtio' },
    });

    const flavor = (id: string, name: string, ram: number, disk: number, vcpus: number, isPublic = true): Flavor => ({
      id,
      name,
      ram,
      vcpus,
      disk,
      ephemeral: 0,
      swap: 0,
      rxtxFactor: 1.0,
      isPublic,
      disabled: false,
      description: null,
      extraSpecs: {},
      createdAt: now,
    });
    this.flavors.set(IDS.tinyFlavor, flavor(IDS.tinyFlavor, 'm1.tiny', 512, 1, 1));
    this.flavors.set(IDS.smallFlavor, flavor(IDS.smallFlavor, 'm1.small', 2048, 20, 1));
    this.flavors.set(IDS.nanoFlavor, flavor(IDS.nanoFlavor, 'm1.nano', 128, 1, 1));
    this.flavors.set(IDS.amphoraFlavor, flavor(IDS.amphoraFlavor, 'm1.amphora', 1024, 3, 1, false));

    this.networks.set(IDS.mgmtNetwork, {
      id: IDS.mgmtNetwork,
      name: 'lb-mgmt-net',
      subnetId: IDS.mgmtSubnet,
      prefix: '192.168.0.',
      nextHost: 10,
    });
    this.securityGroups.set(IDS.defaultSecurityGroup, { id: IDS.defaultSecurityGroup, name: 'default' });
    this.securityGroups.set(IDS.mgmtSecurityGroup, { id: IDS.mgmtSecurityGroup, name: 'lb-mgmt-sec-grp' });

    const publicKey = generateEd25519PublicKey('octavia@emulator');
    this.keypairs.push({
      id: ++this.keypairIds,
      name: OCTAVIA_KEY_NAME,
      userId: IDS.octaviaUser,
      publicKey,
      fingerprint: sshFingerprint(publicKey) ?? '',
      type: 'ssh',
      createdAt: now,
    });
  }

  // --- Neutron-ish ---------------------------------------------------------------------------------

  addNetwork(name: string, id: string = randomUUID()): Network {
    const n = this.networks.size;
    const net: Network = { id, name, subnetId: randomUUID(), prefix: `10.${(n % 250) + 1}.0.`, nextHost: 10 };
    this.networks.set(id, net);
    return net;
  }

  /** A port made in "Neutron" (unbound), for `networks: [{port}]` or os-interface attach. */
  addPort(networkId: string = IDS.mgmtNetwork, id: string = randomUUID()): Port {
    const net = this.networks.get(networkId) ?? this.addNetwork(`net-${networkId.slice(0, 8)}`, networkId);
    const port: Port = {
      id,
      networkId: net.id,
      subnetId: net.subnetId,
      ip: `${net.prefix}${net.nextHost++}`,
      macAddress: macAddress(),
      deviceId: '',
      ownedByNova: false,
      tag: null,
    };
    this.ports.set(id, port);
    return port;
  }

  addSecurityGroup(name: string, id: string = randomUUID()): SecurityGroup {
    const sg = { id, name };
    this.securityGroups.set(id, sg);
    return sg;
  }

  hasNetwork(id: string): boolean {
    return this.networks.has(id) || this.opts.network?.network(id) !== undefined;
  }

  networkName(id: string): string | undefined {
    return this.networks.get(id)?.name ?? this.opts.network?.network(id)?.name;
  }

  /**
   * A port by id: with a Neutron mounted, as Neutron has it now (Nova's copy, used by its views, is
   * refreshed from it; a port Neutron no longer has is forgotten).
   */
  findPort(id: string): Port | undefined {
    const backend = this.opts.network;
    if (!backend) return this.ports.get(id);
    const there = backend.port(id);
    if (!there) {
      this.ports.delete(id);
      return undefined;
    }
    const { id: _id, ...fields } = there;
    const port = this.ports.get(id) ?? { id, ownedByNova: false, tag: null, ...fields };
    Object.assign(port, fields);
    this.ports.set(id, port);
    return port;
  }

  /** The port becomes the server's (Neutron rewrites it: see network.ts). */
  plugPort(port: Port, server: Server): void {
    port.deviceId = server.id;
    this.opts.network?.bindPort(port.id, server.id, server.host ?? HOST);
  }

  /** Detach or server delete: a port Nova made goes, another is released. */
  unplugPort(port: Port): void {
    if (port.ownedByNova) {
      this.ports.delete(port.id);
      this.opts.network?.deletePort(port.id);
    } else {
      port.deviceId = '';
      this.opts.network?.unbindPort(port.id);
    }
  }

  findSecurityGroup(nameOrId: string): SecurityGroup | undefined {
    return this.securityGroups.get(nameOrId) ?? [...this.securityGroups.values()].find((g) => g.name === nameOrId);
  }

  // --- Keystone ------------------------------------------------------------------------------------

  issueToken(user: User, projectId: string | null, methods: string[]): Token {
    const now = Date.now();
    const token: Token = {
      id: `gAAAAA${randomBytes(132).toString('base64url')}`.slice(0, 183),
      userId: user.id,
      projectId,
      roles: projectId ? [...(user.roles[projectId] ?? [])] : [],
      methods,
      issuedAt: now,
      expiresAt: now + this.opts.tokenTtlSeconds * 1000,
      auditIds: [randomBytes(16).toString('base64url').slice(0, 22)],
      revoked: false,
    };
    this.tokens.set(token.id, token);
    return token;
  }

  /** The token if it is valid now. */
  validToken(id: string | undefined): Token | undefined {
    if (!id) return undefined;
    const t = this.tokens.get(id);
    if (!t || t.revoked || t.expiresAt <= Date.now()) return undefined;
    return t;
  }

  expireTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  // --- Nova ----------------------------------------------------------------------------------------

  nextKeypairId(): number {
    return ++this.keypairIds;
  }

  newServer(fields: {
    name: string;
    projectId: string;
    userId: string;
    imageId: string;
    flavor: Flavor;
    metadata: Record<string, string>;
    keyName: string | null;
    userData: string | null;
    configDrive: boolean;
    availabilityZone: string;
    description: string | null;
    tags: string[];
    accessIPv4: string;
    accessIPv6: string;
    diskConfig: 'AUTO' | 'MANUAL';
    groupId: string | null;
    networkRequest: 'none' | 'auto' | NetworkRequest[];
    securityGroups: string[];
    volumes: Array<{ id: string; deleteOnTermination: boolean }>;
    reservationId?: string;
    launchIndex: number;
  }): Server {
    const now = Date.now();
    const id = randomUUID();
    const server: Server = {
      id,
      name: fields.name,
      projectId: fields.projectId,
      userId: fields.userId,
      createdAt: now,
      updatedAt: now,
      imageId: fields.imageId,
      flavor: {
        id: fields.flavor.id,
        name: fields.flavor.name,
        ram: fields.flavor.ram,
        vcpus: fields.flavor.vcpus,
        disk: fields.flavor.disk,
        ephemeral: fields.flavor.ephemeral,
        swap: fields.flavor.swap,
        extraSpecs: { ...fields.flavor.extraSpecs },
      },
      metadata: fields.metadata,
      keyName: fields.keyName,
      userData: fields.userData,
      configDrive: fields.configDrive ? 'True' : '',
      availabilityZone: fields.availabilityZone,
      description: fields.description,
      tags: fields.tags,
      accessIPv4: fields.accessIPv4,
      accessIPv6: fields.accessIPv6,
      diskConfig: fields.diskConfig,
      vmState: 'building',
      taskState: 'scheduling',
      powerState: 0,
      host: null,
      instanceName: '',
      cell: null,
      launchedAt: null,
      terminatedAt: null,
      reservationId: fields.reservationId ?? reservationId(),
      launchIndex: fields.launchIndex,
      hostname: sanitizeHostname(fields.name, `Server-${id}`),
      rootDeviceName: null,
      fault: null,
      groupId: fields.groupId,
      networkRequest: fields.networkRequest,
      securityGroups: fields.securityGroups,
      portIds: [],
      volumes: fields.volumes,
      deleted: false,
      locked: false,
      lockedReason: null,
      events: [
        { at: now + Math.floor(this.opts.bootMs / 2), kind: 'schedule' },
        { at: now + this.opts.bootMs, kind: 'spawned' },
      ],
      failNoValidHost: this.buildFailsNoValidHost,
    };
    this.servers.set(id, server);
    if (fields.groupId) this.serverGroups.get(fields.groupId)?.members.push(id);
    return server;
  }

  newReservationId(): string {
    return reservationId();
  }

  /** Applies every due server event, earliest first. */
  tick(now: number = Date.now()): void {
    for (;;) {
      let next: { server: Server; at: number; kind: EventKind } | undefined;
      for (const server of this.servers.values()) {
        for (const e of server.events) {
          if (e.at <= now && (!next || e.at < next.at)) next = { server, ...e };
        }
      }
      if (!next) return;
      const { server, at, kind } = next;
      server.events = server.events.filter((e) => !(e.at === at && e.kind === kind));
      this.apply(server, kind, at);
    }
  }

  private apply(server: Server, kind: EventKind, at: number): void {
    switch (kind) {
      case 'schedule':
        this.schedule(server, at);
        break;
      case 'spawned':
        server.vmState = 'active';
        server.taskState = null;
        server.powerState = 1;
        server.launchedAt = at;
        server.updatedAt = at;
        break;
      case 'deleted':
        this.finishDelete(server, at);
        break;
      case 'stopped':
        server.vmState = 'stopped';
        server.taskState = null;
        server.powerState = 4;
        server.updatedAt = at;
        break;
      case 'started':
      case 'rebooted':
        server.vmState = 'active';
        server.taskState = null;
        server.powerState = 1;
        server.updatedAt = at;
        break;
    }
  }

  /** Whether the scheduler can place the server on the one host. */
  private fitsGroup(server: Server): boolean {
    const group = server.groupId ? this.serverGroups.get(server.groupId) : undefined;
    if (!group || group.policy !== 'anti-affinity') return true;
    const max = group.rules.max_server_per_host ?? 1;
    const onHost = group.members.filter((id) => {
      const other = this.servers.get(id);
      return id !== server.id && other && !other.deleted && other.host === HOST;
    }).length;
    return onHost < max;
  }

  private schedule(server: Server, at: number): void {
    server.updatedAt = at;
    if (server.failNoValidHost || !this.fitsGroup(server)) {
      // Buried in cell0: an instance record of its own numbering, no host, ERROR with the fault.
      server.cell = 'cell0';
      server.instanceName = `instance-${(++this.cell0Ids).toString(16).padStart(8, '0')}`;
      server.vmState = 'error';
      server.taskState = null;
      server.fault = { code: 500, created: at, message: NO_VALID_HOST_MESSAGE, details: NO_VALID_HOST_DETAILS };
      server.events = [];
      return;
    }
    server.cell = 'cell1';
    server.host = HOST;
    server.instanceName = `instance-${(++this.cell1Ids).toString(16).padStart(8, '0')}`;
    server.taskState = 'spawning';
    server.rootDeviceName = '/dev/sda';
    this.allocatePorts(server);
  }

  private allocatePorts(server: Server): void {
    const req = server.networkRequest;
    if (req === 'none') return;
    const requests: NetworkRequest[] = req === 'auto' ? [{ networkId: IDS.mgmtNetwork }] : req;
    for (const r of requests) {
      if (r.portId) {
        const port = this.findPort(r.portId) ?? this.addPort(IDS.mgmtNetwork, r.portId);
        this.plugPort(port, server);
        if (r.tag) port.tag = r.tag;
        server.portIds.push(port.id);
      } else if (r.networkId) {
        const port = this.newServerPort(server, r.networkId, r.fixedIp);
        port.tag = r.tag ?? null;
        server.portIds.push(port.id);
      }
    }
  }

  /** A port Nova makes for the server on a network (in Neutron, when one is mounted and has it). */
  newServerPort(server: Server, networkId: string, fixedIp?: string): Port {
    const backend = this.opts.network;
    if (backend && !this.networks.has(networkId) && backend.network(networkId)) {
      const made = backend.createPort({ networkId, serverId: server.id, projectId: server.projectId, host: server.host ?? HOST, ...(fixedIp ? { fixedIp } : {}) });
      const port: Port = { ...made, ownedByNova: true, tag: null };
      this.ports.set(port.id, port);
      return port;
    }
    const port = this.addPort(networkId);
    port.ownedByNova = true;
    port.deviceId = server.id;
    if (fixedIp) port.ip = fixedIp;
    return port;
  }

  private releasePorts(server: Server): void {
    for (const id of server.portIds) {
      const port = this.ports.get(id);
      if (port) this.unplugPort(port);
    }
    server.portIds = [];
  }

  private finishDelete(server: Server, at: number): void {
    server.deleted = true;
    server.vmState = 'deleted';
    server.taskState = null;
    server.powerState = 0;
    server.terminatedAt = at;
    server.updatedAt = at;
    server.metadata = {};
    server.events = [];
    this.releasePorts(server);
    for (const g of this.serverGroups.values()) g.members = g.members.filter((m) => m !== server.id);
  }

  /**
   * DELETE /servers/{id}. A build request not yet scheduled, and an instance that never got a host
   * (cell0), go at once; an instance on the host shows task_state 'deleting' for deleteMs first.
   */
  deleteServer(server: Server): void {
    const now = Date.now();
    if (server.cell === null) {
      server.events = [];
      this.releasePorts(server);
      for (const g of this.serverGroups.values()) g.members = g.members.filter((m) => m !== server.id);
      this.servers.delete(server.id);
      return;
    }
    if (!server.host) {
      this.finishDelete(server, now);
      return;
    }
    if (server.taskState === 'deleting') return;
    server.taskState = 'deleting';
    server.updatedAt = now;
    server.events = [{ at: now + this.opts.deleteMs, kind: 'deleted' }];
  }

  /** Schedules the end of a state-changing action (stop, start, reboot). */
  later(server: Server, kind: EventKind): void {
    server.events.push({ at: Date.now() + this.opts.actionMs, kind });
  }
}
