/**
 * A Neutron (API v2.0, as Neutron 21 / Zed with ML2 answers) for tests, mounted into the Nova +
 * Keystone emulator (test/emulators/nova) at `/network`: the Keystone catalog then lists it as the
 * `network` service, its tokens are the ones Neutron accepts, and Nova's os-interface attach and
 * detach, server boots and deletes change its ports as real Nova changes Neutron's. The recorded
 * exchanges in test/fixtures/reference/neutron (copied from shared/reference/neutron) are the ground
 * truth; README.md beside this file says what is modelled.
 *
 *   const cloud = await startNeutronCloud();        // Nova + Keystone + Glance + Neutron on one port
 *   cloud.nova.networkUrl                           // http://127.0.0.1:PORT/network (in the catalog)
 *   const { networkId, subnetId } = cloud.neutron.addNetwork({ name: 'vip', cidr: '10.77.0.0/24' });
 *   await cloud.stop();
 */
import type { Reply, Req } from '../nova/http';
import { HOST, IDS, startNovaEmulator, type NovaEmulator, type NovaEmulatorOptions } from '../nova';
import type { BackendPort, Caller, NetworkBackend } from '../nova/network';
import { NeutronApi } from './api';
import { DEFAULT_EXTENSIONS } from './extensions';
import { NeutronState, type PortRec } from './state';

export interface NeutronEmulatorOptions {
  /** ms from Nova's attach (or boot) binding to port status ACTIVE (default 50; recorded 1-2 s). */
  activeMs?: number;
  /** ms from Nova's os-interface DELETE to the port being released (default 100; recorded 0.6-1.3 s). */
  detachMs?: number;
  /** Extension aliases announced (default: all modelled but dns-integration, as recorded). */
  extensions?: string[];
  /** Physical networks with an agent mapping (default physnet1); flat/vlan networks on others cannot bind. */
  physicalNetworks?: string[];
}

/** A forced answer for the next request that matches (method and path below /network, optional). */
export interface ForcedNeutronResponse {
  status: number;
  body?: unknown;
  method?: string;
  path?: RegExp;
  /** Carry the request out first, then answer this (a reply lost after Neutron acted). */
  after?: boolean;
}

export interface NeutronEmulator extends NetworkBackend {
  readonly state: NeutronState;
  /** Announced extensions; change it to take one away (e.g. allowed-address-pairs). */
  readonly extensions: Set<string>;
  readonly faults: { next: ForcedNeutronResponse[]; latencyMs: number };
  /** A network with one IPv4 subnet, made as the recording's set-up made them; ids returned. */
  addNetwork(o: {
    name: string;
    cidr: string;
    projectId?: string;
    gatewayIp?: string | null;
    allocationPools?: Array<{ start: string; end: string }>;
    hostRoutes?: Array<{ destination: string; nexthop: string }>;
    networkType?: string;
    physicalNetwork?: string;
  }): { networkId: string; subnetId: string };
  addQosPolicy(name: string, projectId?: string): string;
  /** Ports, security groups (but each project's `default`) and their rules, for leak checks. */
  inventory(): { ports: PortRec[]; securityGroups: string[]; rules: string[] };
}

/** Neutron's fault for a forced status, in its own format. */
function forcedBody(status: number): unknown {
  if (status === 500) return { NeutronError: { type: 'HTTPInternalServerError', message: 'Request Failed: internal server error while processing your request.', detail: '' } };
  if (status === 503) return { NeutronError: { type: 'HTTPServiceUnavailable', message: 'The server is currently unavailable. Please try again at a later time.', detail: '' } };
  return { NeutronError: { type: 'HTTPError', message: `Forced ${status}.`, detail: '' } };
}

function toBackendPort(state: NeutronState, p: PortRec): BackendPort {
  const first = p.fixedIps[0];
  return {
    id: p.id,
    networkId: p.networkId,
    subnetId: first?.subnetId ?? '',
    ip: first?.ipAddress ?? '',
    macAddress: p.macAddress,
    deviceId: p.deviceId,
    status: state.portStatus(p),
  };
}

export function createNeutronEmulator(opts: NeutronEmulatorOptions = {}): NeutronEmulator {
  const state = new NeutronState({
    activeMs: opts.activeMs ?? 50,
    detachMs: opts.detachMs ?? 100,
    physicalNetworks: opts.physicalNetworks ?? ['physnet1'],
    agentHosts: [HOST],
  });
  const extensions = new Set(opts.extensions ?? DEFAULT_EXTENSIONS);
  const api = new NeutronApi(state, () => extensions);
  const faults: NeutronEmulator['faults'] = { next: [], latencyMs: 0 };

  const forcedFor = (req: Req): ForcedNeutronResponse | undefined => {
    const i = faults.next.findIndex((f) => (!f.method || f.method === req.method) && (!f.path || f.path.test(req.path)));
    return i < 0 ? undefined : faults.next.splice(i, 1)[0];
  };

  return {
    state,
    extensions,
    faults,
    get latencyMs() {
      return faults.latencyMs;
    },
    handle(req: Req, caller: Caller | undefined, origin: string): Reply {
      const forced = forcedFor(req);
      if (forced && !forced.after) {
        return { status: forced.status, body: forced.body ?? forcedBody(forced.status), headers: { 'Content-Type': 'application/json' } };
      }
      const reply = api.handle(req, caller, origin);
      if (forced) return { status: forced.status, body: forced.body ?? forcedBody(forced.status), headers: { 'Content-Type': 'application/json' } };
      return reply;
    },
    network: (id) => {
      const n = state.networks.get(id);
      return n && { id: n.id, name: n.name };
    },
    port: (id) => {
      state.tick();
      const p = state.ports.get(id);
      return p && toBackendPort(state, p);
    },
    createPort: (o) =>
      toBackendPort(
        state,
        state.createPort({
          projectId: o.projectId,
          networkId: o.networkId,
          deviceId: o.serverId,
          deviceOwner: 'compute:nova',
          hostId: o.host,
          ...(o.fixedIp ? { fixedIps: [{ ipAddress: o.fixedIp }] } : {}),
        }),
      ),
    bindPort: (portId, serverId, host) => state.attach(portId, serverId, host),
    unbindPort: (portId) => state.detach(portId),
    deletePort: (portId) => {
      state.ports.delete(portId);
    },
    addNetwork(o) {
      const projectId = o.projectId ?? IDS.serviceProject;
      const net = state.createNetwork({ projectId, name: o.name, networkType: o.networkType, physicalNetwork: o.physicalNetwork ?? null });
      const subnet = state.createSubnet({
        projectId,
        networkId: net.id,
        cidr: o.cidr,
        ipVersion: 4,
        name: `${o.name}-subnet`,
        ...(o.gatewayIp !== undefined ? { gatewayIp: o.gatewayIp } : {}),
        ...(o.allocationPools ? { allocationPools: o.allocationPools } : {}),
        ...(o.hostRoutes ? { hostRoutes: o.hostRoutes } : {}),
      });
      return { networkId: net.id, subnetId: subnet.id };
    },
    addQosPolicy: (name, projectId = IDS.serviceProject) => state.createQosPolicy(projectId, name, '', false).id,
    inventory() {
      state.tick();
      const groups = [...state.securityGroups.values()].filter((g) => g.name !== 'default').map((g) => g.id);
      return {
        ports: [...state.ports.values()],
        securityGroups: groups,
        rules: [...state.rules.values()].filter((r) => groups.includes(r.securityGroupId)).map((r) => r.id),
      };
    },
  };
}

export interface NeutronCloud {
  nova: NovaEmulator;
  neutron: NeutronEmulator;
  stop(): Promise<void>;
}

/** The Nova + Keystone emulator with a Neutron emulator mounted at /network. */
export async function startNeutronCloud(o: { nova?: Omit<NovaEmulatorOptions, 'network'>; neutron?: NeutronEmulatorOptions } = {}): Promise<NeutronCloud> {
  const neutron = createNeutronEmulator(o.neutron);
  const nova = await startNovaEmulator({ ...o.nova, network: neutron });
  return { nova, neutron, stop: () => nova.stop() };
}
