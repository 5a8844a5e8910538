/**
 * Request validation: zod schemas (api/schemas/*) are the one definition of every request body and
 * query, used here to validate and by the OpenAPI document. This module turns zod's issues into the
 * messages Octavia (WSME) gives for the same mistakes, so clients show users what they know.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { InvalidInput, UnknownAttributes, ValidationFailure } from '../common/errors';

const pyType = (v: unknown): string => {
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (Array.isArray(v)) return "<class 'list'>";
  switch (typeof v) {
    case 'string':
      return "<class 'str'>";
    case 'boolean':
      return "<class 'bool'>";
    case 'number':
      return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
    default:
      return "<class 'dict'>";
  }
};

const expectedPyType: Record<string, string> = {
  string: "<class 'str'>",
  number: "<class 'int'>",
  int: "<class 'int'>",
  boolean: "<class 'bool'>",
  array: "<class 'list'>",
  object: "<class 'dict'>",
};

function reasonOf(issue: z.core.$ZodIssue): string {
  // Whatever the field's type, a required field that is absent is "missing" (zod calls a missing enum
  // an invalid value).
  if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
    return 'Mandatory field missing.';
  }
  switch (issue.code) {
    case 'invalid_type':
      return `Wrong type. Expected '${expectedPyType[issue.expected] ?? issue.expected}', got '${pyType(issue.input)}'`;
    case 'too_small':
      return issue.origin === 'number'
        ? `Value should be greater or equal to ${issue.minimum}`
        : `Value should have a minimum character requirement of ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'number'
        ? `Value should be lower or equal to ${issue.maximum}`
        : `Value should have a maximum character requirement of ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'uuid' || issue.format === 'guid' ? 'Value should be UUID format' : issue.message;
    case 'invalid_value':
      return `Value should be one of: ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}

/**
 * Validates `body` against a root schema `{ <wrapper>: {...} }`; `argument` is the name Octavia gives
 * the body in its messages (e.g. `load_balancer`).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, argument: string): z.infer<S> {
  rejectNul(body, argument);
  const result = schema.safeParse(body ?? {}, { reportInput: true });
  if (result.success) return result.data;
  // Octavia reports unknown attributes before anything else about the body.
  const issue = result.error.issues.find((i) => i.code === 'unrecognized_keys') ?? result.error.issues[0]!;
  const keys = issue.path.filter((p): p is string => typeof p === 'string');
  if (issue.code === 'unrecognized_keys') {
    throw new UnknownAttributes([argument, ...keys].join('.'), issue.keys);
  }
  if (issue.code === 'custom' && issue.params?.validationFailure) throw new ValidationFailure(issue.message);
  throw new InvalidInput(keys.at(-1) ?? argument, issue.input, reasonOf(issue));
}

/** Reusable field types with Octavia's limits. */
export const fields = {
  // Octavia accepts any 8-4-4-4-12 hex string (oslo's is_uuid_like), not only RFC 4122 versions.
  uuid: () => z.guid(),
  name: () => z.string().max(255),
  description: () => z.string().max(255),
  projectId: () => z.string().max(36),
  ip: () =>
    z.string().refine((v) => isIP(v) !== 0, { message: 'Value should be IPv4 or IPv6 format' }),
  tags: () => z.array(z.string().max(255)),
  cidr: () =>
    z.string().refine(
      (v) => {
        const [addr, len, ...rest] = v.split('/');
        const family = isIP(addr ?? '');
        const bits = Number(len);
        return rest.length === 0 && family !== 0 && /^\d+$/.test(len ?? '') && bits <= (family === 4 ? 32 : 128);
      },
      { message: 'Value should be a valid CIDR' },
    ),
};

/** A cross-field rule whose message is a `Validation failure: ...`. */
export const validationFailure = (message: string) => ({ message, params: { validationFailure: true } });

/** PostgreSQL text cannot hold NUL characters: refused here, for every body, rather than failing in the database. */
function rejectNul(value: unknown, field: string): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) throw new InvalidInput(field, value.replaceAll('\0', '\\x00'), 'Value must not contain NUL characters');
  } else if (Array.isArray(value)) {
    for (const v of value) rejectNul(v, field);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\0')) throw new InvalidInput(field, k, 'Attribute names must not contain NUL characters');
      rejectNul(v, k);
    }
  }
}
