/** Octavia's wire shapes of pools, members, health monitors, L7 policies and rules (as recorded from Octavia 11). */
import type { HealthMonitor, L7Policy, L7Rule, Member, Pool, Prisma } from '../generated/prisma/client';
import type { HealthMonitorTypeName } from './schemas/healthmonitor';
import { timestamp } from './views';

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

const refs = (rows: { id: string }[]) => rows.map((r) => ({ id: r.id }));

export function poolView(p: PoolWithRefs) {
  return {
    id: p.id,
    name: p.name ?? '',
    description: p.description ?? '',
    provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus,
    admin_state_up: p.enabled,
    protocol: p.protocol,
    lb_algorithm: p.lbAlgorithm,
    session_persistence: sessionPersistenceView(p.sessionPersistence),
    project_id: p.projectId,
    loadbalancers: [{ id: p.loadBalancerId }],
    listeners: refs(p.listeners),
    created_at: timestamp(p.createdAt),
    updated_at: timestamp(p.updatedAt),
    // Octavia leaves the key out altogether until the pool has a monitor.
    ...(p.healthMonitor ? { healthmonitor_id: p.healthMonitor.id } : {}),
    members: refs(p.members),
    tags: [...p.tags].sort(),
    tls_container_ref: null,
    ca_tls_container_ref: null,
    crl_container_ref: null,
    tls_enabled: p.tlsEnabled,
    tls_ciphers: null,
    tls_versions: null,
    alpn_protocols: null,
    tenant_id: p.projectId,
  };
}

export function memberView(m: Member) {
  return {
    id: m.id,
    name: m.name ?? '',
    operating_status: m.operatingStatus,
    provisioning_status: m.provisioningStatus,
    admin_state_up: m.enabled,
    address: m.ipAddress,
    protocol_port: m.protocolPort,
    weight: m.weight,
    backup: m.backup,
    subnet_id: m.subnetId,
    project_id: m.projectId,
    created_at: timestamp(m.createdAt),
    updated_at: timestamp(m.updatedAt),
    monitor_address: m.monitorAddress,
    monitor_port: m.monitorPort,
    tags: [...m.tags].sort(),
    tenant_id: m.projectId,
  };
}

/** The database enum spells TLS_HELLO and UDP_CONNECT; Octavia's wire names have hyphens. */
export const healthMonitorTypeToWire = (t: string) => t.replace('_', '-') as HealthMonitorTypeName;
export const healthMonitorTypeToDb = (t: string) => t.replace('-', '_') as HealthMonitor['type'];

export function healthMonitorView(h: HealthMonitor) {
  return {
    id: h.id,
    name: h.name ?? '',
    type: healthMonitorTypeToWire(h.type),
    delay: h.delay,
    timeout: h.timeout,
    max_retries: h.maxRetries,
    max_retries_down: h.maxRetriesDown,
    http_method: h.httpMethod,
    url_path: h.urlPath,
    expected_codes: h.expectedCodes,
    admin_state_up: h.enabled,
    project_id: h.projectId,
    pools: [{ id: h.poolId }],
    provisioning_status: h.provisioningStatus,
    operating_status: h.operatingStatus,
    created_at: timestamp(h.createdAt),
    updated_at: timestamp(h.updatedAt),
    tags: [...h.tags].sort(),
    http_version: h.httpVersion === null ? null : Number(h.httpVersion),
    domain_name: h.domainName,
    tenant_id: h.projectId,
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
    id: p.id,
    name: p.name ?? '',
    description: p.description ?? '',
    provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus,
    admin_state_up: p.enabled,
    project_id: p.projectId,
    action: p.action,
    listener_id: p.listenerId,
    redirect_pool_id: p.redirectPoolId,
    redirect_url: p.redirectUrl,
    redirect_prefix: p.redirectPrefix,
    position: p.position,
    rules: refs(p.rules),
    created_at: timestamp(p.createdAt),
    updated_at: timestamp(p.updatedAt),
    tags: [...p.tags].sort(),
    redirect_http_code: p.redirectHttpCode,
    tenant_id: p.projectId,
  };
}

export function l7RuleView(r: L7Rule) {
  return {
    id: r.id,
    type: r.type,
    compare_type: r.compareType,
    key: r.key,
    value: r.value,
    invert: r.invert,
    provisioning_status: r.provisioningStatus,
    operating_status: r.operatingStatus,
    created_at: timestamp(r.createdAt),
    updated_at: timestamp(r.updatedAt),
    project_id: r.projectId,
    admin_state_up: r.enabled,
    tags: [...r.tags].sort(),
    tenant_id: r.projectId,
  };
}
