/** Member request bodies (Octavia api-ref: Members). */
import { z } from 'zod';
import { fields } from '../validation';

const optional = <T extends z.ZodType>(t: T) => t.nullable().optional();

const port = () => z.number().int().min(1).max(65535);
/** Octavia's MIN_WEIGHT .. MAX_WEIGHT (0 drains a member). */
const weight = () => z.number().int().min(0).max(256);

export const memberCreate = z
  .object({
    name: optional(fields.name()),
    admin_state_up: z.boolean().optional(),
    address: fields.ip(),
    protocol_port: port(),
    weight: optional(weight()),
    backup: optional(z.boolean()),
    subnet_id: optional(fields.uuid()),
    monitor_port: optional(port()),
    monitor_address: optional(fields.ip()),
    tags: optional(fields.tags()),
    // Accepted for compatibility; a member always belongs to its load balancer's project.
    project_id: optional(fields.projectId()),
    tenant_id: optional(fields.projectId()),
  })
  .strict();

export const memberUpdate = z
  .object({
    name: optional(fields.name()),
    admin_state_up: z.boolean().optional(),
    weight: optional(weight()),
    backup: optional(z.boolean()),
    monitor_port: optional(port()),
    monitor_address: optional(fields.ip()),
    tags: optional(fields.tags()),
  })
  .strict();

export const memberCreateRoot = z.object({ member: memberCreate }).strict();
export const memberUpdateRoot = z.object({ member: memberUpdate }).strict();
/** PUT /pools/{id}/members: the pool's whole member list. */
export const membersBatchRoot = z.object({ members: z.array(memberCreate) }).strict();

export type MemberCreate = z.infer<typeof memberCreate>;
export type MemberUpdate = z.infer<typeof memberUpdate>;
