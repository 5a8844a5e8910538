/** Octavia's wire shapes of pools, members, health monitors, L7 policies and rules (as recorded from Octavia 11). */
import type { HealthMonitor, L7Policy, L7Rule, Member, Pool, Prisma } from '../generated/prisma/client';
import type { HealthMonitorTypeName } from './schemas/healthmonitor';
import { objectView, refs } from './views';

/** What a pool view needs besides the row: its listeners, members and monitor. */
export const poolRefs = {
  listeners: { select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
  members: { select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
  healthMonitor: { select: { id: true } },
} satisfies Prisma.PoolInclude;

export type PoolWithRefs = Pool & {
  listeners: { id: string }[];
  members: { id: string }[];
  healthMonitor: { id: string } | null;
};

/** The stored session persistence: always the four keys Octavia shows. */
export interface SessionPersistence {
  type: string;
  cookie_name: string | null;
  persistence_timeout: number | null;
  persistence_granularity: string | null;
}

export function sessionPersistenceView(sp: unknown): SessionPersistence | null {
  if (!sp || typeof sp !== 'object') return null;
  const s = sp as Partial<SessionPersistence>;
  return {
    type: s.type ?? '',
    cookie_name: s.cookie_name ?? null,
    persistence_timeout: s.persistence_timeout ?? null,
    persistence_granularity: s.persistence_granularity ?? null,
  };
}


export function poolView(p: PoolWithRefs) {
  return {
    ...objectView(p),
    name: p.name ?? '',
    description: p.description ?? '',
    protocol: p.protocol,
    lb_algorithm: p.lbAlgorithm,
    session_persistence: sessionPersistenceView(p.sessionPersistence),
    loadbalancers: [{ id: p.loadBalancerId }],
    listeners: refs(p.listeners),
    // Octavia leaves the key out altogether until the pool has a monitor.
    ...(p.healthMonitor ? { healthmonitor_id: p.healthMonitor.id } : {}),
    members: refs(p.members),
    tls_container_ref: null,
    ca_tls_container_ref: null,
    crl_container_ref: null,
    tls_enabled: p.tlsEnabled,
    tls_ciphers: null,
    tls_versions: null,
    alpn_protocols: null,
  };
}

export function memberView(m: Member) {
  return {
    ...objectView(m),
    name: m.name ?? '',
    address: m.ipAddress,
    protocol_port: m.protocolPort,
    weight: m.weight,
    backup: m.backup,
    subnet_id: m.subnetId,
    monitor_address: m.monitorAddress,
    monitor_port: m.monitorPort,
  };
}

/** The database enum spells TLS_HELLO and UDP_CONNECT; Octavia's wire names have hyphens. */
export const healthMonitorTypeToWire = (t: string) => t.replace('_', '-') as HealthMonitorTypeName;
export const healthMonitorTypeToDb = (t: string) => t.replace('-', '_') as HealthMonitor['type'];

export function healthMonitorView(h: HealthMonitor) {
  return {
    ...objectView(h),
    name: h.name ?? '',
    type: healthMonitorTypeToWire(h.type),
    delay: h.delay,
    timeout: h.timeout,
    max_retries: h.maxRetries,
    max_retries_down: h.maxRetriesDown,
    http_method: h.httpMethod,
    url_path: h.urlPath,
    expected_codes: h.expectedCodes,
    pools: [{ id: h.poolId }],
    http_version: h.httpVersion === null ? null : Number(h.httpVersion),
    domain_name: h.domainName,
  };
}

/** What an L7 policy view needs besides the row: its rules. */
export const l7PolicyRefs = {
  rules: { select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
} satisfies Prisma.L7PolicyInclude;

export type L7PolicyWithRefs = L7Policy & { rules: { id: string }[] };

/** A listener's policies as its view lists them: in evaluation order. */
export const listenerL7PolicyRefs = {
  l7Policies: { select: { id: true }, orderBy: [{ position: 'asc' }, { createdAt: 'asc' }] },
} satisfies Prisma.ListenerInclude;

export function l7PolicyView(p: L7PolicyWithRefs) {
  return {
    ...objectView(p),
    name: p.name ?? '',
    description: p.description ?? '',
    action: p.action,
    listener_id: p.listenerId,
    redirect_pool_id: p.redirectPoolId,
    redirect_url: p.redirectUrl,
    redirect_prefix: p.redirectPrefix,
    position: p.position,
    rules: refs(p.rules),
    redirect_http_code: p.redirectHttpCode,
  };
}

export function l7RuleView(r: L7Rule) {
  return {
    ...objectView(r),
    type: r.type,
    compare_type: r.compareType,
    key: r.key,
    value: r.value,
    invert: r.invert,
  };
}
