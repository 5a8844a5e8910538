/** Health monitor request bodies (Octavia api-ref: Health Monitors). */
import { z } from 'zod';
import { fields } from '../validation';
import { inheritedProject, int32, optional, pattern, requiredEnum } from './common';

/** Octavia's wire names, in the order Octavia 11 listed them (err_hm_bad_type.json). */
export const healthMonitorTypes = ['HTTPS', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP', 'PING', 'HTTP'] as const;
export type HealthMonitorTypeName = (typeof healthMonitorTypes)[number];

export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'PATCH', 'CONNECT'] as const;

// Octavia's HealthMonitorPOST.expected_codes and constants.DOMAIN_NAME_REGEX, verbatim.
const EXPECTED_CODES = /^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$/;
const DOMAIN_NAME = /^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$/;

/** An absolute path: no scheme, host or port (Octavia's validate.url_path). */
const urlPath = () =>
  z
    .string()
    .refine((v) => /^\/(?!\/)\S*$/.test(v) && v.length <= 2048, { message: 'Value must be a valid URL Path string' });

const retries = () => z.number().int().min(1).max(10);

const common = {
  name: optional(fields.name()),
  max_retries_down: optional(retries()),
  http_method: optional(z.enum(httpMethods)),
  url_path: optional(urlPath()),
  expected_codes: optional(z.string().regex(EXPECTED_CODES, pattern(EXPECTED_CODES)).max(64)),
  admin_state_up: z.boolean().optional(),
  tags: optional(fields.tags()),
  http_version: optional(z.number().refine((v) => v === 1 || v === 1.1, { message: 'Value should be one of: 1.0, 1.1' })),
  domain_name: optional(z.string().min(1).max(255).regex(DOMAIN_NAME, pattern(DOMAIN_NAME))),
};

export const healthMonitorCreate = z
  .object({
    ...common,
    pool_id: fields.uuid(),
    type: requiredEnum(healthMonitorTypes),
    delay: int32().min(0),
    timeout: int32().min(0),
    max_retries: retries(),
    ...inheritedProject,
  })
  .strict();

/** delay, timeout and max_retries may not be cleared: the route answers Octavia's message for null. */
export const healthMonitorUpdate = z
  .object({
    ...common,
    delay: optional(int32().min(0)),
    timeout: optional(int32().min(0)),
    max_retries: optional(retries()),
  })
  .strict();

export const healthMonitorCreateRoot = z.object({ healthmonitor: healthMonitorCreate }).strict();
export const healthMonitorUpdateRoot = z.object({ healthmonitor: healthMonitorUpdate }).strict();

/** The monitor of a pool of a single-call create (Octavia's HealthMonitorSingleCreate): no pool_id, no project. */
export const healthMonitorSingleCreate = healthMonitorCreate.omit({ pool_id: true, project_id: true, tenant_id: true });

export type HealthMonitorCreate = z.infer<typeof healthMonitorCreate>;
export type HealthMonitorSingleCreate = z.infer<typeof healthMonitorSingleCreate>;
export type HealthMonitorUpdate = z.infer<typeof healthMonitorUpdate>;
