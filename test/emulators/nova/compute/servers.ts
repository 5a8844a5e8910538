/**
 * /servers: create (with Nova's validation order and messages, 36-45), list and detail with filters,
 * show, update, delete (51-56), actions (23), metadata (30).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { imageVisible } from '../glance';
import { badRequest, conflict, forbidden, notFound } from '../http';
import { isUuidLike, validate } from '../jsonschema';
import {
  interfaceAttachSchema,
  metadataItemSchema,
  metadataSchema,
  rebootSchema,
  serverCreateSchema,
  serverUpdateSchema,
} from '../schemas';
import { AVAILABILITY_ZONE, type NetworkRequest, type Server } from '../state';
import { body, type ComputeCtx, getServer, idFromHref, invalidState, type Ok, requireAdmin } from './context';
import { KNOWN_STATUSES, serverBasic, serverDetail, serverStatus } from './server-views';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
/** oslo strutils.bool_from_string (non-strict). */
export function boolFromString(v: unknown, fallback = false): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return fallback;
  const s = String(v).trim().toLowerCase();
  if (TRUE_STRINGS.includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  return fallback;
}

/** nova.utils.generate_password: 12 characters without look-alikes. */
function generatePassword(): string {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** servers.py _get_requested_networks. */
function requestedNetworks(networks: unknown): 'none' | 'auto' | NetworkRequest[] | undefined {
  if (networks === undefined) return undefined;
  if (networks === 'none' || networks === 'auto') return networks;
  const out: NetworkRequest[] = [];
  const ports = new Set<string>();
  for (const n of networks as Obj[]) {
    const fixedIp = typeof n.fixed_ip === 'string' ? n.fixed_ip : undefined;
    const tag = typeof n.tag === 'string' ? n.tag : undefined;
    if (typeof n.port === 'string' && n.port) {
      if (ports.has(n.port)) {
        throw badRequest(`Port ID '${n.port}' was specified twice: you cannot attach a port multiple times.`);
      }
      if (fixedIp !== undefined) {
        throw badRequest(
          `Specified Fixed IP '${fixedIp}' cannot be used with port '${n.port}': the two cannot be specified together.`,
        );
      }
      ports.add(n.port);
      out.push({ portId: n.port, ...(tag ? { tag } : {}) });
    } else {
      if (!('uuid' in n)) throw badRequest("Bad network format: missing 'uuid'");
      const uuid = String(n.uuid);
      if (!isUuidLike(uuid)) throw badRequest(`Bad networks format: network uuid is not in proper format (${uuid})`);
      out.push({ networkId: uuid, ...(fixedIp ? { fixedIp } : {}), ...(tag ? { tag } : {}) });
    }
  }
  return out;
}

export function createServer(ctx: ComputeCtx): Ok {
  const { state, mv } = ctx;
  const b = body(ctx);
  validate(b, serverCreateSchema(mv));
  const req = b as Obj;
  const s = req.server as Obj;

  const minCount = Number(s.min_count ?? 1);
  const maxCount = Number(s.max_count ?? minCount);
  if (minCount > maxCount) throw badRequest('min_count must be <= max_count');

  const azParts = typeof s.availability_zone === 'string' ? s.availability_zone.split(':') : [];
  const az = azParts[0] || undefined;
  if (azParts.length > 1) requireAdmin(ctx, 'os_compute_api:servers:create:forced_host');

  // Block devices: a boot volume replaces imageRef.
  const bdms = (Array.isArray(s.block_device_mapping_v2) ? s.block_device_mapping_v2 : []) as Obj[];
  const legacyBdms = Array.isArray(s.block_device_mapping) ? s.block_device_mapping : [];
  const hasBdms = bdms.length > 0 || legacyBdms.length > 0;
  const imageRef = typeof s.imageRef === 'string' ? s.imageRef : '';
  if (!imageRef && !hasBdms) throw badRequest('Missing imageRef attribute');

  let networkRequest = requestedNetworks(s.networks);

  const flavorId = idFromHref(String(s.flavorRef));
  const flavor = state.flavors.get(flavorId);
  if (!flavor || (!flavor.isPublic && !ctx.isAdmin)) throw badRequest(`Flavor ${flavorId} could not be found.`);

  if (az !== undefined && az !== AVAILABILITY_ZONE) throw badRequest('The requested availability zone is not available');

  let imageId = imageRef ? idFromHref(imageRef) : '';
  const bootImage = bdms.find((d) => String(d.boot_index) === '0' && d.source_type === 'image');
  const imageToCheck = imageId || (bootImage ? String(bootImage.uuid ?? bootImage.image_id ?? '') : '');
  const image = imageToCheck ? state.images.get(imageToCheck) : undefined;
  if (imageToCheck && (!image || !imageVisible(image, ctx.token))) throw badRequest('Can not find requested image');
  if (image && image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
  if (!imageRef && hasBdms) imageId = '';
  if (flavor.disabled) throw badRequest(`Flavor ${flavorId} could not be found.`);

  const securityGroups = Array.isArray(s.security_groups)
    ? [...new Set((s.security_groups as Obj[]).map((g) => g.name).filter((n): n is string => typeof n === 'string' && !!n))]
    : [];
  for (const sg of securityGroups) {
    if (sg !== 'default' && !state.findSecurityGroup(sg)) {
      throw badRequest(`Unable to find security_group with name or id '${sg}'`);
    }
  }

  if (Array.isArray(networkRequest)) {
    for (const r of networkRequest) {
      if (r.portId) {
        const port = state.findPort(r.portId);
        if (!port) throw badRequest(`Port id ${r.portId} could not be found.`);
        if (port.deviceId) throw conflict(`Port ${r.portId} is still in use.`);
      } else if (r.networkId && !state.hasNetwork(r.networkId)) {
        throw badRequest(`Network ${r.networkId} could not be found.`);
      }
    }
  }
  if (networkRequest === undefined || (Array.isArray(networkRequest) && networkRequest.length === 0)) {
    // No networks asked for (before 2.37): Nova attaches the one network the project can use.
    if (state.networks.size > 1) throw conflict('Multiple possible networks found, use a Network ID to be more specific.');
    networkRequest = state.networks.size === 1 ? 'auto' : 'none';
  }

  let keyName: string | null = null;
  if (typeof s.key_name === 'string') {
    const kp = state.keypairs.find((k) => k.userId === ctx.userId && k.name === s.key_name);
    if (!kp) throw badRequest('Invalid key_name provided.');
    keyName = kp.name;
  }

  if (image && imageId && flavor.disk > 0) {
    if (image.minRam > flavor.ram) throw badRequest("Flavor's memory is too small for requested image.");
    const flavorBytes = flavor.disk * 1024 ** 3;
    if (image.size > flavorBytes) {
      throw badRequest(
        `Flavor's disk is too small for requested image. Flavor disk is ${flavorBytes} bytes, image is ${image.size} bytes.`,
      );
    }
  }

  const hints = (isObj(req['os:scheduler_hints']) ? req['os:scheduler_hints'] : req['OS-SCH-HNT:scheduler_hints']) as
    | Obj
    | undefined;
  const groupId = typeof hints?.group === 'string' ? hints.group : null;
  if (groupId && !state.serverGroups.has(groupId)) throw badRequest(`Instance group ${groupId} could not be found.`);

  const volumes: Array<{ id: string; deleteOnTermination: boolean }> = bdms
    .filter((d) => d.destination_type === 'volume')
    .map((d) => ({
      id: d.source_type === 'volume' && typeof d.uuid === 'string' ? d.uuid : randomUUID(),
      deleteOnTermination: boolFromString(d.delete_on_termination, false),
    }));

  const reservationId = state.newReservationId();
  const baseName = String(s.name);
  const servers: Server[] = [];
  for (let i = 0; i < maxCount; i++) {
    servers.push(
      state.newServer({
        name: maxCount > 1 ? `${baseName}-${i + 1}` : baseName,
        projectId: ctx.projectId,
        userId: ctx.userId,
        imageId,
        flavor,
        metadata: { ...((s.metadata as Record<string, string> | undefined) ?? {}) },
        keyName,
        userData: typeof s.user_data === 'string' ? s.user_data : null,
        configDrive: boolFromString(s.config_drive, false),
        availabilityZone: AVAILABILITY_ZONE,
        description: mv.ge('2.19') ? ((s.description as string | null | undefined) ?? null) : baseName,
        tags: Array.isArray(s.tags) ? (s.tags as string[]) : [],
        accessIPv4: typeof s.accessIPv4 === 'string' ? s.accessIPv4 : '',
        accessIPv6: typeof s.accessIPv6 === 'string' ? s.accessIPv6 : '',
        diskConfig: s['OS-DCF:diskConfig'] === 'AUTO' ? 'AUTO' : 'MANUAL',
        groupId,
        networkRequest,
        securityGroups,
        volumes,
        reservationId,
        launchIndex: i,
      }),
    );
  }
  const first = servers[0] as Server;
  const location = `${ctx.ep.computeUrl}/servers/${first.id}`;
  if (boolFromString(s.return_reservation_id, false)) {
    return { status: 202, body: { reservation_id: reservationId } };
  }
  return {
    status: 202,
    headers: { Location: location },
    body: {
      server: {
        id: first.id,
        links: [
          { rel: 'self', href: location },
          { rel: 'bookmark', href: `${ctx.ep.computeRoot}/servers/${first.id}` },
        ],
        'OS-DCF:diskConfig': first.diskConfig,
        security_groups: s.security_groups ?? [{ name: 'default' }],
        adminPass: typeof s.adminPass === 'string' ? s.adminPass : generatePassword(),
      },
    },
  };
}

function nameMatcher(pattern: string): (name: string) => boolean {
  try {
    const re = new RegExp(pattern);
    return (name) => re.test(name);
  } catch {
    return (name) => name.includes(pattern);
  }
}

export function listServers(ctx: ComputeCtx, detail: boolean): Ok {
  const { state, mv } = ctx;
  state.tick();
  const q = ctx.req.query;

  let deleted: boolean | undefined = false;
  let allTenants = false;
  if (ctx.isAdmin) {
    if (q.has('deleted')) deleted = boolFromString(q.get('deleted'), false);
    if (q.has('all_tenants')) allTenants = boolFromString(q.get('all_tenants'), true);
  }
  if (q.has('changes-since') && !(ctx.isAdmin && q.has('deleted'))) deleted = undefined;

  const statuses = q.getAll('status').map((st) => st.toUpperCase());
  if (statuses.length > 0) {
    if (!statuses.some((st) => KNOWN_STATUSES.includes(st))) {
      if (mv.ge('2.38')) throw badRequest('Invalid status value');
      return { status: 200, body: { servers: [] } };
    }
    if (statuses.length === 1 && statuses[0] === 'DELETED') {
      if (!ctx.isAdmin) throw forbidden('Only administrators may list deleted instances');
      deleted = true;
    }
  }

  let list = [...state.servers.values()].filter((s) =>
    deleted === undefined ? !s.deleted || s.cell !== null : deleted ? s.deleted && s.cell !== null : !s.deleted,
  );
  const projectFilter = allTenants ? (q.get('project_id') ?? q.get('tenant_id')) : ctx.projectId;
  if (projectFilter) list = list.filter((s) => s.projectId === projectFilter);
  const name = q.get('name');
  if (name !== null) {
    const match = nameMatcher(name);
    list = list.filter((s) => match(s.name));
  }
  if (statuses.length > 0 && !(statuses.length === 1 && statuses[0] === 'DELETED')) {
    list = list.filter((s) => statuses.includes(serverStatus(s)));
  }
  const image = q.get('image');
  if (image !== null) list = list.filter((s) => s.imageId === idFromHref(image));
  const flavor = q.get('flavor');
  if (flavor !== null) list = list.filter((s) => s.flavor.id === idFromHref(flavor));
  const reservation = q.get('reservation_id');
  if (reservation !== null) list = list.filter((s) => s.reservationId === reservation);
  const since = q.get('changes-since');
  if (since !== null) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) {
      throw badRequest(`Invalid input for query parameters changes-since. Value: ${since}. '${since}' is not a 'date-time'`);
    }
    list = list.filter((s) => s.updatedAt >= t);
  }
  if (ctx.isAdmin) {
    const host = q.get('host');
    if (host !== null) list = list.filter((s) => s.host === host);
  }
  list.sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt - a.createdAt));

  const marker = q.get('marker');
  if (marker !== null) {
    const i = list.findIndex((s) => s.id === marker);
    if (i === -1) throw badRequest(`marker [${marker}] not found`);
    list = list.slice(i + 1);
  }
  const limitRaw = q.get('limit');
  let linksOut: unknown[] | undefined;
  if (limitRaw !== null) {
    const limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw)) {
      throw badRequest(
        `Invalid input for query parameters limit. Value: ${limitRaw}. '${limitRaw}' does not match '^[0-9]*$'`,
      );
    }
    if (list.length >= limit && limit > 0) {
      list = list.slice(0, limit);
      const last = list[list.length - 1];
      const params = new URLSearchParams(q);
      params.set('marker', last?.id ?? '');
      linksOut = [{ rel: 'next', href: `${ctx.ep.computeUrl}/servers${detail ? '/detail' : ''}?${params.toString()}` }];
    }
  }
  const servers = list.map((s) => (detail ? serverDetail(ctx, s, 'detail') : serverBasic(ctx, s)));
  return { status: 200, body: linksOut ? { servers, servers_links: linksOut } : { servers } };
}

export function showServer(ctx: ComputeCtx, id: string): Ok {
  return { status: 200, body: { server: serverDetail(ctx, getServer(ctx, id), 'show') } };
}

export function updateServer(ctx: ComputeCtx, id: string): Ok {
  const server = getServer(ctx, id);
  const b = body(ctx);
  validate(b, serverUpdateSchema(ctx.mv));
  const s = (b as Obj).server as Obj;
  if (typeof s.name === 'string') {
    server.name = s.name;
    if (ctx.mv.lt('2.90')) server.hostname = server.hostname || s.name;
  }
  if ('description' in s) server.description = (s.description as string | null) ?? null;
  if (typeof s.accessIPv4 === 'string') server.accessIPv4 = s.accessIPv4;
  if (typeof s.accessIPv6 === 'string') server.accessIPv6 = s.accessIPv6;
  if (s['OS-DCF:diskConfig'] === 'AUTO' || s['OS-DCF:diskConfig'] === 'MANUAL') server.diskConfig = s['OS-DCF:diskConfig'];
  if (typeof s.hostname === 'string') server.hostname = s.hostname;
  server.updatedAt = Date.now();
  return { status: 200, body: { server: serverDetail(ctx, server, 'show') } };
}

export function deleteServer(ctx: ComputeCtx, id: string): Ok {
  const server = getServer(ctx, id);
  if (server.locked && !ctx.isAdmin) throw conflict(`Instance ${id} is locked`);
  ctx.state.deleteServer(server);
  return { status: 204 };
}

function requireState(server: Server, action: string, vmStates: string[], taskStates: Array<string | null>): void {
  if (!vmStates.includes(server.vmState)) throw conflict(invalidState(action, server, 'vm_state'));
  if (!taskStates.includes(server.taskState)) throw conflict(invalidState(action, server, 'task_state'));
}

export function serverAction(ctx: ComputeCtx, id: string): Ok {
  const b = body(ctx);
  const server = getServer(ctx, id);
  if (!isObj(b) || Object.keys(b).length !== 1) throw badRequest('Malformed request body: too many body keys');
  const action = Object.keys(b)[0] as string;
  const { state } = ctx;
  switch (action) {
    case 'reboot': {
      validate(b, rebootSchema);
      const hard = String((b.reboot as Obj).type).toUpperCase() === 'HARD';
      if (hard) {
        requireState(server, 'reboot', ['active', 'stopped', 'paused', 'suspended', 'error'], [
          null,
          'rebooting',
          'reboot_pending',
          'reboot_started',
          'rebooting_hard',
          'reboot_pending_hard',
          'reboot_started_hard',
        ]);
        server.taskState = 'reboot_started_hard';
      } else {
        requireState(server, 'reboot', ['active'], [null]);
        server.taskState = 'reboot_started';
      }
      server.updatedAt = Date.now();
      state.later(server, 'rebooted');
      return { status: 202 };
    }
    case 'os-stop':
      requireState(server, 'stop', ['active', 'error'], [null]);
      server.taskState = 'powering-off';
      server.updatedAt = Date.now();
      state.later(server, 'stopped');
      return { status: 202 };
    case 'os-start':
      requireState(server, 'start', ['stopped'], [null]);
      server.taskState = 'powering-on';
      server.updatedAt = Date.now();
      state.later(server, 'started');
      return { status: 202 };
    case 'lock': {
      server.locked = true;
      const reason = isObj(b.lock) && typeof b.lock.locked_reason === 'string' ? b.lock.locked_reason : null;
      server.lockedReason = ctx.mv.ge('2.73') ? reason : null;
      return { status: 202 };
    }
    case 'unlock':
      server.locked = false;
      server.lockedReason = null;
      return { status: 202 };
    default:
      throw badRequest(`There is no such action: ${action}`);
  }
}

// --- metadata --------------------------------------------------------------------------------------

const METADATA_VM_STATES = ['active', 'paused', 'suspended', 'stopped', 'shelved', 'shelved_offloaded'];

export function getMetadata(ctx: ComputeCtx, id: string): Ok {
  return { status: 200, body: { metadata: { ...getServer(ctx, id).metadata } } };
}

export function setMetadata(ctx: ComputeCtx, id: string, replace: boolean): Ok {
  const server = getServer(ctx, id);
  const b = body(ctx);
  validate(b, metadataSchema);
  if (!METADATA_VM_STATES.includes(server.vmState)) throw conflict(invalidState('update metadata', server, 'vm_state'));
  const md = (b as Obj).metadata as Record<string, string>;
  server.metadata = replace ? { ...md } : { ...server.metadata, ...md };
  server.updatedAt = Date.now();
  return { status: 200, body: { metadata: replace ? { ...md } : { ...server.metadata } } };
}

export function getMetadataItem(ctx: ComputeCtx, id: string, key: string): Ok {
  const server = getServer(ctx, id);
  if (!(key in server.metadata)) throw notFound('Metadata item was not found');
  return { status: 200, body: { meta: { [key]: server.metadata[key] } } };
}

export function setMetadataItem(ctx: ComputeCtx, id: string, key: string): Ok {
  const server = getServer(ctx, id);
  const b = body(ctx);
  validate(b, metadataItemSchema);
  const meta = (b as Obj).meta as Record<string, string>;
  if (!(key in meta)) throw badRequest('Request body and URI mismatch');
  if (!METADATA_VM_STATES.includes(server.vmState)) throw conflict(invalidState('update metadata', server, 'vm_state'));
  server.metadata[key] = meta[key] as string;
  server.updatedAt = Date.now();
  return { status: 200, body: { meta: { [key]: meta[key] } } };
}

export function deleteMetadataItem(ctx: ComputeCtx, id: string, key: string): Ok {
  const server = getServer(ctx, id);
  if (!(key in server.metadata)) throw notFound('Metadata item was not found');
  if (!METADATA_VM_STATES.includes(server.vmState)) throw conflict(invalidState('delete metadata', server, 'vm_state'));
  delete server.metadata[key];
  server.updatedAt = Date.now();
  return { status: 204 };
}

// --- os-interface ----------------------------------------------------------------------------------

function interfaceView(ctx: ComputeCtx, portId: string): Obj {
  const port = ctx.state.ports.get(portId);
  if (!port) throw notFound(`Port id ${portId} could not be found.`);
  const v: Obj = {
    net_id: port.networkId,
    port_id: port.id,
    mac_addr: port.macAddress,
    port_state: port.status ?? 'ACTIVE',
    fixed_ips: [{ subnet_id: port.subnetId, ip_address: port.ip }],
  };
  if (ctx.mv.ge('2.70')) v.tag = port.tag;
  return v;
}

export function listInterfaces(ctx: ComputeCtx, id: string): Ok {
  const server = getServer(ctx, id);
  // A port deleted in Neutron is detached by Nova (network-vif-deleted): it is no longer listed.
  server.portIds = server.portIds.filter((p) => ctx.state.findPort(p));
  return { status: 200, body: { interfaceAttachments: server.portIds.map((p) => interfaceView(ctx, p)) } };
}

export function showInterface(ctx: ComputeCtx, id: string, portId: string): Ok {
  const server = getServer(ctx, id);
  const port = ctx.state.ports.get(portId);
  if (!port) throw notFound(`Port id ${portId} could not be found.`);
  if (port.deviceId !== server.id) throw notFound(`Instance ${id} does not have a port with id ${portId}`);
  return { status: 200, body: { interfaceAttachment: interfaceView(ctx, portId) } };
}

export function attachInterface(ctx: ComputeCtx, id: string, strictPorts: boolean): Ok {
  const { state } = ctx;
  const server = getServer(ctx, id);
  const b = body(ctx);
  validate(b, interfaceAttachSchema(ctx.mv));
  const att = (isObj(b) && isObj(b.interfaceAttachment) ? b.interfaceAttachment : {}) as Obj;
  const netId = typeof att.net_id === 'string' ? att.net_id : undefined;
  const portId = typeof att.port_id === 'string' ? att.port_id : undefined;
  const fixedIps = Array.isArray(att.fixed_ips) ? (att.fixed_ips as Obj[]) : [];
  const reqIp = typeof fixedIps[0]?.ip_address === 'string' ? (fixedIps[0].ip_address as string) : undefined;
  const tag = typeof att.tag === 'string' ? att.tag : null;
  if (netId && portId) throw badRequest('Must not input both network_id and port_id');
  if (reqIp && !netId) throw badRequest('Must input network_id when request IP address');
  if (server.locked && !ctx.isAdmin) throw conflict(`Instance ${id} is locked`);
  if (!['active', 'paused', 'stopped'].includes(server.vmState)) {
    throw conflict(invalidState('attach_interface', server, 'vm_state'));
  }
  if (server.taskState !== null) throw conflict(invalidState('attach_interface', server, 'task_state'));

  let port;
  if (portId) {
    port = state.findPort(portId);
    if (!port) {
      // Without a Neutron emulator, a port Octavia made elsewhere is taken as it comes (see README).
      if (strictPorts || state.opts.network) throw notFound(`Port id ${portId} could not be found.`);
      port = state.addPort(undefined, portId);
    }
    if (port.deviceId) throw conflict(`Port ${portId} is still in use.`);
    state.plugPort(port, server);
  } else {
    const networkId = netId ?? [...state.networks.keys()][0];
    if (!networkId || !state.hasNetwork(networkId)) throw notFound(`Network ${networkId ?? ''} could not be found.`);
    port = state.newServerPort(server, networkId, reqIp);
  }
  port.tag = tag;
  server.portIds.push(port.id);
  server.updatedAt = Date.now();
  return { status: 200, body: { interfaceAttachment: interfaceView(ctx, port.id) } };
}

export function detachInterface(ctx: ComputeCtx, id: string, portId: string): Ok {
  const { state } = ctx;
  const server = getServer(ctx, id);
  if (server.locked && !ctx.isAdmin) throw conflict(`Instance ${id} is locked`);
  if (!['active', 'paused', 'stopped'].includes(server.vmState)) {
    throw conflict(invalidState('detach_interface', server, 'vm_state'));
  }
  if (server.taskState !== null) throw conflict(invalidState('detach_interface', server, 'task_state'));
  // Nova casts the detach to the compute host: a port that is not attached is still a 202.
  if (server.portIds.includes(portId)) {
    server.portIds = server.portIds.filter((p) => p !== portId);
    const port = state.ports.get(portId);
    if (port) state.unplugPort(port);
    server.updatedAt = Date.now();
  }
  return { status: 202 };
}
