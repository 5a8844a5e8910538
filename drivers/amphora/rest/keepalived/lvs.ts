/**
 * The keepalived/LVS configuration of a UDP or SCTP listener, byte for byte as Octavia 11's
 * LvsJinjaTemplater renders keepalivedlvs.cfg.j2 (octavia/common/jinja/lvs/): one file per listener,
 * uploaded with PUT /1.0/listeners/<amphora_id>/<listener_id>/udp_listener and applied with
 * PUT /1.0/listeners/<listener_id>/reload. Octavia does not render HAProxy for these listeners; the
 * agent runs one keepalived per listener, in the amphora's `amphora-haproxy` namespace, that programs
 * IPVS (NAT) with the listener's default pool as real servers and checks them itself.
 *
 * The template's blank lines are reproduced as it produces them; test/fixtures/keepalived/ holds what
 * Octavia itself renders (scripts/octavia-keepalived-oracle.py).
 */
import type { HealthMonitorConfig, ListenerConfig, LoadBalancerConfig, MemberConfig, PoolConfig } from '../../port';
import { AmphoraDriverError } from '../../errors';
import { esc } from '../haproxy/text';
import { ipVersion } from './ip';

/** Octavia's LVS_PROTOCOLS (keepalived's `protocol` keyword takes the same names). */
const LVS_PROTOCOLS = ['UDP', 'SCTP'] as const;
type LvsProtocol = (typeof LVS_PROTOCOLS)[number];

/** jinja_cfg.py BALANCE_MAP; anything else (SOURCE_IP_PORT) is weighted round robin. */
const LB_ALGO: Record<string, string> = { ROUND_ROBIN: 'wrr', LEAST_CONNECTIONS: 'lc', SOURCE_IP: 'sh' };

/** constants.AMPHORA_NAMESPACE: where the agent runs the VIP's interface and every listener. */
const AMPHORA_NAMESPACE = 'amphora-haproxy';

export function isLvsProtocol(protocol: string): protocol is LvsProtocol {
  return (LVS_PROTOCOLS as readonly string[]).includes(protocol);
}

/** The listeners keepalived serves (one configuration each), in order. */
export function lvsListeners(config: LoadBalancerConfig): ListenerConfig[] {
  return config.listeners.filter((l) => isLvsProtocol(l.protocol));
}

/** Where real servers are checked: the monitor address and port when set (jinja's default(..., true)). */
function checkTarget(member: MemberConfig): { address: string; port: number } {
  return { address: member.monitorAddress || member.address, port: member.monitorPort || member.protocolPort };
}

/** One real server's check block, or nothing for monitor types keepalived does not check (PING, HEAD, ...). */
function checkBlock(hm: HealthMonitorConfig, member: MemberConfig, basePath: string): string {
  const { address, port } = checkTarget(member);
  const target = `            connect_ip ${esc(address)}\n            connect_port ${port}\n            connect_timeout ${hm.timeout}\n`;
  switch (hm.type) {
    case 'UDP_CONNECT':
      // The agent installs udp_check.sh there with the first UDP listener.
      return (
        '        MISC_CHECK {\n' +
        `            misc_path "${esc(`${basePath}/lvs/check/udp_check.sh`)} ${esc(address)} ${port}"\n` +
        `            misc_timeout ${hm.timeout}\n        }`
      );
    case 'SCTP':
      return (
        '        MISC_CHECK {\n' +
        `            misc_path "amphora-health-checker sctp -t ${hm.timeout} ${esc(address)} ${port}"\n` +
        `            misc_timeout ${hm.timeout + 1}\n        }`
      );
    case 'HTTP': {
      if (hm.httpMethod !== 'GET') return '';
      const urls = expectedCodes(hm.expectedCodes).map(
        (code) => `            url {\n              path ${esc(hm.urlPath)}\n              status_code ${esc(code)}\n            }\n`,
      );
      return `        HTTP_GET {\n${urls.join('')}${target}        }`;
    }
    case 'TCP':
      return `        TCP_CHECK {\n${target}        }`;
    default:
      return '';
  }
}

/** utils.expand_expected_codes, sorted as strings ("200-202, 404" -> 200 201 202 404). */
function expectedCodes(codes: string | null): string[] {
  if (!codes) return [];
  const all = new Set<string>();
  for (const code of codes.split(/, */)) {
    if (!code) continue;
    const [low = '', high] = code.split('-');
    if (high === undefined) all.add(code);
    else for (let i = parseInt(low, 10); i <= parseInt(high, 10); i++) all.add(String(i));
  }
  return [...all].sort();
}

function realServer(listener: ListenerConfig, pool: PoolConfig, member: MemberConfig, basePath: string): string {
  if (!member.enabled) return `    # Member ${esc(member.id)} is disabled\n`;
  const hm = pool.healthMonitor?.enabled ? pool.healthMonitor : null;
  let out = `    # Configuration for Member ${esc(member.id)}\n    real_server ${esc(member.address)} ${member.protocolPort} {\n        weight ${member.weight}\n`;
  // keepalived's upper threshold of connections per real server: the listener's limit, when it has one.
  if (listener.connectionLimit > 0) out += `        uthreshold ${listener.connectionLimit}\n`;
  // The template glues the check block to the previous line's newline, and adds one after it.
  return `${out}${hm ? checkBlock(hm, member, basePath) : ''}\n    }\n`;
}

function persistenceLines(pool: PoolConfig): string {
  const sp = pool.sessionPersistence;
  if (sp?.type !== 'SOURCE_IP') return '';
  return (
    `    persistence_timeout ${sp.persistenceTimeout || 360}\n` +
    `    persistence_granularity ${esc(sp.persistenceGranularity || '255.255.255.255')}\n`
  );
}

function monitorLines(pool: PoolConfig): string {
  const hm = pool.healthMonitor;
  if (!hm?.enabled) return '';
  // Octavia's fall_threshold is max_retries_down; rise (max_retries) has no keepalived counterpart here.
  const retry = hm.maxRetriesDown ? `    retry ${hm.maxRetriesDown}\n` : '';
  return `    delay_loop ${hm.delay}\n    delay_before_retry ${hm.delay}\n${retry}`;
}

/** What the virtual server of a listener is made of (Octavia's _transform_loadbalancer). */
interface VirtualServerScope {
  listener: ListenerConfig;
  protocol: LvsProtocol;
  pool: PoolConfig;
  vip: string;
  version: 4 | 6;
  basePath: string;
}

/** The virtual server group of the VIP (its IP version's) and the virtual server over the default pool. */
function virtualServer({ listener, protocol, pool, vip, version, basePath }: VirtualServerScope): string {
  const group = `ipv${version}-group`;
  let out = `virtual_server_group ${group} {\n    ${esc(vip)} ${listener.protocolPort}\n}\n\n`;
  out += `virtual_server group ${group} {\n    lb_algo ${LB_ALGO[pool.lbAlgorithm] ?? 'wrr'}\n    lb_kind NAT\n`;
  out += `    protocol ${protocol}\n`;
  out += persistenceLines(pool);
  out += `${monitorLines(pool)}\n\n`;
  out += pool.enabled ? `    # Configuration for Pool ${esc(pool.id)}\n` : `    # Pool ${esc(pool.id)} is disabled\n`;
  if (pool.healthMonitor?.enabled) out += `    # Configuration for HealthMonitor ${esc(pool.healthMonitor.id)}\n`;
  if (pool.enabled) {
    // Members of the other IP version get no real server (the API refuses them: unsupportedLvsFeatures).
    for (const member of pool.members.filter((m) => ipVersion(m.address) === version)) {
      out += `${realServer(listener, pool, member, basePath)}\n`;
    }
  }
  return `${out}}\n`;
}

/**
 * Renders the keepalived configuration of one UDP or SCTP listener of the load balancer. `basePath` is
 * [haproxy_amphora] base_path (where the agent keeps the UDP check script). Throws what Octavia's
 * templater fails on: no VIP address, a listener or default pool that is not UDP/SCTP.
 */
export function renderKeepalivedLvsConfig(config: LoadBalancerConfig, listenerId: string, basePath: string): string {
  const listener = config.listeners.find((l) => l.id === listenerId);
  if (!listener) throw new AmphoraDriverError(`Listener ${listenerId} is not a listener of load balancer ${config.loadBalancerId}.`);
  const { protocol } = listener;
  if (!isLvsProtocol(protocol)) throw new AmphoraDriverError(`Listener ${listenerId} is ${protocol}: keepalived serves only UDP and SCTP listeners.`);
  const vip = config.vipAddress;
  if (vip === null) throw new AmphoraDriverError(`Load balancer ${config.loadBalancerId} has no VIP address to serve listener ${listenerId} on.`);
  const version = ipVersion(vip);
  const pool = config.pools.find((p) => p.id === listener.defaultPoolId);
  if (pool && !isLvsProtocol(pool.protocol)) {
    throw new AmphoraDriverError(`Pool ${pool.id} is ${pool.protocol}: the default pool of a ${protocol} listener must be UDP or SCTP.`);
  }
  let out = `# Configuration for Loadbalancer ${esc(config.loadBalancerId)}\n`;
  out += listener.enabled ? `# Configuration for Listener ${esc(listener.id)}\n` : `# Listener ${esc(listener.id)} is disabled\n`;
  out += `\nnet_namespace ${AMPHORA_NAMESPACE}\n\n`;
  if (config.enabled && listener.enabled) out += `${pool ? virtualServer({ listener, protocol, pool, vip, version, basePath }) : ''}\n`;
  return out;
}
