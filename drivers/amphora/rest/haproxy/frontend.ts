/** A listener's `frontend` section (Octavia's frontend_macro). */
import { policyLines, renderedRules } from './l7';
import type { ListenerModel, RenderScope } from './model';
import { esc, replaceAll } from './text';

/** Octavia's HAPROXY_HTTP_PROTOCOLS: the others log no request line nor status. */
const HTTP_LOG_PROTOCOLS = new Set(['HTTP', 'TERMINATED_HTTPS']);

/** jinja_cfg.py _format_log_string. */
function logFormat(scope: RenderScope, protocol: string): string {
  let format = replaceAll(scope.options.userLogFormat, '{{ project_id }}', scope.config.projectId);
  format = replaceAll(format, '{{ lb_id }}', scope.config.loadBalancerId);
  if (!HTTP_LOG_PROTOCOLS.has(protocol)) {
    for (const httpOnly of ['%{+Q}r', '%r', '%{+Q}ST', '%ST']) format = replaceAll(format, httpOnly, '-');
  }
  return replaceAll(format, ' ', '\\ ');
}

export function backendName(poolId: string, listenerId: string): string {
  return `${esc(poolId)}:${esc(listenerId)}`;
}

export function frontend(scope: RenderScope, model: ListenerModel): string {
  const { listener } = model;
  const poolsById = new Map(model.pools.map((p) => [p.id, p]));
  let out = `frontend ${esc(listener.id)}\n`;
  out += `    maxconn ${model.connectionLimit}\n`;
  // No TLS material here: TERMINATED_HTTPS is refused before rendering (unsupported.ts).
  out += `    bind ${esc(scope.config.vipAddress)}:${listener.protocolPort}\n`;
  out += `    mode ${model.mode}\n`;
  for (const policy of listener.l7Policies) {
    const rules = renderedRules(policy);
    if (!policy.enabled || rules.length === 0) continue;
    const pool = policy.redirectPoolId === null ? undefined : poolsById.get(policy.redirectPoolId);
    out += policyLines(policy, rules, pool?.enabled ? backendName(pool.id, listener.id) : null);
  }
  if (model.defaultPool?.enabled) out += `    default_backend ${backendName(model.defaultPool.id, listener.id)}\n`;
  out += `    timeout client ${model.timeoutClientData}\n`;
  if (model.timeoutTcpInspect) out += `    tcp-request inspect-delay ${model.timeoutTcpInspect}\n`;
  if (listener.protocol === 'PROMETHEUS' && scope.features.prometheus) out += '    default_backend prometheus-exporter-internal\n';
  if (scope.options.connectionLogging) out += `    log-format ${esc(logFormat(scope, listener.protocol))}\n`;
  return out;
}
