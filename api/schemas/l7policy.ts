/** L7 policy request bodies (Octavia api-ref: L7 Policies). */
import { z } from 'zod';
import { fields } from '../validation';
import { l7RuleCreate, l7RuleSingleCreate } from './l7rule';
import { poolSingleCreate } from './pool';
import { inheritedProject, optional, requiredEnum } from './common';

/** Octavia's SUPPORTED_L7POLICY_ACTIONS and SUPPORTED_L7POLICY_REDIRECT_HTTP_CODES. */
export const l7PolicyActions = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export const redirectHttpCodes = [301, 302, 303, 307, 308] as const;
/** Octavia's MIN_POLICY_POSITION / MAX_POLICY_POSITION; the maximum (the default) means "last". */
export const MAX_POLICY_POSITION = 2147483647;

export type L7PolicyActionName = (typeof l7PolicyActions)[number];

/** An absolute http(s) URL (Octavia's types.URLType: validate.url with a required scheme). */
const url = () =>
  z
    .string()
    .max(255)
    .superRefine((v, ctx) => {
      let ok = false;
      try {
        const u = new URL(v);
        ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '';
      } catch {
        ok = false;
      }
      if (!ok) ctx.addIssue({ code: 'custom', message: `Not a valid URL: ${v}`, input: v });
    });

const mutable = {
  name: optional(fields.name()),
  description: optional(fields.description()),
  admin_state_up: z.boolean().optional(),
  redirect_pool_id: optional(fields.uuid()),
  redirect_url: optional(url()),
  redirect_prefix: optional(url()),
  redirect_http_code: optional(z.literal(redirectHttpCodes)),
  position: z.number().int().min(1).max(MAX_POLICY_POSITION).optional(),
  tags: optional(fields.tags()),
};

export const l7PolicyCreate = z
  .object({
    ...mutable,
    listener_id: fields.uuid(),
    action: requiredEnum(l7PolicyActions),
    // Octavia's single-call create: the policy's rules with it.
    rules: optional(z.array(l7RuleCreate)),
    ...inheritedProject,
  })
  .strict();

export const l7PolicyUpdate = z.object({ ...mutable, action: z.enum(l7PolicyActions).optional() }).strict();

export const l7PolicyCreateRoot = z.object({ l7policy: l7PolicyCreate }).strict();
export const l7PolicyUpdateRoot = z.object({ l7policy: l7PolicyUpdate }).strict();

/**
 * A policy of a listener of a single-call create (Octavia's L7PolicySingleCreate): its target pool is
 * `redirect_pool`, a pool of the same request (by name, or defined here), never an id.
 */
export const l7PolicySingleCreate = l7PolicyCreate
  .omit({ listener_id: true, redirect_pool_id: true, project_id: true, tenant_id: true })
  .extend({ redirect_pool: optional(poolSingleCreate), rules: optional(z.array(l7RuleSingleCreate)) });

export type L7PolicyCreate = z.infer<typeof l7PolicyCreate>;
export type L7PolicySingleCreate = z.infer<typeof l7PolicySingleCreate>;
export type L7PolicyUpdate = z.infer<typeof l7PolicyUpdate>;
