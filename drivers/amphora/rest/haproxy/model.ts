/**
 * The values the template prints, derived from the configuration as Octavia's jinja_cfg.py derives
 * them (defaults for 0 and -1, protocol modes, the pools a listener uses), once, so the section
 * builders only format.
 */
import type { ListenerConfig, LoadBalancerConfig, PoolConfig, PoolProtocol, ListenerProtocol } from '../../port';
import type { HaproxyAmphoraOptions, HaproxyFeatures, HaproxyRenderContext } from './context';

/** Octavia's HAPROXY_MAX_MAXCONN: the global maxconn when the listeners' sum is out of range. */
const HAPROXY_MAX_MAXCONN = 1000000;

/** UDP and SCTP are served by keepalived/LVS, never by HAProxy. */
export const LVS_PROTOCOLS: ReadonlySet<string> = new Set(['UDP', 'SCTP']);

/** jinja_cfg.py PROTOCOL_MAP: the HAProxy mode of a protocol. */
const MODES: Record<Exclude<ListenerProtocol | PoolProtocol, 'UDP' | 'SCTP'>, 'http' | 'tcp' | 'proxy'> = {
  TCP: 'tcp',
  HTTP: 'http',
  HTTPS: 'tcp',
  PROXY: 'proxy',
  PROXYV2: 'proxy',
  TERMINATED_HTTPS: 'http',
  PROMETHEUS: 'http',
};

export function modeOf(protocol: ListenerProtocol | PoolProtocol): 'http' | 'tcp' | 'proxy' {
  if (protocol === 'UDP' || protocol === 'SCTP') throw new Error(`${protocol} is not served by HAProxy`);
  return MODES[protocol];
}

/** Everything a section needs to know about the whole rendering. */
export interface RenderScope {
  config: LoadBalancerConfig;
  options: HaproxyAmphoraOptions;
  features: HaproxyFeatures;
  /** Octavia's peers section name: the load balancer id without dashes. */
  peersName: string;
}

export interface ListenerModel {
  listener: ListenerConfig;
  mode: 'http' | 'tcp' | 'proxy';
  /** Effective maxconn: -1 and 0 are [haproxy_amphora] default_connection_limit. */
  connectionLimit: number;
  timeoutClientData: number;
  timeoutMemberConnect: number;
  timeoutMemberData: number;
  timeoutTcpInspect: number;
  /** TERMINATED_HTTPS and PROMETHEUS listeners terminate TLS (PROXYV2 members get the client CN). */
  tlsEnabled: boolean;
  /**
   * Octavia's Listener.pools (db/models.py): the default pool, then the redirect pools of enabled
   * L7 policies that have rules (enabled or not), each once. Each gets a backend `<pool>:<listener>`.
   */
  pools: PoolConfig[];
  defaultPool: PoolConfig | null;
}

export function scopeOf(config: LoadBalancerConfig, context: HaproxyRenderContext, features: HaproxyFeatures): RenderScope {
  return { config, options: context.options, features, peersName: `${config.loadBalancerId.replaceAll('-', '')}_peers` };
}

/** The listeners HAProxy serves, in order. */
export function haproxyListeners(config: LoadBalancerConfig): ListenerConfig[] {
  return config.listeners.filter((l) => !LVS_PROTOCOLS.has(l.protocol));
}

export function listenerModel(scope: RenderScope, listener: ListenerConfig): ListenerModel {
  const { options } = scope;
  const poolsById = new Map(scope.config.pools.map((p) => [p.id, p]));
  const pools: PoolConfig[] = [];
  const use = (id: string | null) => {
    const pool = id === null ? undefined : poolsById.get(id);
    if (pool && !pools.includes(pool)) pools.push(pool);
  };
  use(listener.defaultPoolId);
  for (const policy of listener.l7Policies) {
    if (policy.enabled && policy.rules.length > 0) use(policy.redirectPoolId);
  }
  return {
    listener,
    mode: modeOf(listener.protocol),
    connectionLimit: effectiveConnectionLimit(listener, options),
    timeoutClientData: listener.timeouts.clientData || options.timeoutClientData,
    timeoutMemberConnect: listener.timeouts.memberConnect || options.timeoutMemberConnect,
    timeoutMemberData: listener.timeouts.memberData || options.timeoutMemberData,
    timeoutTcpInspect: listener.timeouts.tcpInspect || options.timeoutTcpInspect,
    tlsEnabled: listener.protocol === 'TERMINATED_HTTPS' || listener.protocol === 'PROMETHEUS',
    pools,
    defaultPool: (listener.defaultPoolId !== null && poolsById.get(listener.defaultPoolId)) || null,
  };
}

function effectiveConnectionLimit(listener: ListenerConfig, options: HaproxyAmphoraOptions): number {
  return listener.connectionLimit > 0 ? listener.connectionLimit : options.defaultConnectionLimit;
}

/** The global maxconn: the sum of every HAProxy listener's limit (disabled ones too), capped. */
export function globalConnectionLimit(scope: RenderScope): number {
  const sum = haproxyListeners(scope.config).reduce((n, l) => n + effectiveConnectionLimit(l, scope.options), 0);
  return sum > 0 && sum < HAPROXY_MAX_MAXCONN ? sum : HAPROXY_MAX_MAXCONN;
}
