/** The L7 rule (Octavia's L7RuleResponse). */
import { z } from 'zod';
import { L7RuleCompareType, L7RuleType } from '../../generated/prisma/enums';
import type { L7Rule, Prisma } from '../../generated/prisma/client';
import { newChild } from '../lifecycle';
import { body, resource, stored } from '../resource';
import { l7RuleCreateRoot, l7RuleUpdateRoot, type L7RuleCreate } from '../schemas/l7rule';
import { defaulted, objectFields } from './common';

export const l7Rules = resource<L7Rule>()({
  model: 'l7Rule',
  name: 'L7 Rule',
  singular: 'rule',
  plural: 'rules',
  fields: {
    ...objectFields,
    type: stored(z.enum(L7RuleType)),
    compare_type: stored(z.enum(L7RuleCompareType)),
    key: stored(z.string().nullable()),
    value: stored(z.string()),
    invert: defaulted(z.boolean(), false),
  },
  bodies: {
    create: body(l7RuleCreateRoot, 'rule_'),
    update: body(l7RuleUpdateRoot, 'rule_'),
  },
});

/** The row of a new rule of a policy (an L7 policy's POST creates the rules it is sent with). */
export const newRule = (rule: L7RuleCreate, policy: { id: string; projectId: string }) => ({
  ...(l7Rules.toColumns(rule) as Pick<Prisma.L7RuleUncheckedCreateInput, 'type' | 'compareType' | 'value'>),
  ...newChild(policy.projectId),
  l7PolicyId: policy.id,
  invert: rule.invert ?? false,
});
