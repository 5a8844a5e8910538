/** A pool's `backend <pool>:<listener>` section and its `server` lines (Octavia's backend_macro, member_macro). */
import type { MemberConfig, PoolConfig } from '../../port';
import { backendName } from './frontend';
import { modeOf, type ListenerModel, type RenderScope } from './model';
import { esc, headerOn, pyFloat } from './text';

/** jinja_cfg.py BALANCE_MAP; anything else (SOURCE_IP_PORT, refused for HAProxy pools) is roundrobin. */
const BALANCE: Record<string, string> = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source' };

function persistenceLines(scope: RenderScope, pool: PoolConfig): string {
  const sp = pool.sessionPersistence;
  if (!sp) return '';
  // ACTIVE_STANDBY amphorae share stick tables through the peers section.
  const peers = scope.config.topology === 'ACTIVE_STANDBY' ? ` peers ${esc(scope.peersName)}` : '';
  const size = esc(scope.options.haproxyStickSize);
  switch (sp.type) {
    case 'SOURCE_IP':
      return `    stick-table type ip size ${size}${peers}\n    stick on src\n`;
    case 'APP_COOKIE': {
      const cookie = esc(sp.cookieName);
      return `    stick-table type string len 64 size ${size}${peers}\n    stick store-response res.cook(${cookie})\n    stick match req.cook(${cookie})\n`;
    }
    case 'HTTP_COOKIE':
      return '    cookie SRV insert indirect nocache\n';
  }
}

/** utils.expand_expected_codes: "200-204" and "200, 202" lists; Octavia joins a set (any order), we sort. */
function expectedCodes(codes: string | null): string | null {
  if (!codes) return null;
  const all = new Set<string>();
  for (const code of codes.split(/, */)) {
    if (!code) continue;
    if (code.includes('-')) {
      const [low = '', high = ''] = code.split('-');
      for (let i = parseInt(low, 10); i <= parseInt(high, 10); i++) all.add(String(i));
    } else {
      all.add(code);
    }
  }
  return [...all].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)).join('|');
}

function monitorLines(pool: PoolConfig): string {
  const hm = pool.healthMonitor;
  if (!hm?.enabled) return '';
  let out = `    load-server-state-from-file global\n    timeout check ${hm.timeout}s\n`;
  if (hm.type === 'HTTP' || hm.type === 'HTTPS') {
    const check = `    option httpchk ${esc(hm.httpMethod)} ${esc(hm.urlPath)}`;
    // The \r\n is literal text: haproxy's own escape for the request line's end.
    if (hm.httpVersion && hm.httpVersion === 1.1 && hm.domainName) {
      out += `${check} HTTP/${pyFloat(hm.httpVersion)}\\r\\nHost:\\ ${esc(hm.domainName)}\n`;
    } else if (hm.httpVersion) {
      out += `${check} HTTP/${pyFloat(hm.httpVersion)}\\r\\n\n`;
    } else {
      out += `${check}\n`;
    }
    out += `    http-check expect rstatus ${esc(expectedCodes(hm.expectedCodes))}\n`;
  }
  if (hm.type === 'TLS_HELLO') out += '    option ssl-hello-chk\n';
  if (hm.type === 'PING') out += '    option external-check\n    external-check command /var/lib/octavia/ping-wrapper.sh\n';
  return out;
}

function headerLines(model: ListenerModel, poolMode: string): string {
  const { insertHeaders: headers, protocol } = model.listener;
  let out = '';
  if (poolMode === 'http') {
    if (headerOn(headers, 'X-Forwarded-For')) out += '    option forwardfor\n';
    if (headerOn(headers, 'X-Forwarded-Port')) out += '    http-request set-header X-Forwarded-Port %[dst_port]\n';
  }
  // TERMINATED_HTTPS (X-Forwarded-Proto https, X-SSL-*) is refused before rendering.
  if (headerOn(headers, 'X-Forwarded-Proto') && protocol === 'HTTP') out += '    http-request set-header X-Forwarded-Proto http\n';
  return out;
}

function serverLine(model: ListenerModel, pool: PoolConfig, member: MemberConfig): string {
  const hm = pool.healthMonitor;
  let check = '';
  if (hm?.enabled) {
    const ssl = hm.type === 'HTTPS' ? ' check-ssl verify none' : '';
    const addr = member.monitorAddress ? ` addr ${esc(member.monitorAddress)}` : '';
    const port = member.monitorPort ? ` port ${member.monitorPort}` : '';
    check = ` check${ssl} inter ${hm.delay}s fall ${hm.maxRetriesDown} rise ${hm.maxRetries}${addr}${port}`;
  }
  const cookie = pool.sessionPersistence?.type === 'HTTP_COOKIE' ? ` cookie ${esc(member.id)}` : '';
  let proxy = '';
  if (pool.protocol === 'PROXY') proxy = ' send-proxy';
  else if (pool.protocol === 'PROXYV2') proxy = model.tlsEnabled ? ' send-proxy-v2-ssl-cn' : ' send-proxy-v2';
  const backup = member.backup ? ' backup' : '';
  const disabled = member.enabled ? '' : ' disabled';
  // Certificates towards members are refused before rendering: TLS here is encryption without verification.
  const tls = pool.tls.enabled ? ' ssl verify none sni ssl_fc_sni' : '';
  return `    server ${esc(member.id)} ${esc(member.address)}:${member.protocolPort} weight ${member.weight}${check}${cookie}${proxy}${backup}${disabled}${tls}\n`;
}

export function backend(scope: RenderScope, model: ListenerModel, pool: PoolConfig): string {
  const poolMode = modeOf(pool.protocol);
  // PROXY pools speak the listener's protocol, with a PROXY header first.
  const mode = pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2' ? model.mode : poolMode;
  let out = `backend ${backendName(pool.id, model.listener.id)}\n    mode ${mode}\n`;
  if (scope.features.httpReuse && (poolMode === 'http' || (poolMode === 'proxy' && model.mode === 'http'))) out += '    http-reuse safe\n';
  out += `    balance ${BALANCE[pool.lbAlgorithm] ?? 'roundrobin'}\n`;
  out += persistenceLines(scope, pool);
  out += monitorLines(pool);
  out += headerLines(model, poolMode);
  out += `    fullconn ${model.connectionLimit}\n`;
  out += '    option allbackups\n';
  out += `    timeout connect ${model.timeoutMemberConnect}\n`;
  out += `    timeout server ${model.timeoutMemberData}\n`;
  for (const member of pool.members) out += serverLine(model, pool, member);
  return out;
}
