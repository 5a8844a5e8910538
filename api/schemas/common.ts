/** Building blocks of the request schemas, with Octavia's messages and limits. */
import { z } from 'zod';
import { fields } from '../validation';

/** An attribute a request may leave out or send as null. */
export const optional = <T extends z.ZodType>(t: T) => t.nullable().optional();

/**
 * An enum attribute Octavia requires: missing is `Mandatory field missing.`, a wrong value lists the
 * allowed ones (zod alone reports both as a wrong value).
 */
export const requiredEnum = <const T extends readonly [string, ...string[]]>(values: T) => z.string().pipe(z.enum(values));

/** WSME's pattern message, with the pattern as Octavia writes it. */
export const pattern = (re: RegExp) => ({ message: `Value should match the pattern ${re.source}` });

/** Octavia stores ints in 32-bit columns: anything larger is refused here, not by the database. */
export const int32 = () => z.number().int().max(2147483647);

/** Accepted for compatibility on a load balancer's children, which always belong to its project. */
export const inheritedProject = {
  project_id: optional(fields.projectId()),
  tenant_id: optional(fields.projectId()),
};
