/** Pool request bodies (Octavia api-ref: Pools). */
import { z } from 'zod';
import { fields } from '../validation';
import { healthMonitorSingleCreate } from './healthmonitor';
import { memberSingleCreate } from './member';
import { inheritedProject, int32, optional, pattern, requiredEnum } from './common';

/** In the order Octavia 11 listed them in its messages (a Python set: the order is Octavia's, not ours). */
export const poolProtocols = ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'UDP', 'SCTP'] as const;
export const lbAlgorithms = ['LEAST_CONNECTIONS', 'ROUND_ROBIN', 'SOURCE_IP_PORT', 'SOURCE_IP'] as const;
export const sessionPersistenceTypes = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
export const alpnProtocols = ['http/1.0', 'http/1.1', 'h2'] as const;

export type PoolProtocolName = (typeof poolProtocols)[number];

// Set-Cookie's invalid characters (Octavia's SessionPersistencePOST.cookie_name).
const COOKIE_NAME = /^[^\s,;\\]+$/;

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
  // Octavia's AlpnProtocolType, with its own message.
  alpn_protocols: optional(z.array(z.enum(alpnProtocols, { message: 'Value should be a valid ALPN protocol ID' }))),
};

export const poolCreate = z
  .object({
    ...mutable,
    protocol: requiredEnum(poolProtocols),
    lb_algorithm: requiredEnum(lbAlgorithms),
    session_persistence: optional(sessionPersistenceCreate),
    listener_id: optional(fields.uuid()),
    loadbalancer_id: optional(fields.uuid()),
    ...inheritedProject,
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

/**
 * A pool of a single-call create (Octavia's PoolSingleCreate): under the load balancer's `pools`, as a
 * listener's `default_pool` or a policy's `redirect_pool`, with its monitor and members. Protocol and
 * algorithm may be left out where the pool is only a reference by name to one defined elsewhere in
 * the request; the load balancer route requires them of every definition.
 */
export const poolSingleCreate = poolCreate
  .omit({ listener_id: true, loadbalancer_id: true, project_id: true, tenant_id: true })
  .extend({
    protocol: z.enum(poolProtocols).optional(),
    lb_algorithm: z.enum(lbAlgorithms).optional(),
    healthmonitor: optional(healthMonitorSingleCreate),
    members: optional(z.array(memberSingleCreate)),
  });

export type PoolCreate = z.infer<typeof poolCreate>;
export type PoolSingleCreate = z.infer<typeof poolSingleCreate>;
export type PoolUpdate = z.infer<typeof poolUpdate>;
