/**
 * The Neutron network driver (NETWORK_DRIVER=neutron): Octavia 11's allowed_address_pairs driver on
 * our network port, over Neutron's API v2.0 (the catalog's `network` service) with the shared OpenStack
 * client (Keystone session, timeouts, 401 renewal, circuit breaker). Calls and their order follow what
 * was recorded from Octavia's driver against Neutron 21 (test/fixtures/reference/neutron, README).
 *
 *   allocateVip    the VIP port `octavia-lb-<lb>` (device_owner Octavia, admin down, device_id lb-<lb>,
 *                  in the load balancer's project), or the port the user gave; then the security group
 *                  `lb-<lb>` is made and put on it (Octavia's update_vip_sg)
 *   plugVip        the amphora's VRRP port `octavia-lb-vrrp-<amphora>` on the VIP subnet, attached to
 *                  its server through the compute driver (Nova os-interface), the VIP as its allowed
 *                  address pair, the VIP port's security group, the QoS policy
 *   updateVip      the group's ingress rules in step with the listeners (+ VRRP/AH for ACTIVE_STANDBY)
 *   unplugVip      detach, wait until Neutron no longer lists the port on the server, clear the pairs,
 *                  delete the VRRP port
 *   deallocateVip  the group off the VIP port and deleted, the VIP port deleted if we made it
 *
 * Idempotency (every call is retried by its flow): ports and groups are found again by name before
 * anything is made (so a create whose answer was lost is not made twice), what is already in place is
 * not written again, and deletes of what is gone succeed. Where Octavia finds the VRRP port by the
 * server's ports (`GET ports?device_id=`), we find it by its name, which also finds one made but not
 * attached yet.
 */
import type { Logger } from '../../../common/logger';
import type { AmphoraComputeDriver } from '../../compute/port';
import type { ComputeCircuitBreaker } from '../../openstack/breaker';
import type { OpenStackClient, RequestOptions } from '../../openstack/client';
import { ServiceCalls } from '../../openstack/service';
import { AllocateVipError, InvalidNetworkRequest, NetworkError, PlugNetworkError, PlugVipError, UnplugNetworkError, UnplugVipError } from '../errors';
import type {
  AmphoraNetworkConfig,
  AmphoraRef,
  MemberNic,
  Network,
  NetworkDriver,
  NetworkIpAvailability,
  PluggedNic,
  Port,
  QosPolicy,
  Subnet,
  Vip,
  VipListener,
  VipRequest,
} from '../port';
import { isNeutron, toNetworkError, type ErrorContext } from './errors';
import { AUTH_HEADER_PROTOCOL, VRRP_PROTOCOL, hasProtocolRule, listenerRules, planRules } from './rules';
import { toNetwork, toPort, toSubnet, type NeutronNetwork, type NeutronPort, type NeutronRule, type NeutronSecurityGroup, type NeutronSubnet } from './wire';

/** Neutron's owner for the ports Octavia makes (deallocateVip deletes only those). */
export const OCTAVIA_OWNER = 'Octavia';
const VRRP_PREFIX = 'octavia-lb-vrrp-';
export const vipPortName = (loadBalancerId: string) => `octavia-lb-${loadBalancerId}`;
export const vrrpPortName = (amphoraId: string) => `${VRRP_PREFIX}${amphoraId}`;
export const securityGroupName = (loadBalancerId: string) => `lb-${loadBalancerId}`;

/** Octavia's [networking] options the driver applies. */
export interface NeutronSettings {
  /** port_detach_timeout: how long unplugVip waits for Nova to release a detached port (Octavia: 300 s). */
  portDetachTimeoutSeconds: number;
  /** retry_interval: between those checks, and between security group delete attempts (Octavia: 1 s). */
  retryIntervalSeconds: number;
  /** max_retries: security group delete attempts while Neutron still sees it in use (Octavia: 15). */
  maxRetries: number;
}

/** What the driver needs of the compute driver: Nova's os-interface attach and detach. */
export type PortAttacher = Pick<AmphoraComputeDriver, 'attachPort' | 'detachPort' | 'attachNetwork'>;

export interface NeutronDriverOptions {
  client: OpenStackClient;
  breaker: ComputeCircuitBreaker;
  compute: PortAttacher;
  settings: NeutronSettings;
  log: Logger;
}

/** What the extension checks found (Octavia's BaseNeutronDriver.__init__ and _check_aap_loaded). */
export interface NeutronExtensions {
  securityGroup: true;
  allowedAddressPairs: true;
  qos: boolean;
  dnsIntegration: boolean;
  /** `project_id` in request bodies; without it, the older `tenant_id`. */
  projectId: boolean;
}

interface NeutronIpAvailability {
  network_id: string;
  total_ips: number;
  used_ips: number;
  subnet_ip_availability?: Array<{ subnet_id: string; cidr: string; ip_version: number; total_ips: number; used_ips: number }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class NeutronNetworkDriver implements NetworkDriver {
  readonly name = 'neutron';
  private readonly calls: ServiceCalls<ErrorContext>;
  private readonly compute: PortAttacher;
  private readonly settings: NeutronSettings;
  private readonly log: Logger;
  private extensions: Promise<NeutronExtensions> | undefined;

  constructor(o: NeutronDriverOptions) {
    this.calls = new ServiceCalls(o, toNetworkError);
    this.compute = o.compute;
    this.settings = o.settings;
    this.log = o.log;
  }

  close(): void {
    this.calls.close();
  }

  /**
   * The extension checks, once (the result is remembered; a check that could not be made is tried
   * again by the next call). Without security groups or allowed address pairs the driver cannot work:
   * that is a final error, as Octavia refuses to load.
   */
  checkExtensions(): Promise<NeutronExtensions> {
    this.extensions ??= this.probeExtensions().catch((err: unknown) => {
      this.extensions = undefined;
      throw toNetworkError(err, { action: 'check the Neutron extensions' });
    });
    return this.extensions;
  }

  private async probeExtensions(): Promise<NeutronExtensions> {
    const has = async (alias: string) => {
      try {
        await this.neutron('GET', `/extensions/${alias}`);
        return true;
      } catch (err) {
        if (isNeutron(err, 404)) return false;
        throw err;
      }
    };
    // Octavia's order (recorded 09-13).
    const securityGroup = await has('security-group');
    const dnsIntegration = await has('dns-integration');
    const qos = await has('qos');
    const allowedAddressPairs = await has('allowed-address-pairs');
    const projectId = await has('project-id');
    for (const [alias, ok] of [['security-group', securityGroup], ['allowed-address-pairs', allowedAddressPairs]] as const) {
      if (!ok) {
        throw new NetworkError(`The ${alias} extension is not enabled in neutron. This driver cannot be used with the ${alias} extension disabled.`, { retryable: false });
      }
    }
    const found: NeutronExtensions = { securityGroup: true, allowedAddressPairs: true, qos, dnsIntegration, projectId };
    this.log.info({ extensions: found }, 'Neutron extensions checked');
    return found;
  }

  // ---- lookups ------------------------------------------------------------------------------------

  async getSubnet(subnetId: string): Promise<Subnet> {
    return this.calls.guard({ action: `get subnet ${subnetId}`, notFound: { kind: 'Subnet', id: subnetId } }, async () => toSubnet(await this.subnet(subnetId)));
  }

  async getNetwork(networkId: string): Promise<Network> {
    return this.calls.guard({ action: `get network ${networkId}`, notFound: { kind: 'Network', id: networkId } }, async () => toNetwork(await this.network(networkId)));
  }

  async getPort(portId: string): Promise<Port> {
    return this.calls.guard({ action: `get port ${portId}`, notFound: { kind: 'Port', id: portId } }, async () => toPort(await this.port(portId)));
  }

  /** Neutron's qos extension (Octavia's qos_enabled). */
  async qosEnabled(): Promise<boolean> {
    return (await this.checkExtensions()).qos;
  }

  /** API validation of `vip_qos_policy_id` (Octavia's validate.qos_policy_exists). */
  async getQosPolicy(policyId: string): Promise<QosPolicy> {
    return this.calls.guard({ action: `get QoS policy ${policyId}`, notFound: { kind: 'QoS Policy', id: policyId } }, async () => {
      const res = await this.neutron<{ policy?: { id: string; name?: string } }>('GET', `/qos/policies/${enc(policyId)}`);
      if (!res?.policy) throw new NetworkError(`Neutron answered GET /qos/policies/${policyId} without a policy.`);
      return { id: res.policy.id, name: res.policy.name ?? '' };
    });
  }

  /**
   * Addresses of a network, used and in its pools (network-ip-availabilities): Octavia's API needs two
   * free for a SINGLE load balancer on a `vip_network_id`, three for ACTIVE_STANDBY.
   */
  async getNetworkIpAvailability(networkId: string): Promise<NetworkIpAvailability> {
    return this.calls.guard({ action: `get the IP availability of network ${networkId}`, notFound: { kind: 'Network', id: networkId } }, async () => {
      const res = await this.neutron<{ network_ip_availability?: NeutronIpAvailability }>('GET', `/network-ip-availabilities/${enc(networkId)}`);
      const a = res?.network_ip_availability;
      if (!a) throw new NetworkError(`Neutron answered GET /network-ip-availabilities/${networkId} without an availability.`);
      return {
        networkId: a.network_id,
        totalIps: a.total_ips,
        usedIps: a.used_ips,
        subnets: (a.subnet_ip_availability ?? []).map((x) => ({ subnetId: x.subnet_id, cidr: x.cidr, ipVersion: x.ip_version, totalIps: x.total_ips, usedIps: x.used_ips })),
      };
    });
  }

  // ---- VIP ----------------------------------------------------------------------------------------

  async allocateVip(request: VipRequest): Promise<Vip> {
    const lb = request.loadBalancerId;
    return this.calls.guard({ action: `allocate the VIP of load balancer ${lb}`, errorClass: AllocateVipError }, async () => {
      const ext = await this.checkExtensions();
      const { port, created } = request.portId ? { port: await this.givenVipPort(request), created: false } : await this.ownVipPort(request, ext);
      try {
        const vip = vipOf(port, request);
        await this.ensureVipSecurityGroup(lb, port);
        return vip;
      } catch (err) {
        // Nothing half-made: a port this call made goes with the failure, and the group with it (a
        // re-entry's port stays: it may be a live load balancer's).
        if (created) {
          await this.deallocateVip(lb, { portId: port.id, ipAddress: '', subnetId: '', networkId: port.network_id }).catch((cleanup: unknown) =>
            this.log.warn({ loadBalancerId: lb, portId: port.id, err: cleanup }, 'Could not remove what a failed VIP allocation made: left for cleanup'),
          );
        }
        throw err;
      }
    });
  }

  /** A port the user made (vip_port_id): used as it is, if it matches what else was asked. */
  private async givenVipPort(request: VipRequest): Promise<NeutronPort> {
    const id = request.portId as string;
    const port = await this.calls.guard({ action: `get port ${id}`, notFound: { kind: 'Port', id } }, () => this.port(id));
    if (request.networkId && port.network_id !== request.networkId) throw new InvalidNetworkRequest(`Port ${id} is not on network ${request.networkId}.`);
    if (request.subnetId && !(port.fixed_ips ?? []).some((f) => f.subnet_id === request.subnetId)) {
      throw new InvalidNetworkRequest(`Port ${id} has no address on subnet ${request.subnetId}.`);
    }
    if (request.ipAddress && !(port.fixed_ips ?? []).some((f) => f.ip_address === request.ipAddress)) {
      throw new InvalidNetworkRequest(`Port ${id} does not have the IP address ${request.ipAddress}.`);
    }
    return port;
  }

  /** Our VIP port: found again by name (a re-entry), else made. */
  private async ownVipPort(request: VipRequest, ext: NeutronExtensions): Promise<{ port: NeutronPort; created: boolean }> {
    const lb = request.loadBalancerId;
    const name = vipPortName(lb);
    const existing = await this.portsNamed(name);
    for (const port of existing) {
      if (matchesRequest(port, request)) {
        this.log.info({ loadBalancerId: lb, portId: port.id }, 'The VIP port exists already: using it');
        return { port, created: false };
      }
      // Octavia's "Neutron VIP mis-match": ours, but not what is asked now. Made again.
      this.log.warn({ loadBalancerId: lb, portId: port.id, fixedIps: port.fixed_ips }, 'The VIP port does not match the request: deleting and making it again');
      await this.deleteQuietly(port.id, 'mismatched VIP port');
    }
    if (!request.subnetId && !request.networkId) throw new InvalidNetworkRequest('A VIP needs a subnet, a network or a port.');
    const networkId =
      request.networkId ??
      (await this.calls.guard({ action: `get subnet ${request.subnetId}`, notFound: { kind: 'Subnet', id: request.subnetId as string } }, () => this.subnet(request.subnetId as string)))
        .network_id;
    const fixedIp: Record<string, string> = {};
    if (request.subnetId) fixedIp.subnet_id = request.subnetId;
    if (request.ipAddress) fixedIp.ip_address = request.ipAddress;
    const body = {
      port: {
        name,
        network_id: networkId,
        admin_state_up: false,
        device_id: `lb-${lb}`,
        device_owner: OCTAVIA_OWNER,
        [ext.projectId ? 'project_id' : 'tenant_id']: request.projectId,
        ...(Object.keys(fixedIp).length ? { fixed_ips: [fixedIp] } : {}),
      },
    };
    const port = await this.created<NeutronPort>('/ports', body, 'port');
    this.log.info({ loadBalancerId: lb, portId: port.id, fixedIps: port.fixed_ips }, 'VIP port created');
    return { port, created: true };
  }

  /** update_vip_sg: the group `lb-<lb>` (made if missing) as the VIP port's only group. */
  private async ensureVipSecurityGroup(loadBalancerId: string, port: NeutronPort): Promise<void> {
    const group = (await this.securityGroup(loadBalancerId)) ?? (await this.createSecurityGroup(loadBalancerId));
    const groups = port.security_groups ?? [];
    if (groups.length === 1 && groups[0] === group.id) return;
    await this.neutron('PUT', `/ports/${enc(port.id)}`, { body: { port: { security_groups: [group.id] } } });
  }

  async deallocateVip(loadBalancerId: string, vip: Vip): Promise<void> {
    await this.calls.guard({ action: `deallocate the VIP of load balancer ${loadBalancerId}` }, async () => {
      const port = await this.portOrUndefined(vip.portId);
      const group = await this.securityGroup(loadBalancerId);
      if (group) {
        if (port?.security_groups?.includes(group.id)) {
          await this.calls.ignore404(() =>
            this.neutron('PUT', `/ports/${enc(port.id)}`, { body: { port: { security_groups: (port.security_groups ?? []).filter((g) => g !== group.id) } } }),
          );
        }
        await this.deleteSecurityGroup(group.id);
      }
      if (port?.device_owner === OCTAVIA_OWNER) {
        await this.calls.ignore404(() => this.neutron('DELETE', `/ports/${enc(port.id)}`));
        this.log.info({ loadBalancerId, portId: port.id }, 'VIP port deleted');
      } else if (port) {
        this.log.info({ loadBalancerId, portId: port.id }, 'The VIP port was not made by Octavia: left in place');
      }
    });
  }

  /**
   * Deletes the group. Neutron refuses (409 SecurityGroupInUse) while a port still has it: then the
   * ports that have it are cleaned (our VRRP ports left behind are deleted, another port only loses the
   * group, as Octavia's fallback) and the delete is tried again, `maxRetries` times `retryInterval`
   * apart (removing a group from a port is not immediate); still refused, a retryable error.
   */
  private async deleteSecurityGroup(groupId: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.neutron('DELETE', `/security-groups/${enc(groupId)}`);
        this.log.info({ securityGroupId: groupId }, 'VIP security group deleted');
        return;
      } catch (err) {
        if (isNeutron(err, 404)) return;
        if (!isNeutron(err, 409) || attempt >= this.settings.maxRetries) throw err;
      }
      if (attempt === 0) await this.releaseGroup(groupId);
      else await sleep(this.settings.retryIntervalSeconds * 1000);
    }
  }

  private async releaseGroup(groupId: string): Promise<void> {
    const res = await this.neutron<{ ports?: NeutronPort[] }>('GET', '/ports', { query: { security_groups: groupId } });
    for (const p of (res?.ports ?? []).filter((x) => x.security_groups?.includes(groupId))) {
      const ours = p.device_owner === OCTAVIA_OWNER || (p.name ?? '').startsWith(VRRP_PREFIX);
      this.log.warn({ securityGroupId: groupId, portId: p.id, deleted: ours }, 'A port still has the VIP security group');
      await this.calls.ignore404(() =>
        ours
          ? this.neutron('DELETE', `/ports/${enc(p.id)}`)
          : this.neutron('PUT', `/ports/${enc(p.id)}`, { body: { port: { security_groups: (p.security_groups ?? []).filter((g) => g !== groupId) } } }),
      );
    }
  }

  // ---- amphorae -----------------------------------------------------------------------------------

  /** Both topologies plug the same: the VIP moves between VRRP ports by keepalived, not by Neutron. */
  async plugVip(amphora: AmphoraRef, vip: Vip, _topology?: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<AmphoraNetworkConfig> {
    const { amphoraId, computeId } = amphora;
    return this.calls.guard({ action: `plug amphora ${amphoraId} into the VIP network`, errorClass: PlugVipError }, async () => {
      const ext = await this.checkExtensions();
      let port = (await this.portsNamed(vrrpPortName(amphoraId)))[0];
      let created = false;
      if (!port) {
        port = await this.created<NeutronPort>(
          '/ports',
          {
            port: {
              name: vrrpPortName(amphoraId),
              network_id: vip.networkId,
              fixed_ips: [{ subnet_id: vip.subnetId }],
              admin_state_up: true,
              device_owner: OCTAVIA_OWNER,
            },
          },
          'port',
        );
        created = true;
        this.log.info({ amphoraId, portId: port.id }, 'VRRP port created');
      }
      if (port.device_id !== computeId) {
        try {
          await this.compute.attachPort(computeId, port.id);
        } catch (err) {
          // Octavia deletes the VRRP port it just made when the plug fails.
          if (created) await this.deleteQuietly(port.id, 'VRRP port of a failed attach');
          throw err;
        }
      }
      if (!hasOnlyPair(port, vip.ipAddress)) {
        port = await this.updated(port.id, { allowed_address_pairs: [{ ip_address: vip.ipAddress }] });
      }
      const vipPort = await this.calls.guard({ action: `get the VIP port ${vip.portId}`, notFound: { kind: 'Port', id: vip.portId } }, () => this.port(vip.portId));
      const groups = vipPort.security_groups ?? [];
      if (!sameSet(port.security_groups ?? [], groups)) port = await this.updated(port.id, { security_groups: groups });
      if (vip.qosPolicyId && (port.qos_policy_id ?? null) !== vip.qosPolicyId) {
        if (ext.qos) port = await this.updated(port.id, { qos_policy_id: vip.qosPolicyId });
        else this.log.warn({ amphoraId, qosPolicyId: vip.qosPolicyId }, 'Neutron has no qos extension: the VIP QoS policy is not applied');
      }
      const subnet = await this.subnet(vip.subnetId);
      const network = await this.network(port.network_id);
      const vrrpIp = (port.fixed_ips ?? []).find((f) => f.subnet_id === vip.subnetId)?.ip_address ?? port.fixed_ips?.[0]?.ip_address;
      if (!vrrpIp) throw new PlugVipError(`The VRRP port ${port.id} has no address.`, { retryable: false });
      return {
        vrrpPortId: port.id,
        vrrpIp,
        haPortId: vip.portId,
        haIp: vip.ipAddress,
        macAddress: port.mac_address ?? '',
        subnetCidr: subnet.cidr,
        gateway: subnet.gateway_ip,
        hostRoutes: (subnet.host_routes ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
        mtu: toNetwork(network).mtu,
      };
    });
  }

  async unplugVip(amphora: AmphoraRef, _vip: Vip): Promise<void> {
    const { amphoraId, computeId } = amphora;
    await this.calls.guard({ action: `unplug amphora ${amphoraId} from the VIP network`, errorClass: UnplugVipError }, async () => {
      for (const port of await this.portsNamed(vrrpPortName(amphoraId))) {
        if (port.device_id === computeId) {
          await this.compute.detachPort(computeId, port.id);
          await this.waitDetached(computeId, port.id);
        }
        await this.calls.ignore404(() => this.neutron('PUT', `/ports/${enc(port.id)}`, { body: { port: { allowed_address_pairs: [] } } }));
        await this.calls.ignore404(() => this.neutron('DELETE', `/ports/${enc(port.id)}`));
        this.log.info({ amphoraId, portId: port.id }, 'VRRP port deleted');
      }
    });
  }

  /** Nova's detach is asynchronous: Octavia waits until Neutron no longer lists the port on the server. */
  private async waitDetached(computeId: string, portId: string): Promise<void> {
    const until = Date.now() + this.settings.portDetachTimeoutSeconds * 1000;
    for (;;) {
      const res = await this.neutron<{ ports?: NeutronPort[] }>('GET', '/ports', { query: { device_id: computeId } });
      if (!(res?.ports ?? []).some((p) => p.id === portId)) return;
      if (Date.now() >= until) {
        // As Octavia: the port is deleted all the same (Nova lets go of a deleted port).
        this.log.warn({ computeId, portId, timeoutSeconds: this.settings.portDetachTimeoutSeconds }, 'Port still attached after the detach timeout');
        return;
      }
      await sleep(this.settings.retryIntervalSeconds * 1000);
    }
  }

  // ---- member networks ----------------------------------------------------------------------------

  /** get_plugged_networks: the server's ports, as Neutron lists them by device (recorded 28, 78, 79). */
  async getPluggedNetworks(computeId: string): Promise<PluggedNic[]> {
    return this.calls.guard({ action: `list the networks of server ${computeId}` }, async () =>
      (await this.serverPorts(computeId)).map((p) => ({
        networkId: p.network_id,
        portId: p.id,
        fixedIps: (p.fixed_ips ?? []).map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address })),
      })),
    );
  }

  /**
   * plug_network: Nova makes the port on the network (os-interface with net_id), so it is deleted with
   * the server. A NIC on the network already (a retry whose answer was lost) is the one returned.
   */
  async plugNetwork(amphora: AmphoraRef, networkId: string): Promise<MemberNic> {
    const { amphoraId, computeId } = amphora;
    return this.calls.guard({ action: `plug network ${networkId} into amphora ${amphoraId}`, errorClass: PlugNetworkError, notFound: { kind: 'Network', id: networkId } }, async () => {
      let port = (await this.serverPorts(computeId)).find((p) => p.network_id === networkId);
      if (!port) {
        const portId = await this.compute.attachNetwork(computeId, networkId);
        port = await this.port(portId);
        this.log.info({ amphoraId, networkId, portId }, 'Member network plugged');
      }
      const network = await this.network(networkId);
      const fixedIps = [];
      for (const f of port.fixed_ips ?? []) {
        const subnet = await this.subnet(f.subnet_id);
        fixedIps.push({
          subnetId: f.subnet_id,
          ipAddress: f.ip_address,
          subnetCidr: subnet.cidr,
          gateway: subnet.gateway_ip,
          hostRoutes: (subnet.host_routes ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
        });
      }
      return { networkId, portId: port.id, macAddress: port.mac_address ?? '', mtu: toNetwork(network).mtu, fixedIps };
    });
  }

  /** unplug_network, then delete_port (HandleNetworkDelta): detached, waited for, deleted. */
  async unplugNetwork(amphora: AmphoraRef, networkId: string): Promise<void> {
    const { amphoraId, computeId } = amphora;
    await this.calls.guard({ action: `unplug network ${networkId} from amphora ${amphoraId}`, errorClass: UnplugNetworkError }, async () => {
      for (const port of (await this.serverPorts(computeId)).filter((p) => p.network_id === networkId)) {
        await this.compute.detachPort(computeId, port.id);
        await this.waitDetached(computeId, port.id);
        await this.calls.ignore404(() => this.neutron('DELETE', `/ports/${enc(port.id)}`));
        this.log.info({ amphoraId, networkId, portId: port.id }, 'Member network unplugged');
      }
    });
  }

  private async serverPorts(computeId: string): Promise<NeutronPort[]> {
    if (!computeId) return [];
    const res = await this.neutron<{ ports?: NeutronPort[] }>('GET', '/ports', { query: { device_id: computeId } });
    return (res?.ports ?? []).filter((p) => p.device_id === computeId);
  }

  async updateVip(loadBalancerId: string, vip: Vip, listeners: VipListener[], topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<void> {
    await this.calls.guard({ action: `update the security group of load balancer ${loadBalancerId}` }, async () => {
      const group = await this.securityGroup(loadBalancerId);
      if (!group) {
        // Octavia: MissingVIPSecurityGroup, except on the way to a delete (nothing left to filter).
        if (listeners.length === 0) return;
        throw new NetworkError(`Security group ${securityGroupName(loadBalancerId)} of load balancer ${loadBalancerId} is missing.`, { retryable: false });
      }
      const res = await this.neutron<{ security_group_rules?: NeutronRule[] }>('GET', '/security-group-rules', { query: { security_group_id: group.id } });
      const existing = res?.security_group_rules ?? [];
      const plan = planRules(existing, listenerRules(listeners));
      for (const rule of plan.remove) await this.calls.ignore404(() => this.neutron('DELETE', `/security-group-rules/${enc(rule.id)}`));
      const ethertype = vip.ipAddress.includes(':') ? 'IPv6' : 'IPv4';
      for (const add of plan.add) await this.createRule(group.id, { protocol: add.protocol, port_range_min: add.port, port_range_max: add.port, ethertype, remote_ip_prefix: add.cidr });
      if (topology === 'ACTIVE_STANDBY') {
        for (const protocol of [VRRP_PROTOCOL, AUTH_HEADER_PROTOCOL]) {
          if (!hasProtocolRule(existing, protocol)) await this.createRule(group.id, { protocol, port_range_min: null, port_range_max: null, ethertype, remote_ip_prefix: null });
        }
      }
      if (plan.add.length || plan.remove.length) this.log.info({ loadBalancerId, added: plan.add, removed: plan.remove.map((r) => r.id) }, 'VIP security group rules updated');
    });
  }

  /** An ingress rule; one that exists already (409 SecurityGroupRuleExists) is fine. */
  private async createRule(groupId: string, rule: Record<string, unknown>): Promise<void> {
    try {
      await this.neutron('POST', '/security-group-rules', { body: { security_group_rule: { security_group_id: groupId, direction: 'ingress', ...rule } } });
    } catch (err) {
      if (!isNeutron(err, 409)) throw err;
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private neutron<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.calls.request<T>('network', method, path, opts);
  }

  /** The object Neutron answers a request about one object with (`{"<key>": {...}}`); there must be one. */
  private async one<T>(method: 'GET' | 'POST' | 'PUT', path: string, key: string, body?: unknown): Promise<T> {
    const res = await this.neutron<Record<string, T>>(method, path, body === undefined ? {} : { body });
    const found = res?.[key];
    if (!found) throw new NetworkError(`Neutron answered ${method} ${path} without a ${key}.`);
    return found;
  }

  private created<T>(path: string, body: unknown, key: string): Promise<T> {
    return this.one<T>('POST', path, key, body);
  }

  private updated(portId: string, fields: Record<string, unknown>): Promise<NeutronPort> {
    return this.one<NeutronPort>('PUT', `/ports/${enc(portId)}`, 'port', { port: fields });
  }

  private port(id: string): Promise<NeutronPort> {
    return this.one<NeutronPort>('GET', `/ports/${enc(id)}`, 'port');
  }

  private async portOrUndefined(id: string): Promise<NeutronPort | undefined> {
    try {
      return await this.port(id);
    } catch (err) {
      if (isNeutron(err, 404)) return undefined;
      throw err;
    }
  }

  private async portsNamed(name: string): Promise<NeutronPort[]> {
    const res = await this.neutron<{ ports?: NeutronPort[] }>('GET', '/ports', { query: { name } });
    return (res?.ports ?? []).filter((p) => p.name === name);
  }

  private subnet(id: string): Promise<NeutronSubnet> {
    return this.one<NeutronSubnet>('GET', `/subnets/${enc(id)}`, 'subnet');
  }

  private network(id: string): Promise<NeutronNetwork> {
    return this.one<NeutronNetwork>('GET', `/networks/${enc(id)}`, 'network');
  }

  private async securityGroup(loadBalancerId: string): Promise<NeutronSecurityGroup | undefined> {
    const name = securityGroupName(loadBalancerId);
    const res = await this.neutron<{ security_groups?: NeutronSecurityGroup[] }>('GET', '/security-groups', { query: { name } });
    return (res?.security_groups ?? []).find((g) => g.name === name);
  }

  private async createSecurityGroup(loadBalancerId: string): Promise<NeutronSecurityGroup> {
    const group = await this.created<NeutronSecurityGroup>('/security-groups', { security_group: { name: securityGroupName(loadBalancerId) } }, 'security_group');
    this.log.info({ loadBalancerId, securityGroupId: group.id }, 'VIP security group created');
    return group;
  }

  private async deleteQuietly(portId: string, what: string): Promise<void> {
    try {
      await this.calls.ignore404(() => this.neutron('DELETE', `/ports/${enc(portId)}`));
    } catch (err) {
      this.log.warn({ portId, err }, `Could not delete the ${what}: it is left for cleanup`);
    }
  }
}

const enc = encodeURIComponent;

/** The VIP on `port`: its address on the requested subnet (or its first). */
function vipOf(port: NeutronPort, request: VipRequest): Vip {
  const fixed = (port.fixed_ips ?? []).find((f) => !request.subnetId || f.subnet_id === request.subnetId);
  if (!fixed) throw new InvalidNetworkRequest(`Port ${port.id} has no address${request.subnetId ? ` on subnet ${request.subnetId}` : ''}.`);
  return { ipAddress: fixed.ip_address, portId: port.id, subnetId: fixed.subnet_id, networkId: port.network_id, qosPolicyId: request.qosPolicyId ?? null };
}

/** Octavia's re-entry check: the found port is on the network, subnet and address asked for. */
function matchesRequest(port: NeutronPort, r: VipRequest): boolean {
  const ips = port.fixed_ips ?? [];
  if (r.networkId && port.network_id !== r.networkId) return false;
  if (r.subnetId && !ips.some((f) => f.subnet_id === r.subnetId)) return false;
  if (r.ipAddress && !ips.some((f) => f.ip_address === r.ipAddress && (!r.subnetId || f.subnet_id === r.subnetId))) return false;
  return ips.length > 0;
}

function hasOnlyPair(port: NeutronPort, ip: string): boolean {
  const pairs = port.allowed_address_pairs ?? [];
  return pairs.length === 1 && pairs[0]?.ip_address === ip;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
