/** L7 rule request bodies (Octavia api-ref: L7 Rules). */
import { z } from 'zod';
import { fields } from '../validation';
import { inheritedProject, optional, requiredEnum } from './common';

/** Octavia's SUPPORTED_L7RULE_TYPES and SUPPORTED_L7RULE_COMPARE_TYPES, in its order. */
export const l7RuleTypes = ['HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD'] as const;
export const l7RuleCompareTypes = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;

export type L7RuleTypeName = (typeof l7RuleTypes)[number];
export type L7RuleCompareTypeName = (typeof l7RuleCompareTypes)[number];

const key = () => z.string().max(255);
const value = () => z.string().max(255);

/** Octavia's L7RulePOST; the cross-field rules (key for HEADER/COOKIE, value syntax) are checked by the route. */
export const l7RuleCreate = z
  .object({
    type: requiredEnum(l7RuleTypes),
    compare_type: requiredEnum(l7RuleCompareTypes),
    key: optional(key()),
    value: value(),
    invert: optional(z.boolean()),
    admin_state_up: z.boolean().optional(),
    tags: optional(fields.tags()),
    ...inheritedProject,
  })
  .strict();

export const l7RuleUpdate = z
  .object({
    type: z.enum(l7RuleTypes).optional(),
    compare_type: z.enum(l7RuleCompareTypes).optional(),
    key: optional(key()),
    value: value().optional(),
    invert: optional(z.boolean()),
    admin_state_up: z.boolean().optional(),
    tags: optional(fields.tags()),
  })
  .strict();

export const l7RuleCreateRoot = z.object({ rule: l7RuleCreate }).strict();
export const l7RuleUpdateRoot = z.object({ rule: l7RuleUpdate }).strict();

/** A rule of a policy of a single-call create (Octavia's L7RuleSingleCreate). */
export const l7RuleSingleCreate = l7RuleCreate.omit({ project_id: true, tenant_id: true });

export type L7RuleCreate = z.infer<typeof l7RuleCreate>;
export type L7RuleUpdate = z.infer<typeof l7RuleUpdate>;
