/**
 * The `rest` amphora driver: Octavia's amphora_haproxy_rest_driver against Octavia 11's own amphora
 * agent (API 1.0), over the client in client.ts. The haproxy.cfg text comes from the renderer handed
 * in (drivers/amphora/rest/haproxy/), which is given the HAProxy version the agent reports, as
 * Octavia's templater is.
 *
 * What it does not do (the API refuses these with the rest driver): UDP and SCTP listeners (Octavia
 * serves them with keepalived/LVS through `udp_listener` calls) and TLS certificate uploads.
 */
import { isIP } from 'node:net';
import { logger } from '../../../common/logger';
import type { AmphoraNetworkConfig, MemberNic } from '../../network/port';
import { AmphoraAgentRequestError, AmphoraDriverError, AmphoraDriverNotSupported } from '../errors';
import type { AmphoraBoot, AmphoraDriver, AmphoraInfo, AmphoraPeer, AmphoraTarget, LoadBalancerConfig } from '../port';
import type { AmphoraBootFiles } from './boot';
import { API_VERSION, type AgentEndpoint, type AmphoraAgentClient } from './client';
import { DEFAULT_HAPROXY_OPTIONS, type HaproxyAmphoraOptions, type HaproxyRenderContext } from './haproxy/context';

/** renderHaproxyConfig (drivers/amphora/rest/haproxy/): null when HAProxy serves none of the listeners. */
export type HaproxyRenderer = (config: LoadBalancerConfig, context: HaproxyRenderContext) => string | null;

/** Listener protocols Octavia serves with keepalived/LVS, not HAProxy (consts.LVS_PROTOCOLS). */
const LVS_PROTOCOLS = new Set(['UDP', 'SCTP']);

export class RestAmphoraDriver implements AmphoraDriver {
  readonly name = 'rest';

  constructor(
    private readonly client: AmphoraAgentClient,
    private readonly render: HaproxyRenderer,
    private readonly haproxyOptions: HaproxyAmphoraOptions = DEFAULT_HAPROXY_OPTIONS,
    /** What new amphorae are built with; a driver made only to talk to running agents needs none. */
    private readonly boot?: AmphoraBootFiles,
  ) {}

  /** A fresh agent certificate, the client CA and amphora-agent.conf (boot.ts). */
  bootFiles(amphoraId: string, topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<AmphoraBoot> {
    if (!this.boot) throw new AmphoraDriverError('This rest amphora driver was made without boot settings: it cannot build amphorae.', { amphoraId });
    return this.boot.forAmphora(amphoraId, topology);
  }

  /** GET / (the agent's API version must be 1.0), then GET /1.0/info. */
  async getInfo(amphora: AmphoraTarget): Promise<AmphoraInfo> {
    const at = endpoint(amphora);
    const discovery = await this.client.request(at, { method: 'GET', path: '/', action: 'discover its API version', retry404: false, accept: [404] });
    const apiVersion = (discovery.json() as { api_version?: unknown } | undefined)?.api_version;
    if (discovery.status === 404 || apiVersion !== API_VERSION) {
      // Octavia 0.5 agents have no version discovery (404); they need the split configuration.
      throw new AmphoraDriverNotSupported(
        `Amphora ${amphora.amphoraId} speaks agent API ${discovery.status === 404 ? '0.5' : JSON.stringify(apiVersion)}; this driver speaks ${API_VERSION}.`,
        { amphoraId: amphora.amphoraId },
      );
    }
    const info = (await this.client.request(at, { method: 'GET', path: 'info', action: 'report its versions' })).json() as Record<string, unknown> | undefined;
    if (typeof info?.haproxy_version !== 'string') {
      throw new AmphoraDriverError(`Amphora ${amphora.amphoraId} reported no haproxy_version.`, { amphoraId: amphora.amphoraId, retryable: true });
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      hostname: str(info.hostname) ?? '',
      haproxyVersion: info.haproxy_version,
      apiVersion,
      keepalivedVersion: str(info.keepalived_version),
      ipvsadmVersion: str(info.ipvsadm_version),
    };
  }

  /** POST /1.0/plug/vip/<vip> with Octavia's net_info; 409 ("Interface already exists") is success. */
  async plugVip(amphora: AmphoraTarget, vipAddress: string, network: AmphoraNetworkConfig): Promise<void> {
    if (!isIP(vipAddress)) throw new AmphoraDriverError(`Not a VIP address: ${JSON.stringify(vipAddress)}.`, { amphoraId: amphora.amphoraId });
    const answer = await this.client.request(endpoint(amphora), {
      method: 'POST',
      path: `plug/vip/${vipAddress}`,
      action: `plug VIP ${vipAddress}`,
      // Octavia's _build_net_info, in its key order.
      json: {
        subnet_cidr: network.subnetCidr,
        gateway: network.gateway,
        mac_address: network.macAddress,
        vrrp_ip: network.vrrpIp,
        mtu: network.mtu,
        host_routes: network.hostRoutes.map((r) => ({ nexthop: r.nexthop, destination: r.destination })),
        additional_vips: [],
      },
      accept: [409],
    });
    if (answer.status === 409) {
      logger.warn({ amphoraId: amphora.amphoraId, mac: network.macAddress }, 'VIP already plugged on the amphora, skipping post_vip_plug');
    }
  }

  /**
   * POST /1.0/plug/network with Octavia's port_info (post_network_plug): the NIC by MAC, its addresses
   * with their subnets' CIDR, gateway and host routes, the network's MTU. 409 is success, as Octavia's.
   */
  async plugNetwork(amphora: AmphoraTarget, nic: MemberNic): Promise<void> {
    const answer = await this.client.request(endpoint(amphora), {
      method: 'POST',
      path: 'plug/network',
      action: `plug network ${nic.networkId}`,
      json: {
        mac_address: nic.macAddress,
        fixed_ips: nic.fixedIps.map((f) => ({
          ip_address: f.ipAddress,
          subnet_cidr: f.subnetCidr,
          host_routes: f.hostRoutes.map((r) => ({ nexthop: r.nexthop, destination: r.destination })),
          gateway: f.gateway,
        })),
        mtu: nic.mtu,
      },
      accept: [409],
    });
    if (answer.status === 409) {
      logger.warn({ amphoraId: amphora.amphoraId, mac: nic.macAddress }, 'Network already plugged on the amphora, skipping post_network_plug');
    }
  }

  /**
   * GET / and GET /1.0/info (the HAProxy version selects template features), then
   * PUT /1.0/loadbalancer/<amphora_id>/<lb_id>/haproxy and PUT /1.0/loadbalancer/<lb_id>/reload;
   * with no listener left, DELETE /1.0/listeners/<lb_id> (Octavia's update_amphora_listeners).
   */
  async updateConfig(amphora: AmphoraTarget, config: LoadBalancerConfig, peers: AmphoraPeer[] = []): Promise<void> {
    const lvs = config.listeners.filter((l) => LVS_PROTOCOLS.has(l.protocol));
    if (lvs.length) {
      throw new AmphoraDriverNotSupported(
        `The rest amphora driver does not serve ${[...new Set(lvs.map((l) => l.protocol))].join(', ')} listeners yet (listener ${lvs.map((l) => l.id).join(', ')}).`,
        { amphoraId: amphora.amphoraId },
      );
    }
    if (config.listeners.length === 0) return this.removeConfig(amphora, config.loadBalancerId);
    if (config.topology === 'ACTIVE_STANDBY' && peers.length === 0) {
      throw new AmphoraDriverError(`The configuration of ACTIVE_STANDBY load balancer ${config.loadBalancerId} needs its amphorae (HAProxy peers).`, {
        amphoraId: amphora.amphoraId,
      });
    }
    const info = await this.getInfo(amphora);
    const haproxyCfg = this.render(config, { haproxyVersion: info.haproxyVersion, amphorae: peers, options: this.haproxyOptions });
    if (haproxyCfg === null) return this.removeConfig(amphora, config.loadBalancerId);
    const at = endpoint(amphora);
    await this.client.request(at, {
      method: 'PUT',
      path: `loadbalancer/${amphora.amphoraId}/${config.loadBalancerId}/haproxy`,
      action: 'upload the haproxy configuration',
      text: haproxyCfg,
      uploadsConfig: true,
    });
    await this.client.request(at, { method: 'PUT', path: `loadbalancer/${config.loadBalancerId}/reload`, action: 'reload haproxy' });
  }

  async start(amphora: AmphoraTarget, loadBalancerId: string): Promise<void> {
    await this.action(amphora, loadBalancerId, 'start');
  }

  async stop(amphora: AmphoraTarget, loadBalancerId: string): Promise<void> {
    await this.action(amphora, loadBalancerId, 'stop');
  }

  /** DELETE /1.0/listeners/<lb_id>: stops haproxy and removes its files; gone already is fine. */
  async removeConfig(amphora: AmphoraTarget, loadBalancerId: string): Promise<void> {
    await this.client.request(endpoint(amphora), {
      method: 'DELETE',
      path: `listeners/${loadBalancerId}`,
      action: 'delete the load balancer configuration',
      accept: [404],
    });
  }

  /** PUT /1.0/config; an agent without that API (404) cannot take it. */
  async updateAgentConfig(amphora: AmphoraTarget, agentConfig: string): Promise<void> {
    try {
      await this.client.request(endpoint(amphora), { method: 'PUT', path: 'config', action: 'update its agent configuration', text: agentConfig });
    } catch (err) {
      if (err instanceof AmphoraAgentRequestError && err.status === 404) {
        throw new AmphoraDriverNotSupported(`Amphora ${amphora.amphoraId} does not support the update_agent_config API.`, { amphoraId: amphora.amphoraId, cause: err });
      }
      throw err;
    }
  }

  /** GET /1.0/interface/<ip>: the NIC the agent finds the address on (404 when none holds it: final). */
  async getInterface(amphora: AmphoraTarget, ipAddress: string): Promise<string> {
    if (!isIP(ipAddress)) throw new AmphoraDriverError(`Not an IP address: ${JSON.stringify(ipAddress)}.`, { amphoraId: amphora.amphoraId });
    const answer = await this.client.request(endpoint(amphora), { method: 'GET', path: `interface/${ipAddress}`, action: `find the interface of ${ipAddress}` });
    const name = (answer.json() as { interface?: unknown } | undefined)?.interface;
    if (typeof name !== 'string' || name === '') {
      throw new AmphoraDriverError(`Amphora ${amphora.amphoraId} named no interface for ${ipAddress}.`, { amphoraId: amphora.amphoraId, retryable: true });
    }
    return name;
  }

  /** PUT /1.0/vrrp/upload (keepalived's configuration, rendered by the caller). */
  async uploadVrrpConfig(amphora: AmphoraTarget, keepalivedConfig: string): Promise<void> {
    await this.client.request(endpoint(amphora), {
      method: 'PUT',
      path: 'vrrp/upload',
      action: 'upload the keepalived configuration',
      text: keepalivedConfig,
      uploadsConfig: true,
    });
  }

  /** PUT /1.0/vrrp/start. */
  async startVrrp(amphora: AmphoraTarget): Promise<void> {
    await this.client.request(endpoint(amphora), { method: 'PUT', path: 'vrrp/start', action: 'start keepalived' });
  }

  /**
   * PUT /1.0/loadbalancer/<lb_id>/<action>. A 404 ("Loadbalancer Not Found") means nothing is
   * configured on the amphora (no listener yet, or the last one removed): nothing to start or stop.
   */
  private async action(amphora: AmphoraTarget, loadBalancerId: string, action: 'start' | 'stop'): Promise<void> {
    const answer = await this.client.request(endpoint(amphora), {
      method: 'PUT',
      path: `loadbalancer/${loadBalancerId}/${action}`,
      action: `${action} haproxy`,
      accept: [404],
    });
    if (answer.status === 404) logger.debug({ amphoraId: amphora.amphoraId, loadBalancerId, action }, 'Nothing configured on the amphora to act on');
  }
}

function endpoint(amphora: AmphoraTarget): AgentEndpoint {
  if (!amphora.lbNetworkIp) {
    throw new AmphoraDriverError(`Amphora ${amphora.amphoraId} has no management address (lb_network_ip) to reach its agent on.`, {
      amphoraId: amphora.amphoraId,
    });
  }
  return { amphoraId: amphora.amphoraId, lbNetworkIp: amphora.lbNetworkIp };
}
