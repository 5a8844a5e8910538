/** Member request bodies (Octavia api-ref: Members). */
import { z } from 'zod';
import { fields } from '../validation';
import { inheritedProject, optional } from './common';

const port = () => z.number().int().min(1).max(65535);
/** Octavia's MIN_WEIGHT .. MAX_WEIGHT (0 drains a member). */
const weight = () => z.number().int().min(0).max(256);

/** What a PUT may change, and a POST set too. */
const mutable = {
  name: optional(fields.name()),
  admin_state_up: z.boolean().optional(),
  weight: optional(weight()),
  backup: optional(z.boolean()),
  monitor_port: optional(port()),
  monitor_address: optional(fields.ip()),
  tags: optional(fields.tags()),
};

// In Octavia's order: the first of several problems is the one reported.
const { name, admin_state_up, weight: weighted, backup, ...rest } = mutable;
export const memberCreate = z
  .object({ name, admin_state_up, address: fields.ip(), protocol_port: port(), weight: weighted, backup, subnet_id: optional(fields.uuid()), ...rest, ...inheritedProject })
  .strict();

export const memberUpdate = z.object(mutable).strict();

export const memberCreateRoot = z.object({ member: memberCreate }).strict();
export const memberUpdateRoot = z.object({ member: memberUpdate }).strict();
/** PUT /pools/{id}/members: the pool's whole member list. */
export const membersBatchRoot = z.object({ members: z.array(memberCreate) }).strict();

/** A member of a pool of a single-call create (Octavia's MemberSingleCreate): its pool is its parent, its project the load balancer's. */
export const memberSingleCreate = memberCreate.omit({ project_id: true, tenant_id: true });

export type MemberCreate = z.infer<typeof memberCreate>;
export type MemberUpdate = z.infer<typeof memberUpdate>;
