/**
 * The keepalived VRRP configuration of an ACTIVE_STANDBY amphora, byte for byte as Octavia 11's
 * KeepalivedJinjaTemplater renders keepalived_base.template
 * (octavia/amphorae/drivers/keepalived/jinja/), uploaded with PUT /1.0/vrrp/upload and started with
 * PUT /1.0/vrrp/start. Both amphorae of a pair get the same instance (name, router id, password), each
 * with its own state, priority and source address, the other as unicast peer. The VIP lives on the
 * MASTER; `nopreempt` keeps it where it is when a failed MASTER comes back.
 *
 * test/fixtures/keepalived/ holds what Octavia itself renders (scripts/octavia-keepalived-oracle.py).
 */
import { randomUUID } from 'node:crypto';
import type { AmphoraNetworkConfig } from '../../../network/port';
import type { AmphoraPeer } from '../../port';
import { esc } from '../haproxy/text';
import { ipVersion, networkWithPrefixlen } from './ip';

/** Octavia 11's `[keepalived_vrrp]` options (octavia/common/config.py). */
export interface KeepalivedVrrpOptions {
  /** vrrp_advert_int: seconds between advertisements, copied into a new load balancer's VRRP group. */
  vrrpAdvertInt: number;
  /** vrrp_check_interval: seconds between runs of the amphora's check script (is HAProxy alive). */
  vrrpCheckInterval: number;
  /** vrrp_fail_count: failed checks before the instance gives up the VIP. */
  vrrpFailCount: number;
  /** vrrp_success_count: passed checks before it may hold the VIP again. */
  vrrpSuccessCount: number;
  /** vrrp_garp_refresh_interval: seconds between gratuitous ARPs from the MASTER. */
  vrrpGarpRefreshInterval: number;
  /** vrrp_garp_refresh_count: gratuitous ARPs per refresh. */
  vrrpGarpRefreshCount: number;
}

export const DEFAULT_KEEPALIVED_VRRP_OPTIONS: Readonly<KeepalivedVrrpOptions> = Object.freeze({
  vrrpAdvertInt: 1,
  vrrpCheckInterval: 5,
  vrrpFailCount: 2,
  vrrpSuccessCount: 2,
  vrrpGarpRefreshInterval: 5,
  vrrpGarpRefreshCount: 2,
});

/**
 * Octavia's vrrp_group row: made once when an ACTIVE_STANDBY load balancer is created
 * (CreateVRRPGroupForLB), the same for every amphora it ever has, replacements included.
 */
export interface VrrpGroup {
  /** vrrp_group_name: the load balancer id without dashes. */
  name: string;
  /** vrrp_auth_type: Octavia always writes PASS. */
  authType: 'PASS' | 'AH';
  /** vrrp_auth_pass: a secret (never logged, never in an API answer). */
  authPass: string;
  /** advert_int: [keepalived_vrrp] vrrp_advert_int when the group was made. */
  advertInt: number;
}

/**
 * A new load balancer's VRRP group as Octavia makes it: a password of the first 7 hex digits of a
 * random UUID. Random: call it once, in an activity, and store the result.
 */
export function newVrrpGroup(loadBalancerId: string, options: Pick<KeepalivedVrrpOptions, 'vrrpAdvertInt'>): VrrpGroup {
  return {
    name: loadBalancerId.replaceAll('-', ''),
    authType: 'PASS',
    authPass: randomUUID().replaceAll('-', '').slice(0, 7),
    advertInt: options.vrrpAdvertInt,
  };
}

/** Octavia's ROLE_MASTER_PRIORITY / ROLE_BACKUP_PRIORITY: what the flows store as vrrp_priority. */
export const VRRP_PRIORITY = Object.freeze({ MASTER: 100, BACKUP: 90 });

/** Octavia gives every amphora vrrp_id 1 (one VRRP instance per VIP network port pair). */
export const DEFAULT_VRRP_ID = 1;

/** The amphora the configuration is for. */
export interface VrrpAmphora {
  role: 'MASTER' | 'BACKUP';
  /** Its address on the VIP network: keepalived's unicast source. */
  vrrpIp: string;
  /** Its VIP-network NIC as the agent names it (GET /1.0/interface/<vrrp_ip>), e.g. eth1. */
  vrrpInterface: string;
  /** virtual_router_id (DEFAULT_VRRP_ID). */
  vrrpId: number;
  /** VRRP_PRIORITY of its role. */
  vrrpPriority: number;
}

export interface VrrpRenderInput {
  group: VrrpGroup;
  vipAddress: string;
  /** The VIP's subnet, as the network driver's plugVip reported it. */
  vipSubnet: Pick<AmphoraNetworkConfig, 'subnetCidr' | 'gateway' | 'hostRoutes'>;
  amphora: VrrpAmphora;
  /** Every amphora of the load balancer: the other ALLOCATED ones are the unicast peers. */
  amphorae: AmphoraPeer[];
}

/** keepalived_check_script_path(): the agent writes this script when it starts VRRP. */
function checkScriptPath(basePath: string): string {
  return `${basePath}/vrrp/check_script.sh`;
}

/** The VIP's routing lines: its subnet, its default route and the subnet's host routes, all in table 1. */
function routeLines(input: VrrpRenderInput, interfaceName: string): string[] {
  const { vipAddress, vipSubnet } = input;
  const lines = [`        ${esc(networkWithPrefixlen(vipSubnet.subnetCidr))} dev ${interfaceName} src ${esc(vipAddress)} scope link table 1`];
  if (vipSubnet.gateway) lines.push(`        default via ${esc(vipSubnet.gateway)} dev ${interfaceName} onlink table 1`);
  // Octavia 11 writes `gateway`, which keepalived 2.2 does not parse (it skips the route with a
  // warning; the agent's interface files carry the host routes anyway). Kept for byte identity.
  for (const route of vipSubnet.hostRoutes) {
    lines.push(`        ${esc(route.destination)} dev ${interfaceName} gateway ${esc(route.nexthop)} onlink table 1`);
  }
  return lines;
}

/**
 * Renders the keepalived configuration of one amphora of an ACTIVE_STANDBY pair. `basePath` is
 * [haproxy_amphora] base_path (where the agent keeps the check script).
 */
export function renderKeepalivedVrrpConfig(input: VrrpRenderInput, options: KeepalivedVrrpOptions, basePath: string): string {
  const { group, amphora, vipAddress } = input;
  const intf = esc(amphora.vrrpInterface);
  const vipIpv6 = ipVersion(vipAddress) === 6;
  // A VIP of the other family than the VRRP address cannot be advertised: keepalived adds it unannounced.
  const excluded = vipIpv6 !== (ipVersion(amphora.vrrpIp) === 6);
  const vip = `        ${esc(vipAddress)}`;
  const peers = input.amphorae.filter((a) => a.status === 'ALLOCATED' && a.vrrpIp !== amphora.vrrpIp).map((a) => `        ${esc(a.vrrpIp)}`);
  return [
    'vrrp_script check_script {',
    `    script ${esc(checkScriptPath(basePath))}`,
    `    interval ${options.vrrpCheckInterval}`,
    `    fall ${options.vrrpFailCount}`,
    `    rise ${options.vrrpSuccessCount}`,
    '}',
    '',
    `vrrp_instance ${esc(group.name)} {`,
    `    state ${amphora.role}`,
    `    interface ${intf}`,
    `    virtual_router_id ${amphora.vrrpId}`,
    `    priority ${amphora.vrrpPriority}`,
    '    nopreempt',
    '    accept',
    `    garp_master_refresh ${options.vrrpGarpRefreshInterval}`,
    `    garp_master_refresh_repeat ${options.vrrpGarpRefreshCount}`,
    `    advert_int ${group.advertInt}`,
    '    authentication {',
    `        auth_type ${group.authType}`,
    `        auth_pass ${esc(group.authPass)}`,
    '    }',
    '',
    `    unicast_src_ip ${esc(amphora.vrrpIp)}`,
    '    unicast_peer {',
    ...peers,
    '    }',
    '',
    '    virtual_ipaddress {',
    ...(excluded ? [] : [vip]),
    '    }',
    '',
    '    virtual_ipaddress_excluded {',
    ...(excluded ? [vip] : []),
    '    }',
    '',
    '    virtual_routes {',
    ...routeLines(input, intf),
    '    }',
    '',
    '    virtual_rules {',
    `        from ${esc(vipAddress)}/${vipIpv6 ? 128 : 32} table 1 priority 100`,
    '    }',
    '',
    '    track_script {',
    '        check_script',
    '    }',
    // Jinja drops the template's final newline.
    '}',
  ].join('\n');
}
