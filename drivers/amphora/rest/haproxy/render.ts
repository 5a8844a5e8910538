/**
 * The haproxy.cfg of a load balancer, byte for byte as Octavia 11's amphora driver renders it with its
 * `combined_listeners` jinja template (octavia/common/jinja/haproxy/combined_listeners/): one file for
 * all the load balancer's HAProxy listeners, uploaded with PUT /1.0/loadbalancer/<amp>/<lb>/haproxy.
 * Blank lines and indentation are the template's, whitespace control included; test/fixtures/haproxy/
 * holds what Octavia itself renders for each feature (scripts/octavia-haproxy-oracle.py).
 */
import { createHash } from 'node:crypto';
import { HAPROXY_BASE_PEER_PORT, type LoadBalancerConfig } from '../../port';
import { AmphoraDriverNotSupported } from '../../errors';
import { backend } from './backend';
import { haproxyFeatures, type HaproxyRenderContext } from './context';
import { frontend } from './frontend';
import { globalConnectionLimit, haproxyListeners, listenerModel, scopeOf, type RenderScope } from './model';
import { esc } from './text';
import { unrenderable } from './unsupported';

/** Octavia's HAPROXY_BASE_PEER_PORT. */
const PEER_PORT = HAPROXY_BASE_PEER_PORT;

/**
 * The peer name HAProxy knows an amphora by (Octavia's hash_amp_id: base64 of the SHA-1 of its id with
 * `_-` for `+/`, a leading `-` made `x`, no padding); the agent starts HAProxy with `-L <this>`.
 */
export function haproxyPeerName(amphoraId: string): string {
  const b64 = createHash('sha1').update(amphoraId, 'utf8').digest('base64').replace(/\+/g, '_').replace(/\//g, '-');
  return b64.replace(/^-/, 'x').replace(/=/g, '');
}

function globalSection(scope: RenderScope, context: HaproxyRenderContext): string {
  const { config, options, features } = scope;
  const lines = [
    `# Configuration for loadbalancer ${esc(config.loadBalancerId)}`,
    'global',
    '    daemon',
    '    user nobody',
    `    log /run/rsyslog/octavia/log local${options.userLogFacility}`,
    `    log /run/rsyslog/octavia/log local${options.administrativeLogFacility} notice`,
    `    stats socket ${esc(`${options.basePath}/${config.loadBalancerId}.sock`)} mode 0666 level user`,
    `    server-state-file ${esc(`${options.basePath}/${config.loadBalancerId}/servers-state`)}`,
    `    maxconn ${globalConnectionLimit(scope)}`,
  ];
  // PING monitors run /var/lib/octavia/ping-wrapper.sh: HAProxy must be allowed to fork (2.2+: asked twice).
  const pings = haproxyListeners(config)
    .filter((l) => l.enabled)
    .some((l) => listenerModel(scope, l).pools.some((p) => p.enabled && p.healthMonitor?.enabled && p.healthMonitor.type === 'PING'));
  if (pings) lines.push('    external-check', ...(features.insecureFork ? ['    insecure-fork-wanted'] : []));
  lines.push(
    '',
    'defaults',
    options.connectionLogging ? '    log global' : '    no log',
    '    retries 3',
    '    option redispatch',
    '    option splice-request',
    '    option splice-response',
    '    option http-keep-alive',
    '',
    peersSection(scope, context),
    '',
  );
  return lines.join('\n') + '\n';
}

/** ACTIVE_STANDBY: the allocated amphorae share stick tables (session persistence survives a failover). */
function peersSection(scope: RenderScope, context: HaproxyRenderContext): string {
  if (scope.config.topology !== 'ACTIVE_STANDBY') return '';
  const peers = context.amphorae
    .filter((a) => a.status === 'ALLOCATED')
    .map((a) => `    peer ${esc(haproxyPeerName(a.id))} ${esc(a.vrrpIp)}:${PEER_PORT}\n`);
  return `peers ${esc(scope.peersName)}\n${peers.join('')}`;
}

/** HAProxy 2.0+ with a PROMETHEUS listener: the exporter its frontends hand metrics requests to. */
const PROMETHEUS_PROXIES = `frontend prometheus-exporter-internal-endpoint
    bind 127.0.0.1:9101
    mode http
    no log
    http-request use-service prometheus-exporter if { path /metrics }
    http-request reject
    timeout http-request 5s
    timeout client 5s
backend prometheus-exporter-internal
    mode http
    no log
    balance first
    timeout connect 5s
    timeout server 5s
    server prometheus-internal 127.0.0.1:9102
`;

/**
 * Renders the load balancer's haproxy.cfg for an amphora. Returns null when HAProxy serves none of its
 * listeners (none at all, or only UDP/SCTP ones, which keepalived serves): Octavia then uploads no
 * configuration, and when the last listener goes it deletes the one there (DELETE /1.0/listeners/<lb>).
 * Throws AmphoraDriverNotSupported for what needs certificates (see unsupportedFeatures).
 */
export function renderHaproxyConfig(config: LoadBalancerConfig, context: HaproxyRenderContext): string | null {
  const listeners = haproxyListeners(config);
  if (listeners.length === 0) return null;
  const problems = unrenderable(config);
  if (problems.length > 0) throw new AmphoraDriverNotSupported(problems.join(' '));
  const scope = scopeOf(config, context, haproxyFeatures(context.haproxyVersion));
  let out = globalSection(scope, context);
  if (scope.features.prometheus && listeners.some((l) => l.protocol === 'PROMETHEUS')) out += PROMETHEUS_PROXIES;
  out += '\n';
  if (config.enabled) {
    for (const listener of listeners.filter((l) => l.enabled)) {
      const model = listenerModel(scope, listener);
      out += frontend(scope, model) + '\n';
      for (const pool of model.pools.filter((p) => p.enabled)) out += backend(scope, model, pool) + '\n';
    }
  }
  return out;
}
