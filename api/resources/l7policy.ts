/** The L7 policy (Octavia's L7PolicyResponse). */
import { z } from 'zod';
import { L7PolicyAction } from '../../generated/prisma/enums';
import type { L7Policy, Prisma } from '../../generated/prisma/client';
import { body, resource, stored } from '../resource';
import { l7PolicyCreateRoot, l7PolicyUpdateRoot } from '../schemas/l7policy';
import { objectFields, refsOf, text } from './common';
import { newChild } from '../lifecycle';

/** What an L7 policy view needs besides the row: its rules. */
export const l7PolicyInclude = {
  rules: { select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
} satisfies Prisma.L7PolicyInclude;

export type L7PolicyRow = L7Policy & { rules: { id: string }[] };

export const l7Policies = resource<L7PolicyRow>()({
  model: 'l7Policy',
  name: 'L7 Policy',
  singular: 'l7policy',
  plural: 'l7policies',
  fields: {
    ...objectFields,
    name: text(),
    description: text(),
    action: stored(z.enum(L7PolicyAction)),
    listener_id: stored(z.guid()),
    redirect_pool_id: stored(z.guid().nullable()),
    redirect_url: stored(z.string().nullable()),
    redirect_prefix: stored(z.string().nullable()),
    position: stored(z.number().int()),
    rules: refsOf('rules'),
    redirect_http_code: stored(z.number().int().nullable()),
  },
  bodies: {
    create: body(l7PolicyCreateRoot, 'l7policy_'),
    update: body(l7PolicyUpdateRoot, 'l7policy_'),
  },
});

/** The row of a new policy of a listener at `position` (its POST, or a single-call create), PENDING_CREATE. */
export const newL7Policy = (values: Record<string, unknown>, listener: { id: string; projectId: string }, position: number) => ({
  ...(l7Policies.toColumns(values) as Pick<Prisma.L7PolicyUncheckedCreateInput, 'action'>),
  ...newChild(listener.projectId),
  listenerId: listener.id,
  position,
});
