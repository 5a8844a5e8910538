/**
 * Server representations as Nova 26 builds them (nova/api/openstack/compute/views/servers.py), checked
 * against 24-29, 34/35, 50, 52 and 55: which keys appear at which microversion and for whom.
 */
import { createHash } from 'node:crypto';
import { type Server, isoMicro, isoZ } from '../state';
import { type ComputeCtx, links } from './context';

const PROGRESS_STATUSES = ['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'];
const FAULT_STATUSES = ['ERROR', 'DELETED'];

/** nova.api.openstack.common.status_from_state (the states the emulator produces). */
export function serverStatus(server: Server): string {
  if (server.deleted) return 'DELETED';
  const task = server.taskState;
  switch (server.vmState) {
    case 'building':
      return 'BUILD';
    case 'active':
      if (task === 'rebooting' || task === 'reboot_pending' || task === 'reboot_started') return 'REBOOT';
      if (task === 'rebooting_hard' || task === 'reboot_pending_hard' || task === 'reboot_started_hard') {
        return 'HARD_REBOOT';
      }
      return 'ACTIVE';
    case 'stopped':
      return 'SHUTOFF';
    case 'error':
      return 'ERROR';
    case 'deleted':
      return 'DELETED';
    default:
      return 'UNKNOWN';
  }
}

/** The statuses Nova accepts in `?status=` (common._STATE_MAP's values). */
export const KNOWN_STATUSES = [
  'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING', 'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD',
  'RESCUE', 'RESIZE', 'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF', 'SOFT_DELETED', 'SUSPENDED',
  'UNKNOWN', 'VERIFY_RESIZE',
];

/** nova.utils.generate_hostid: sha224(project_id + host), "" without a host. */
export function hostId(server: Server): string {
  if (!server.host) return '';
  return createHash('sha224').update(server.projectId + server.host).digest('hex');
}

function addresses(ctx: ComputeCtx, server: Server): Record<string, unknown[]> {
  // Nova hides addresses while building; a deleted instance has no network info left.
  if (server.vmState === 'building' || server.deleted) return {};
  const out: Record<string, unknown[]> = {};
  for (const portId of server.portIds) {
    const port = ctx.state.ports.get(portId);
    if (!port) continue;
    const key = ctx.state.networkName(port.networkId) ?? port.networkId;
    (out[key] ??= []).push({
      version: 4,
      addr: port.ip,
      'OS-EXT-IPS:type': 'fixed',
      'OS-EXT-IPS-MAC:mac_addr': port.macAddress,
    });
  }
  return out;
}

function securityGroupNames(ctx: ComputeCtx, server: Server): Array<{ name: string }> | undefined {
  if (server.portIds.length === 0) return undefined;
  const names = new Set<string>();
  for (const sg of server.securityGroups.length > 0 ? server.securityGroups : ['default']) {
    names.add(ctx.state.findSecurityGroup(sg)?.name ?? sg);
  }
  return [...names].map((name) => ({ name }));
}

function flavorView(ctx: ComputeCtx, server: Server): Record<string, unknown> {
  const f = server.flavor;
  if (ctx.mv.ge('2.47')) {
    return {
      vcpus: f.vcpus,
      ram: f.ram,
      disk: f.disk,
      ephemeral: f.ephemeral,
      swap: f.swap,
      original_name: f.name,
      // os_compute_api:os-flavor-extra-specs:index is allowed to project readers: everyone here.
      extra_specs: { ...f.extraSpecs },
    };
  }
  return { id: f.id, links: [{ rel: 'bookmark', href: `${ctx.ep.computeRoot}/flavors/${f.id}` }] };
}

function imageView(ctx: ComputeCtx, server: Server): unknown {
  if (!server.imageId) return '';
  return { id: server.imageId, links: [{ rel: 'bookmark', href: `${ctx.ep.computeRoot}/images/${server.imageId}` }] };
}

function hostStatus(server: Server): string {
  return server.host && !server.deleted ? 'UP' : '';
}

/** GET /servers/{id} ('show') and each entry of GET /servers/detail ('detail'). */
export function serverDetail(ctx: ComputeCtx, server: Server, mode: 'show' | 'detail'): Record<string, unknown> {
  const mv = ctx.mv;
  const status = serverStatus(server);
  const s: Record<string, unknown> = {
    id: server.id,
    name: server.name,
    status,
    tenant_id: server.projectId,
    user_id: server.userId,
    metadata: { ...server.metadata },
    hostId: hostId(server),
    image: imageView(ctx, server),
    flavor: flavorView(ctx, server),
    created: isoZ(server.createdAt),
    updated: isoZ(server.updatedAt),
    addresses: addresses(ctx, server),
    accessIPv4: server.accessIPv4,
    accessIPv6: server.accessIPv6,
    links: links(ctx, 'servers', server.id),
    'OS-DCF:diskConfig': server.diskConfig,
  };
  if (FAULT_STATUSES.includes(status) && server.fault) {
    const f = server.fault;
    const fault: Record<string, unknown> = { code: f.code, created: isoZ(f.created), message: f.message };
    // Details of a 500 fault are for admins only.
    if (f.details && (ctx.isAdmin || f.code !== 500)) fault.details = f.details;
    s.fault = fault;
  }
  if (PROGRESS_STATUSES.includes(status)) s.progress = 0;
  s['OS-EXT-AZ:availability_zone'] = server.availabilityZone;
  s.config_drive = server.configDrive;
  s.key_name = server.keyName;
  s['OS-SRV-USG:launched_at'] = server.launchedAt === null ? null : isoMicro(server.launchedAt);
  s['OS-SRV-USG:terminated_at'] = server.terminatedAt === null ? null : isoMicro(server.terminatedAt);
  const groups = securityGroupNames(ctx, server);
  if (groups && !server.deleted) s.security_groups = groups;
  if (ctx.isAdmin) {
    // os_compute_api:os-extended-server-attributes is admin only.
    s['OS-EXT-SRV-ATTR:host'] = server.host;
    s['OS-EXT-SRV-ATTR:instance_name'] = server.instanceName;
    s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = server.host;
    if (mv.ge('2.3')) {
      s['OS-EXT-SRV-ATTR:reservation_id'] = server.reservationId;
      s['OS-EXT-SRV-ATTR:launch_index'] = server.launchIndex;
      s['OS-EXT-SRV-ATTR:hostname'] = server.hostname;
      s['OS-EXT-SRV-ATTR:kernel_id'] = '';
      s['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      s['OS-EXT-SRV-ATTR:root_device_name'] = server.rootDeviceName;
      s['OS-EXT-SRV-ATTR:user_data'] = server.userData;
    }
  }
  s['OS-EXT-STS:task_state'] = server.taskState;
  s['OS-EXT-STS:vm_state'] = server.vmState;
  s['OS-EXT-STS:power_state'] = server.powerState;
  s['os-extended-volumes:volumes_attached'] = server.volumes.map((vol) =>
    mv.ge('2.3') ? { id: vol.id, delete_on_termination: vol.deleteOnTermination } : { id: vol.id },
  );
  if (mode === 'show' && mv.ge('2.16') && ctx.isAdmin) s.host_status = hostStatus(server);
  if (mv.ge('2.9')) s.locked = server.locked;
  if (mv.ge('2.73')) s.locked_reason = server.lockedReason;
  if (mv.ge('2.19')) s.description = server.description;
  if (mv.ge('2.26')) s.tags = [...server.tags];
  if (mv.ge('2.63')) s.trusted_image_certificates = null;
  if (mode === 'show' && mv.ge('2.71')) s.server_groups = server.groupId ? [server.groupId] : [];
  if (mode === 'detail' && mv.ge('2.16') && ctx.isAdmin) s.host_status = hostStatus(server);
  return s;
}

/** Each entry of GET /servers. */
export function serverBasic(ctx: ComputeCtx, server: Server): Record<string, unknown> {
  return { id: server.id, name: server.name, links: links(ctx, 'servers', server.id) };
}
