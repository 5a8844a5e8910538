/** Pool request bodies (Octavia api-ref: Pools). */
import { z } from 'zod';
import { fields } from '../validation';

const optional = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** In the order Octavia 11 listed them in its messages (a Python set: the order is Octavia's, not ours). */
export const poolProtocols = ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'UDP', 'SCTP'] as const;
export const lbAlgorithms = ['LEAST_CONNECTIONS', 'ROUND_ROBIN', 'SOURCE_IP_PORT', 'SOURCE_IP'] as const;
export const sessionPersistenceTypes = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
export const alpnProtocols = ['http/1.0', 'http/1.1', 'h2'] as const;

export type PoolProtocolName = (typeof poolProtocols)[number];

/**
 * An enum attribute Octavia requires: missing is `Mandatory field missing.`, a wrong value lists the
 * allowed ones (zod alone reports both as a wrong value).
 */
export const requiredEnum = <const T extends readonly [string, ...string[]]>(values: T) => z.string().pipe(z.enum(values));

/** WSME's pattern message, with the pattern as Octavia writes it. */
export const pattern = (re: RegExp) => ({ message: `Value should match the pattern ${re.source}` });

// Set-Cookie's invalid characters (Octavia's SessionPersistencePOST.cookie_name).
const COOKIE_NAME = /^[^\s,;\\]+$/;

/** Octavia stores ints in 32-bit columns: anything larger is refused here, not by the database. */
export const int32 = () => z.number().int().max(2147483647);

const sessionPersistenceFields = {
  cookie_name: optional(z.string().max(255).regex(COOKIE_NAME, pattern(COOKIE_NAME))),
  persistence_timeout: optional(int32().min(0)),
  persistence_granularity: optional(fields.ip()),
};

export const sessionPersistenceCreate = z
  .object({ type: requiredEnum(sessionPersistenceTypes), ...sessionPersistenceFields })
  .strict();
/** On a PUT the type may be left out: the pool's current type is kept. */
export const sessionPersistenceUpdate = z
  .object({ type: optional(z.enum(sessionPersistenceTypes)), ...sessionPersistenceFields })
  .strict();

export type SessionPersistenceInput = z.infer<typeof sessionPersistenceUpdate>;

const mutable = {
  name: optional(fields.name()),
  description: optional(fields.description()),
  admin_state_up: z.boolean().optional(),
  tags: optional(fields.tags()),
  // TLS towards the members. Certificates need a certificate manager (Barbican), which this deployment
  // does not have; the routes refuse references as Octavia does when it cannot retrieve them.
  tls_container_ref: optional(z.string().max(255)),
  ca_tls_container_ref: optional(z.string().max(255)),
  crl_container_ref: optional(z.string().max(255)),
  tls_enabled: z.boolean().optional(),
  tls_ciphers: optional(z.string().max(2048)),
  tls_versions: optional(z.array(z.string().max(32))),
  alpn_protocols: optional(z.array(z.enum(alpnProtocols))),
};

export const poolCreate = z
  .object({
    ...mutable,
    protocol: requiredEnum(poolProtocols),
    lb_algorithm: requiredEnum(lbAlgorithms),
    session_persistence: optional(sessionPersistenceCreate),
    listener_id: optional(fields.uuid()),
    loadbalancer_id: optional(fields.uuid()),
    // Accepted for compatibility; a pool always belongs to its load balancer's project.
    project_id: optional(fields.projectId()),
    tenant_id: optional(fields.projectId()),
  })
  .strict();

export const poolUpdate = z
  .object({
    ...mutable,
    lb_algorithm: z.enum(lbAlgorithms).optional(),
    session_persistence: optional(sessionPersistenceUpdate),
  })
  .strict();

export const poolCreateRoot = z.object({ pool: poolCreate }).strict();
export const poolUpdateRoot = z.object({ pool: poolUpdate }).strict();

export type PoolCreate = z.infer<typeof poolCreate>;
export type PoolUpdate = z.infer<typeof poolUpdate>;
