/**
 * Request validation: zod schemas (api/schemas/*) are the one definition of every request body and
 * query, used here to validate and by the OpenAPI document. This module turns zod's issues into the
 * messages Octavia (WSME) gives for the same mistakes, so clients show users what they know.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { InvalidInput, UnknownAttributes, ValidationFailure, pyRepr, pyStr } from '../common/errors';

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
      // A type of its own (Octavia's AlpnProtocolType, ...) says so in its schema's message.
      return issue.message.startsWith('Invalid') ? `Value should be one of: ${issue.values.map(String).join(', ')}` : issue.message;
    default:
      return issue.message;
  }
}

/**
 * Validates `body` against a root schema `{ <wrapper>: {...} }`; `argument` is the name Octavia gives
 * the body in its messages (e.g. `load_balancer`).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, argument: string, types: BodyTypes = 'wsme'): z.infer<S> {
  rejectNul(body, argument);
  const input = types === 'wsme' ? fromJson(schema, body ?? {}, { argument, body: body ?? {} }) : body ?? {};
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  // Octavia reports unknown attributes before anything else about the body.
  const issue = result.error.issues.find((i) => i.code === 'unrecognized_keys') ?? result.error.issues[0]!;
  const keys = issue.path.filter((p): p is string => typeof p === 'string');
  if (issue.code === 'unrecognized_keys') {
    throw new UnknownAttributes([argument, ...keys].join('.'), issue.keys);
  }
  if (issue.code === 'custom' && issue.params?.validationFailure) throw new ValidationFailure(issue.message);
  // WSME checks a list attribute's items as one value: a bad item reports the whole list.
  const last = issue.path.map((p) => typeof p).lastIndexOf('string');
  const inList = last >= 0 && last < issue.path.length - 1;
  const value = inList ? issue.path.slice(0, last + 1).reduce<unknown>((v, p) => (v as Record<PropertyKey, unknown> | undefined)?.[p], input) : issue.input;
  throw new InvalidInput(keys.at(-1) ?? argument, value, reasonOf(issue));
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
  // An address alone is a CIDR too (its /32 or /128), as Python's ip_network reads it; stored
  // normalised (domain/validate.ts normalizeCidr).
  cidr: () =>
    z.string().refine(
      (v) => {
        const [addr, len, ...rest] = v.split('/');
        const family = isIP(addr ?? '');
        if (rest.length > 0 || family === 0) return false;
        return len === undefined || (/^\d+$/.test(len) && Number(len) <= (family === 4 ? 32 : 128));
      },
      { message: 'Value should be IPv4 or IPv6 CIDR format' },
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

/**
 * How a body's JSON types meet the schema's: `wsme` converts them as Octavia's WSME (fromjson) does
 * before validating, `strict` (an API that is not Octavia's) takes them as they are.
 */
export type BodyTypes = 'wsme' | 'strict';

// WSME's ENUM_TRUE and ENUM_FALSE: the only strings a boolean field takes (case matters).
const TRUE_STRINGS = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE_STRINGS = new Set(['false', 'f', 'no', 'n', 'off', '0']);

/** The body being converted, for the faults WSME reports against the whole body (its ValueErrors). */
interface Conversion {
  argument: string;
  body: unknown;
}
/** The attribute a value belongs to (a list's items and a dict's values report the whole attribute). */
interface Attribute {
  name: string;
  value: unknown;
}

/** Python's int() of a string: surrounding blanks, a sign, digits with single underscores between them. */
function pythonInt(s: string): number | undefined {
  const t = s.trim();
  return /^[+-]?\d+(_\d+)*$/.test(t) ? Number(t.replaceAll('_', '')) : undefined;
}

/** Python's float() of a string: a decimal literal, or inf/infinity/nan in any case. */
function pythonFloat(s: string): number | undefined {
  const t = s.trim().replaceAll(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

type Def = { type: string; [k: string]: any };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema a value is converted for: wrappers (optional, nullable, default, a pipe's input) removed. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = defOf(s);
    if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional', 'catch'].includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else return s;
  }
}

/**
 * WSME's fromjson, driven by the schema: an integer field takes what Python's int() takes (a numeric
 * string, a float, a boolean), a float field what float() takes, a boolean field integers and the
 * unambiguous strings; a string field takes strings only. What fromjson cannot convert is its
 * ValueError, reported (as Octavia does) against the whole body; a value of the wrong type for a
 * string field is the field type's own message. Everything else is left to the schema.
 */
function fromJson(schema: z.ZodType, value: unknown, conv: Conversion, attr?: Attribute): unknown {
  if (value === null || value === undefined) return value;
  const s = unwrap(schema);
  const def = defOf(s);
  const valueError = (reason: string) => new InvalidInput(conv.argument, conv.body, reason);
  switch (def.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const shape = def.shape as Record<string, z.ZodType>;
      const given = value as Record<string, unknown>;
      // WSME refuses unknown attributes before it converts any: the schema reports them.
      if (defOf(def.catchall ?? z.unknown()).type === 'never' && Object.keys(given).some((k) => !(k in shape))) return value;
      const out: Record<string, unknown> = { ...given };
      for (const [k, field] of Object.entries(shape)) {
        if (k in given) out[k] = fromJson(field, given[k], conv, { name: k, value: given[k] });
      }
      return out;
    }
    case 'array':
      if (!Array.isArray(value)) throw valueError(`Value not a valid list: ${pyStr(value)}`);
      return value.map((item) => fromJson(def.element, item, conv, attr));
    case 'record':
      if (typeof value !== 'object' || Array.isArray(value)) throw valueError(`Value not a valid dict: ${pyStr(value)}`);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(def.valueType, v, conv, attr)]));
    case 'number':
      return (s as z.ZodNumber).isInt ? toInt(value, valueError) : toFloat(value, valueError);
    case 'literal':
      return (def.values as unknown[]).every((v) => typeof v === 'number') ? toInt(value, valueError) : value;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'string' && TRUE_STRINGS.has(value)) return true;
      if (typeof value === 'string' && FALSE_STRINGS.has(value)) return false;
      throw valueError(`Value not an unambiguous boolean: ${pyStr(value)}`);
    case 'string':
      if (typeof value !== 'string') throw new InvalidInput(attr?.name ?? conv.argument, attr?.value ?? value, notAString(s, value));
      return value;
    default:
      return value;
  }
}

function toInt(value: unknown, valueError: (reason: string) => Error): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : value;
  if (typeof value === 'string') {
    const n = pythonInt(value);
    if (n === undefined) throw valueError(`invalid literal for int() with base 10: ${pyRepr(value)}`);
    return n;
  }
  return value;
}

function toFloat(value: unknown, valueError: (reason: string) => Error): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const n = pythonFloat(value);
    if (n === undefined) throw valueError(`could not convert string to float: ${pyRepr(value)}`);
    return n;
  }
  return value;
}

/**
 * What a string field of WSME says of a value that is not a string: a UUID field that it is no UUID,
 * a field of a type with its own check (an address, a URL path) that check's message when the value's
 * text fails it, a plain string field `Value should be string`.
 */
function notAString(schema: z.ZodType, value: unknown): string {
  const format = (schema as z.ZodString).format;
  if (format === 'uuid' || format === 'guid') return 'Value should be UUID format';
  const custom = (defOf(schema).checks ?? []).some((c: z.ZodType) => defOf(c).check === 'custom');
  if (custom && typeof value !== 'object') {
    const issue = schema.safeParse(pyStr(value)).error?.issues[0];
    if (issue) return issue.message;
  }
  return 'Value should be string';
}
