/** Listener request bodies (Octavia api-ref: Listeners). */
import { z } from 'zod';
import { fields } from '../validation';
import { inheritedProject, int32, optional } from './common';
import { l7PolicySingleCreate } from './l7policy';
import { alpnProtocols, poolSingleCreate } from './pool';

/** In the order Octavia lists them in its error messages. */
export const listenerProtocols = ['TERMINATED_HTTPS', 'HTTPS', 'PROMETHEUS', 'TCP', 'UDP', 'SCTP', 'HTTP'] as const;

/** Octavia's MIN_TIMEOUT .. MAX_TIMEOUT (ms): 0 .. 24 days (24 * 24 * 60 * 60 * 1000). */
const timeout = () => z.number().int().min(0).max(2073600000);

const mutable = {
  name: optional(fields.name()),
  description: optional(fields.description()),
  admin_state_up: optional(z.boolean()),
  connection_limit: optional(int32().min(-1)),
  default_pool_id: optional(fields.uuid()),
  default_tls_container_ref: optional(z.string().max(255)),
  sni_container_refs: optional(z.array(z.string().max(255))),
  insert_headers: optional(z.record(z.string(), z.string())),
  timeout_client_data: optional(timeout()),
  timeout_member_connect: optional(timeout()),
  timeout_member_data: optional(timeout()),
  timeout_tcp_inspect: optional(timeout()),
  allowed_cidrs: optional(z.array(fields.cidr())),
  client_authentication: optional(z.enum(['NONE', 'OPTIONAL', 'MANDATORY'])),
  // TLS settings Octavia takes (checked by domain/validate.ts checkListenerTls; this deployment has no
  // certificate manager to retrieve references from, nor a place for the lists).
  client_ca_tls_container_ref: optional(z.string().max(255)),
  client_crl_container_ref: optional(z.string().max(255)),
  tls_ciphers: optional(z.string().max(2048)),
  tls_versions: optional(z.array(z.string().max(32))),
  alpn_protocols: optional(z.array(z.enum(alpnProtocols, { message: 'Value should be a valid ALPN protocol ID' }))),
  tags: optional(fields.tags()),
};

export const listenerCreate = z
  .object({
    ...mutable,
    protocol: z.enum(listenerProtocols),
    protocol_port: z.number().int().min(1).max(65535),
    loadbalancer_id: fields.uuid(),
    ...inheritedProject,
  })
  .strict();

/**
 * A listener of a single-call create (Octavia's ListenerSingleCreate): its load balancer is its parent;
 * its default pool is `default_pool` (a pool of the same request, by name or defined here).
 */
export const listenerSingleCreate = listenerCreate
  .omit({ loadbalancer_id: true, project_id: true, tenant_id: true })
  .extend({ default_pool: optional(poolSingleCreate), l7policies: optional(z.array(l7PolicySingleCreate)) });

export type ListenerCreate = z.infer<typeof listenerCreate>;
export type ListenerSingleCreate = z.infer<typeof listenerSingleCreate>;

export const listenerUpdate = z.object(mutable).strict();

export const listenerCreateRoot = z.object({ listener: listenerCreate }).strict();
export const listenerUpdateRoot = z.object({ listener: listenerUpdate }).strict();
