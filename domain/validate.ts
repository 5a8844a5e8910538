/**
 * Octavia's validation rules (its common/validate.py, and the few rules its controllers apply inline):
 * what a listener, pool, member, health monitor, L7 policy or rule may be, neither HTTP nor
 * orchestration. They take the request's values under Octavia's wire names, as Octavia's take the WSME
 * objects, and throw Octavia's faults. The HTTP shape of a request (types, bounds, patterns) stays in
 * the zod schemas of api/schemas/.
 */
import { BlockList, isIP, isIPv6 } from 'node:net';
import {
  CertificateRetrieval,
  DuplicateListener,
  InvalidL7PolicyArgs,
  InvalidOption,
  InvalidSubresource,
  L7RuleValidation,
  ListenerNoChildren,
  ProviderUnsupportedOption,
  ValidationFailure,
  pyRepr,
} from '../common/errors';
import { NetworkObjectNotFound } from '../drivers/network/errors';
import type { NetworkDriver } from '../drivers/network/port';

// --- listeners and pools ---------------------------------------------------------------------------

/** Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP: which pools a listener may send its traffic to. */
const listenerPoolProtocols: Record<string, readonly string[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

/** A pool may take a listener's traffic (a default pool, an L7 redirect target). */
export function checkListenerPoolProtocol(listenerProtocol: string, poolProtocol: string): void {
  if (!listenerPoolProtocols[listenerProtocol]?.includes(poolProtocol)) {
    throw new ValidationFailure(`The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listenerProtocol}'.`);
  }
}

/** Octavia's L4_PROTOCOL_MAP: the transport a listener protocol runs over (HTTP, HTTPS, ... are TCP). */
const transportOf = (protocol: string) => (protocol === 'UDP' || protocol === 'SCTP' ? protocol : 'TCP');

/**
 * A port takes one listener per transport: an HTTP and a TCP listener on one port collide (both TCP),
 * a UDP one does not. `others` are the load balancer's listeners on that port; the fault names the
 * protocol of the one in the way, as Octavia's DuplicateListenerEntry does.
 */
export function checkListenerPortFree(protocol: string, port: number, others: readonly { protocol: string }[]): void {
  const clash = others.find((l) => transportOf(l.protocol) === transportOf(protocol));
  if (clash) throw new DuplicateListener(clash.protocol, port);
}

/** A listener's default pool: none on a PROMETHEUS listener, and one that may take its traffic. */
export function checkListenerDefaultPool(listenerProtocol: string, poolProtocol: string): void {
  if (listenerProtocol === 'PROMETHEUS') throw new ListenerNoChildren('PROMETHEUS');
  checkListenerPoolProtocol(listenerProtocol, poolProtocol);
}

// octavia_lib's SUPPORTED_HTTP_HEADERS and SUPPORTED_SSL_HEADERS.
const HTTP_HEADERS = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto'];
const SSL_HEADERS = ['X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer', 'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After'];

/**
 * Octavia's _validate_insert_headers: only HTTP and TERMINATED_HTTPS listeners insert headers, only
 * the ones haproxy knows, the client certificate ones only where TLS ends. `shown` prints the names as
 * Octavia does in the second message (a POST passes `dict_keys([...])`, a PUT a list).
 */
export function checkInsertHeaders(protocol: string, names: readonly string[], shown: (names: readonly string[]) => string): void {
  if (protocol !== 'HTTP' && protocol !== 'TERMINATED_HTTPS') throw new InvalidOption('insert-headers', `a ${protocol} protocol listener.`);
  if (names.some((n) => !HTTP_HEADERS.includes(n) && !SSL_HEADERS.includes(n))) throw new InvalidOption(shown(names), 'insert_headers');
  const ssl = names.filter((n) => SSL_HEADERS.includes(n));
  if (protocol !== 'TERMINATED_HTTPS' && ssl.length > 0) throw new InvalidOption(pyRepr(ssl), `${protocol} protocol listener.`);
}

export interface ListenerTlsFields {
  default_tls_container_ref?: string | null;
  sni_container_refs?: readonly string[] | null;
  client_ca_tls_container_ref?: string | null;
  client_crl_container_ref?: string | null;
  client_authentication?: string | null;
  tls_ciphers?: string | null;
  tls_versions?: readonly string[] | null;
  alpn_protocols?: readonly string[] | null;
}

const hasTlsRefs = (l: ListenerTlsFields) =>
  Boolean(l.default_tls_container_ref) || Boolean(l.client_ca_tls_container_ref) || (l.sni_container_refs?.length ?? 0) > 0;
const hasCertificate = (l: ListenerTlsFields) => Boolean(l.default_tls_container_ref) || (l.sni_container_refs?.length ?? 0) > 0;

/**
 * What is left once Octavia's rules pass: certificates would come from a certificate manager this
 * deployment does not have, so references are refused as Octavia refuses ones it cannot retrieve, and
 * the cipher/version/ALPN lists (which have nowhere to be stored) are refused rather than dropped.
 */
function refuseListenerTlsSettings(l: ListenerTlsFields): void {
  const refs = [l.default_tls_container_ref, ...(l.sni_container_refs ?? []), l.client_ca_tls_container_ref, l.client_crl_container_ref].filter(
    (r): r is string => !!r,
  );
  if (refs.length > 0) throw new CertificateRetrieval(refs);
  const lists = { tls_ciphers: l.tls_ciphers, tls_versions: l.tls_versions, alpn_protocols: l.alpn_protocols };
  const set = Object.entries(lists).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : !!v));
  if (set.length > 0) throw new ValidationFailure(`${set.map(([k]) => k).join(', ')} cannot be set: listeners of this deployment have no TLS settings.`);
}

/**
 * Octavia's _validate_create_listener TLS rules, in its order: certificates belong to the listeners
 * that end TLS (TERMINATED_HTTPS, PROMETHEUS with TLS), which need one; UDP and SCTP take none; a
 * client CA needs a certificate, client authentication a client CA, a CRL a client CA.
 */
export function checkListenerTls(protocol: string, l: ListenerTlsFields): void {
  const refs = hasTlsRefs(l);
  if ((protocol === 'UDP' || protocol === 'SCTP') && refs) throw new ValidationFailure(`${protocol} protocol listener does not support TLS.`);
  const offloads = protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && refs);
  const what = protocol === 'PROMETHEUS' ? 'PROMETHEUS with TLS' : protocol;
  if (!offloads && refs) throw new ValidationFailure(`Certificate container references are not allowed on ${protocol} protocol listeners.`);
  if (l.client_ca_tls_container_ref && !hasCertificate(l)) {
    throw new ValidationFailure('An SNI or default certificate container reference must be provided with a client CA container reference.');
  }
  if (offloads && !hasCertificate(l)) {
    throw new ValidationFailure(`An SNI or default certificate container reference must be provided for ${what} protocol listeners.`);
  }
  const auth = l.client_authentication === undefined ? 'NONE' : l.client_authentication;
  if (auth !== 'NONE' && !l.client_ca_tls_container_ref) {
    throw new ValidationFailure(`Client authentication setting ${auth ?? 'None'} requires a client CA container reference.`);
  }
  if (l.client_crl_container_ref && !l.client_ca_tls_container_ref) {
    throw new ValidationFailure('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
  refuseListenerTlsSettings(l);
}

/** The same on a PUT, against the listener's protocol (Octavia's _validate_listener_PUT); it stores no client CA. */
export function checkListenerTlsUpdate(protocol: string, l: ListenerTlsFields & { insert_headers?: Record<string, string> | null }): void {
  const refs = hasTlsRefs(l);
  if ((protocol === 'UDP' || protocol === 'SCTP') && (refs || Object.keys(l.insert_headers ?? {}).length > 0)) {
    throw new ValidationFailure(`${protocol} protocol listener does not support TLS or header insertion.`);
  }
  const offloads = protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && refs);
  if (!offloads && refs) throw new ValidationFailure(`Certificate container references are not allowed on ${protocol} protocol listeners.`);
  const auth = l.client_authentication;
  if (auth !== undefined && auth !== 'NONE' && !l.client_ca_tls_container_ref) {
    throw new ValidationFailure(`Client authentication setting ${auth ?? 'None'} requires a client CA container reference.`);
  }
  if (l.client_crl_container_ref && !l.client_ca_tls_container_ref) {
    throw new ValidationFailure('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
  refuseListenerTlsSettings(l);
}

/** The IP version of a CIDR or an address. */
const versionOf = (cidrOrAddress: string) => isIP(cidrOrAddress.split('/')[0] ?? '');

/** An allowed CIDR must be of the VIP's IP version (Octavia's _validate_cidr_compatible_with_vip). */
export function checkCidrsMatchVip(vipAddress: string | null | undefined, cidrs: readonly string[] | null | undefined): void {
  if (!vipAddress) return;
  for (const cidr of cidrs ?? []) {
    if ((versionOf(cidr) === 6) !== (versionOf(vipAddress) === 6)) {
      throw new ValidationFailure(`CIDR ${cidr} IP version incompatible with VIP ${vipAddress} IP version.`);
    }
  }
}

/** An address as a number (IPv4: 32 bits, IPv6: 128, an embedded dotted IPv4 tail included). */
function addressBits(address: string, version: 4 | 6): bigint {
  if (version === 4) return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = addressBits(v4[1]!, 4);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Python's str() of an IPv6 address: lower case, the longest run of two or more zero groups as `::`. */
function formatIpv6(bits: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/**
 * A CIDR as Octavia stores it (its CidrType: `ip_network(value, strict=False).with_prefixlen`): the
 * network address with its prefix length, host bits cleared; an address alone is its /32 or /128.
 */
export function normalizeCidr(cidr: string): string {
  const [address = '', prefix] = cidr.split('/');
  const version = isIP(address) as 4 | 6;
  const width = version === 4 ? 32 : 128;
  const len = prefix === undefined ? width : Number(prefix);
  const all = (1n << BigInt(width)) - 1n;
  const network = addressBits(address, version) & (all ^ ((1n << BigInt(width - len)) - 1n));
  const text = version === 4 ? [24n, 16n, 8n, 0n].map((shift) => String((network >> shift) & 0xffn)).join('.') : formatIpv6(network);
  return `${text}/${len}`;
}

/** The listener protocols L7 policies apply to (haproxy's HTTP mode). */
export function checkL7Listener(listener: { id: string; protocol: string }): void {
  if (listener.protocol !== 'HTTP' && listener.protocol !== 'TERMINATED_HTTPS') {
    throw new ValidationFailure(
      `L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners; listener ${listener.id} is ${listener.protocol}.`,
    );
  }
}

const isDatagram = (protocol: string) => protocol === 'UDP' || protocol === 'SCTP';

export interface SessionPersistenceFields {
  type?: string | null;
  cookie_name?: string | null;
  persistence_timeout?: number | null;
  persistence_granularity?: string | null;
}

/** Octavia's pool session persistence rules: per protocol, then validate.check_session_persistence. */
/** validate.check_session_persistence's refused cookie name characters (controls, space, separators); a name without any Latin-1 character is refused too. */
const BAD_COOKIE_NAME = /[\x00-\x20\x22\x28-\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]/;

export function checkSessionPersistence(
  protocol: string,
  sp: SessionPersistenceFields | null | undefined,
  operation: 'create' | 'update' = 'create',
): void {
  if (!sp) return;
  if (isDatagram(protocol)) {
    if (sp.type === 'SOURCE_IP' && sp.cookie_name) {
      throw new ValidationFailure(
        'session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.',
      );
    }
    if (sp.cookie_name) throw new ValidationFailure('Cookie names are not supported for UDP/SCTP pools.');
    if (sp.type === 'HTTP_COOKIE' || sp.type === 'APP_COOKIE') {
      throw new ValidationFailure(`Session persistence of type ${sp.type} is not supported for UDP/SCTP protocol pools.`);
    }
  } else if (sp.persistence_timeout || sp.persistence_granularity) {
    // Octavia's PUT still says UDP alone.
    throw new ValidationFailure(`persistence_timeout and persistence_granularity is only for ${operation === 'create' ? 'UDP and SCTP' : 'UDP'} protocol pools.`);
  }
  if (sp.cookie_name && sp.type !== 'APP_COOKIE') {
    throw new ValidationFailure('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
  }
  if (sp.cookie_name && (BAD_COOKIE_NAME.test(sp.cookie_name) || !/[\x00-\xff]/.test(sp.cookie_name))) {
    throw new ValidationFailure('Supplied "cookie_name" is invalid.');
  }
  if (sp.type === 'APP_COOKIE' && !sp.cookie_name) {
    throw new ValidationFailure('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
  }
}

/**
 * Octavia's amphora provider takes ROUND_ROBIN, SOURCE_IP and LEAST_CONNECTIONS only (its
 * AMPHORA_SUPPORTED_LB_ALGORITHMS): SOURCE_IP_PORT, which the API's type accepts, is the provider's
 * 501 whatever the protocol. Checked after Octavia's own 400s, as the provider is called last.
 */
export function checkAlgorithm(algorithm: string | null | undefined): void {
  if (algorithm === 'SOURCE_IP_PORT') throw new ProviderUnsupportedOption('amphora', 'Amphora provider does not support SOURCE_IP_PORT algorithm.');
}

export interface PoolTlsFields {
  tls_container_ref?: string | null;
  ca_tls_container_ref?: string | null;
  crl_container_ref?: string | null;
  tls_ciphers?: string | null;
  tls_versions?: string[] | null;
  alpn_protocols?: string[] | null;
}

/**
 * TLS towards members: tls_enabled is stored; certificates would come from a certificate manager this
 * deployment does not have, so references are refused as Octavia refuses ones it cannot retrieve, and
 * cipher/version/ALPN lists (which have nowhere to be stored) are refused rather than dropped.
 */
export function checkPoolTls(body: PoolTlsFields): void {
  if (body.crl_container_ref && !body.ca_tls_container_ref) {
    throw new ValidationFailure('A CA certificate reference is required to specify a revocation list.');
  }
  const refs = [body.tls_container_ref, body.ca_tls_container_ref, body.crl_container_ref].filter((r): r is string => !!r);
  if (refs.length > 0) throw new CertificateRetrieval(refs);
  const lists = { tls_ciphers: body.tls_ciphers, tls_versions: body.tls_versions, alpn_protocols: body.alpn_protocols };
  const set = Object.entries(lists).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : !!v));
  if (set.length > 0) {
    throw new ValidationFailure(`${set.map(([k]) => k).join(', ')} cannot be set: pools of this deployment have no TLS settings.`);
  }
}

// --- members -----------------------------------------------------------------------------------------

/** Octavia's [networking] reserved_ips default: the metadata service is never a member. */
const RESERVED_IPS = new Set(['169.254.169.254']);

/** validate.ip_not_reserved. */
export function ipNotReserved(address: string): void {
  if (RESERVED_IPS.has(address)) throw new InvalidOption(address, 'member address');
}

// --- health monitors ---------------------------------------------------------------------------------

/** Octavia's [api_settings] udp_connect_min_interval_health_monitor default. */
const UDP_CONNECT_MIN_DELAY = 3;

/** Python prints the float 1.0 as `1.0`. */
const pyFloat = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** The monitor types a pool's protocol can be checked with (Octavia's post() and _validate for UDP and SCTP). */
export function checkMonitorTypeForPool(poolProtocol: string, type: string, delay: number | null | undefined): void {
  if (isDatagram(poolProtocol)) {
    if (!['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'].includes(type)) {
      throw new ValidationFailure(
        `The associated pool protocol is ${poolProtocol}, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.`,
      );
    }
    if (type === 'UDP-CONNECT' && delay !== undefined && delay !== null && delay < UDP_CONNECT_MIN_DELAY) {
      throw new ValidationFailure(
        `The request delay value ${delay} should be larger than ${UDP_CONNECT_MIN_DELAY} for UDP-CONNECT health monitor type.`,
      );
    }
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw new ValidationFailure(`The ${type} type is only supported for pools of type UDP/SCTP.`);
  }
}

const HTTP_MONITOR_TYPES: readonly string[] = ['HTTP', 'HTTPS'];
const HTTP_MONITOR_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const;

/** HTTP and HTTPS monitors have the HTTP settings; a monitor of another type may not send them. */
export const isHttpMonitor = (type: string) => HTTP_MONITOR_TYPES.includes(type);

/** The HTTP settings a monitor of `type` sends (present, or, `sentOnly`, sent at all, null included) are refused unless it is an HTTP(S) monitor. */
export function checkMonitorHttpFields(
  type: string,
  monitor: Partial<Record<(typeof HTTP_MONITOR_FIELDS)[number], unknown>>,
  sentOnly = false,
): void {
  if (isHttpMonitor(type)) return;
  for (const f of HTTP_MONITOR_FIELDS) {
    if (sentOnly ? monitor[f] !== undefined : monitor[f]) throw new InvalidOption(f, `health monitors of type ${type}`);
  }
}

/** A domain name is sent in an HTTP/1.1 Host header: it needs http_version 1.1. */
export function checkMonitorDomainName(domainName: string | null | undefined, httpVersion: number | null | undefined): void {
  if (!domainName) return;
  if (!httpVersion) throw new ValidationFailure("'http_version' must be specified when 'domain_name' is provided.");
  if (httpVersion < 1.1) throw new InvalidOption(`http_version ${pyFloat(httpVersion)}`, 'health monitors HTTP 1.1 domain name health check');
}

// --- L7 rules ----------------------------------------------------------------------------------------

/** Octavia's MAX_L7RULES_PER_L7POLICY. */
export const MAX_L7RULES_PER_L7POLICY = 50;

// Octavia's constants, verbatim (`+-.` is the range + , - .).
const HEADER_NAME = /^[a-zA-Z0-9!#$%&'*+-.^_`|~]+$/;
const HEADER_VALUE = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]+$/;
const QUOTED_HEADER_VALUE = /^"[a-zA-Z0-9 \t!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]*"$/;
const COOKIE_VALUE = /^[a-zA-Z0-9!#$%&'()*+-./:<=>?@[\]^_`{|}~]+$/;
const DN_FIELD = /^[a-zA-Z][A-Za-z0-9-]*$/;

/** Octavia's InvalidL7Rule, which l7rule_data's callers report as an L7RuleValidation. */
class InvalidL7Rule extends Error {}
const invalidRule = (msg: string) => new InvalidL7Rule(`Invalid L7 Rule: ${msg}`);
const invalidChars = (what: string) => new InvalidL7Rule(`Invalid characters in ${what}`);

function regex(value: string) {
  try {
    new RegExp(value);
  } catch (err) {
    throw new InvalidL7Rule(`Unable to parse regular expression: ${(err as Error).message}`);
  }
}
function headerValueString(value: string, what: string) {
  if (!HEADER_VALUE.test(value) && !QUOTED_HEADER_VALUE.test(value)) throw invalidChars(what);
}

export interface L7RuleFields {
  type: string;
  compare_type: string;
  key?: string | null;
  value: string;
}

/** validate.l7rule_data, with its L7RuleValidation wrapper (`Error parsing L7Rule: ...`, 400). */
export function l7ruleData(rule: L7RuleFields): void {
  try {
    checkRuleData(rule);
  } catch (err) {
    if (err instanceof InvalidL7Rule) throw new L7RuleValidation(err.message);
    throw err;
  }
}

function checkRuleData({ type, compare_type: compare, key, value }: L7RuleFields): void {
  if (!value) throw invalidRule('L7 rule type requires a value');
  switch (type) {
    case 'HEADER':
    case 'COOKIE':
      if (!key) throw invalidRule('L7 rule type requires a key');
      if (!HEADER_NAME.test(key)) throw invalidChars('key');
      if (compare === 'REGEX') regex(value);
      else if (type === 'HEADER') headerValueString(value, 'header value');
      else if (!COOKIE_VALUE.test(value)) throw invalidChars('cookie value');
      return;
    case 'HOST_NAME':
    case 'PATH':
      if (compare === 'REGEX') regex(value);
      else headerValueString(value, 'comparison value');
      return;
    case 'FILE_TYPE':
      if (compare === 'REGEX') regex(value);
      else if (compare === 'EQUAL_TO') headerValueString(value, 'comparison value');
      else throw invalidRule('invalid comparison type for rule type');
      return;
    case 'SSL_CONN_HAS_CERT':
      if (key) throw invalidRule(`L7rule type ${type} does not use the "key" field.`);
      if (value.toLowerCase() !== 'true') throw invalidRule(`L7rule value ${value} is not a boolean True string.`);
      if (compare !== 'EQUAL_TO') throw invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
      return;
    case 'SSL_VERIFY_RESULT':
      if (key) throw invalidRule(`L7rule type ${type} does not use the "key" field.`);
      if (!/^\d+$/.test(value)) throw invalidRule(`L7rule type ${type} needs a int value, which is >= 0`);
      if (compare !== 'EQUAL_TO') throw invalidRule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
      return;
    case 'SSL_DN_FIELD':
      if (compare === 'REGEX') regex(value);
      if (!key) throw invalidRule(`L7rule type ${type} needs to specify a key and a value.`);
      if (!DN_FIELD.test(key)) throw invalidRule('Invalid L7rule distinguished name field.');
      return;
    default:
      throw invalidRule('invalid rule type');
  }
}

// --- L7 policies -------------------------------------------------------------------------------------

export type L7PolicyAction = 'REJECT' | 'REDIRECT_TO_URL' | 'REDIRECT_TO_POOL' | 'REDIRECT_PREFIX';

export interface L7PolicyRedirect {
  action?: L7PolicyAction;
  redirect_pool_id?: string | null;
  redirect_url?: string | null;
  redirect_prefix?: string | null;
  redirect_http_code?: number | null;
}

const invalidArgs = (msg: string) => new InvalidL7PolicyArgs(msg);

/**
 * validate.sanitize_l7policy_api_args: the action needs its target, and a target given alone decides
 * the action (a redirect_url makes the policy REDIRECT_TO_URL, ...); redirects default to 302. Works on
 * the fields the request sent; returns them with what they imply.
 */
export function sanitizeL7PolicyApiArgs<T extends L7PolicyRedirect>(input: T): T {
  const p: L7PolicyRedirect = { ...input };
  switch (p.action) {
    case undefined:
      break;
    case 'REJECT':
      p.redirect_url = null;
      p.redirect_pool_id = null;
      break;
    case 'REDIRECT_TO_URL':
      if (!p.redirect_url) throw invalidArgs('redirect_url must not be None');
      p.redirect_pool_id = null;
      break;
    case 'REDIRECT_TO_POOL':
      if (!p.redirect_pool_id) throw invalidArgs('redirect_pool_id or redirect_pool must not be None');
      p.redirect_url = null;
      break;
    case 'REDIRECT_PREFIX':
      if (!p.redirect_prefix) throw invalidArgs('redirect_prefix must not be None');
      break;
  }
  if (p.redirect_pool_id && (p.redirect_url || p.redirect_prefix)) {
    throw invalidArgs('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
  }
  if (p.redirect_pool_id) Object.assign(p, { action: 'REDIRECT_TO_POOL', redirect_url: null, redirect_prefix: null, redirect_http_code: null });
  if (p.redirect_url) Object.assign(p, { action: 'REDIRECT_TO_URL', redirect_pool_id: null, redirect_prefix: null, redirect_http_code: p.redirect_http_code || 302 });
  if (p.redirect_prefix) Object.assign(p, { action: 'REDIRECT_PREFIX', redirect_pool_id: null, redirect_url: null, redirect_http_code: p.redirect_http_code || 302 });
  return p as T;
}

/** An update that changes nothing is refused (Octavia's "Invalid update options"). */
export function checkL7PolicyUpdate(update: object): void {
  if (Object.keys(update).length === 0) throw invalidArgs('Invalid update options');
}

/**
 * What the policy holds once `action` is in force: the targets of the other actions are cleared, so a
 * stored policy never carries a stale redirect (Octavia keeps them; it never uses them).
 */
export function l7PolicyTargetsCleared(action: L7PolicyAction): Partial<Record<keyof Omit<L7PolicyRedirect, 'action'>, null>> {
  switch (action) {
    case 'REJECT':
      return { redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null };
    case 'REDIRECT_TO_POOL':
      return { redirect_url: null, redirect_prefix: null, redirect_http_code: null };
    case 'REDIRECT_TO_URL':
      return { redirect_pool_id: null, redirect_prefix: null };
    case 'REDIRECT_PREFIX':
      return { redirect_pool_id: null, redirect_url: null };
  }
}

// --- VIPs and member subnets (through the network driver) ------------------------------------------

/** What the rules below ask of the network: the driver's lookups, nothing that changes anything. */
export type NetworkLookups = Pick<NetworkDriver, 'getSubnet' | 'getNetwork' | 'getPort' | 'qosEnabled' | 'getQosPolicy' | 'getNetworkIpAvailability'>;

/** A load balancer's vip_* fields as the request gave them (undefined: not given). */
export interface VipFields {
  subnetId?: string | null;
  networkId?: string | null;
  portId?: string | null;
  ipAddress?: string | null;
  qosPolicyId?: string | null;
}

/**
 * A lookup whose object is missing becomes Octavia's InvalidSubresource (`Subnet <id> not found.`, 400).
 * Octavia turns every failure of the lookup into that; an unreachable network is not the client's
 * fault here, so only a miss is, and the rest stays the driver's (retryable) error.
 */
async function lookUp<T>(resource: string, id: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NetworkObjectNotFound) throw new InvalidSubresource(resource, id);
    throw err;
  }
}

const ipFamily = (ip: string) => (isIPv6(ip) ? 'ipv6' : 'ipv4');

/** validate.is_ip_member_of_cidr. */
function ipInCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split('/');
  if (!base || len === undefined || ipFamily(ip) !== ipFamily(base)) return false;
  const list = new BlockList();
  list.addSubnet(base, Number(len), ipFamily(base));
  return list.check(ip, ipFamily(ip));
}

/** Two spellings of one address (IPv6 compressed or not) are the same address. */
function sameIp(a: string, b: string): boolean {
  if (ipFamily(a) !== ipFamily(b)) return false;
  const list = new BlockList();
  list.addAddress(a, ipFamily(a));
  return list.check(b, ipFamily(b));
}

/** Octavia's free addresses for a VIP on a network: the VIP and each amphora's VRRP port. */
const requiredIps = (topology: 'SINGLE' | 'ACTIVE_STANDBY') => (topology === 'ACTIVE_STANDBY' ? 3 : 2);

/**
 * Octavia's _validate_vip_request_object: the VIP's port, network, subnet and QoS policy exist and
 * agree, and what the request left out is filled in from them (the subnet of a port or of an address
 * on a network, the first subnet of a network with room, IPv4 preferred, the network of a subnet, the
 * QoS policy of a port). The result is what allocateVip is asked for.
 */
export async function validateVipRequest(net: NetworkLookups, vip: VipFields, topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<VipFields> {
  const out: VipFields = { ...vip };
  if (out.portId) {
    // _validate_port_and_fill_or_validate_subnet
    const portId = out.portId;
    const port = await lookUp('Port', portId, () => net.getPort(portId));
    if (port.deviceId) throw new ValidationFailure(`Port ${port.id} is already used by device ${port.deviceId} `);
    out.networkId = port.networkId;
    // A policy on the port is the VIP's unless the request names one.
    if (port.qosPolicyId && out.qosPolicyId === undefined) out.qosPolicyId = port.qosPolicyId;
    if (out.subnetId) {
      const subnetId = out.subnetId;
      await lookUp('Subnet', subnetId, () => net.getSubnet(subnetId));
      const fixed = port.fixedIps.find((f) => f.subnetId === subnetId);
      if (fixed) out.ipAddress = fixed.ipAddress;
      if (!out.ipAddress) throw new ValidationFailure('No VIP address found on the specified VIP port within the specified subnet.');
    } else if (out.ipAddress) {
      const address = out.ipAddress;
      const fixed = port.fixedIps.find((f) => sameIp(f.ipAddress, address));
      if (!fixed) throw new ValidationFailure('Specified VIP address not found on the specified VIP port.');
      out.subnetId = fixed.subnetId;
    } else if (port.fixedIps.length === 1) {
      out.subnetId = port.fixedIps[0]!.subnetId;
      out.ipAddress = port.fixedIps[0]!.ipAddress;
    } else {
      throw new ValidationFailure("VIP port's subnet could not be determined. Please specify either a VIP subnet or address.");
    }
  } else if (out.networkId) {
    // _validate_network_and_fill_or_validate_subnet
    const networkId = out.networkId;
    const network = await lookUp('Network', networkId, () => net.getNetwork(networkId));
    if (out.subnetId && !network.subnetIds.includes(out.subnetId)) throw new InvalidSubresource('Subnet', out.subnetId);
    if (!out.subnetId && out.ipAddress) {
      for (const subnetId of network.subnetIds) {
        const subnet = await net.getSubnet(subnetId);
        if (ipInCidr(out.ipAddress, subnet.cidr)) {
          out.subnetId = subnetId;
          break;
        }
      }
      if (!out.subnetId) throw new ValidationFailure('Supplied network does not contain a subnet for VIP address specified.');
    } else if (!out.subnetId) {
      if (network.subnetIds.length === 0) throw new ValidationFailure('Supplied network does not contain a subnet.');
      const availability = await net.getNetworkIpAvailability(networkId);
      const roomy = [...network.subnetIds].filter((id) => {
        const s = availability.subnets.find((x) => x.subnetId === id);
        return s !== undefined && s.totalIps - s.usedIps >= requiredIps(topology);
      });
      if (roomy.length === 0) throw new ValidationFailure('Subnet(s) in the supplied network do not contain enough available IPs.');
      // The first with room, unless an IPv4 one follows.
      out.subnetId = roomy[0];
      for (const id of roomy) {
        if ((await net.getSubnet(id)).ipVersion === 4) {
          out.subnetId = id;
          break;
        }
      }
    }
  } else if (out.subnetId) {
    const subnetId = out.subnetId;
    out.networkId = (await lookUp('Subnet', subnetId, () => net.getSubnet(subnetId))).networkId;
  }
  if (out.qosPolicyId) {
    const policyId = out.qosPolicyId;
    if (!(await net.qosEnabled())) throw new ValidationFailure('VIP QoS policy is not allowed in this deployment.');
    await lookUp('qos_policy', policyId, () => net.getQosPolicy(policyId));
  }
  // A port's or a network's subnet was validated above, but the network may still be unknown.
  if (!out.networkId && out.subnetId) {
    const subnetId = out.subnetId;
    out.networkId = (await lookUp('Subnet', subnetId, () => net.getSubnet(subnetId))).networkId;
  }
  return out;
}

/** A member's subnet_id exists (validate.subnet_exists); each one once per request. */
export async function checkMemberSubnets(net: NetworkLookups, subnetIds: Array<string | null | undefined>): Promise<void> {
  for (const subnetId of new Set(subnetIds.filter((s): s is string => !!s))) {
    await lookUp('Subnet', subnetId, () => net.getSubnet(subnetId));
  }
}
