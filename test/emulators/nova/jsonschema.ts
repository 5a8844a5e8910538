/**
 * The part of JSON Schema (draft 4) Nova's request schemas use, with python-jsonschema's error messages
 * and Nova's way of turning the first error into a 400:
 *
 *   "Invalid input for field/attribute <last path element>. Value: <str(instance)>. <jsonschema message>"
 *
 * or just the jsonschema message when the error is at the top of the body (nova.api.validation.validators).
 * Keywords are checked in the schema's key order, as jsonschema does, so the first error is the one
 * Nova would report when a body has several faults.
 */
import { badRequest, type HttpError } from './http';
import { pyRepr, pyStr } from './pyrepr';

export type Schema = { [keyword: string]: unknown };

interface SchemaError {
  path: Array<string | number>;
  instance: unknown;
  message: string;
  /** A message Nova reports verbatim instead of the "Invalid input" sentence (format 'name'). */
  verbatim?: string;
}

const UUID_RE = /^(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/** oslo_utils.uuidutils.is_uuid_like. */
export function isUuidLike(v: unknown): boolean {
  return typeof v === 'string' && UUID_RE.test(v);
}

/**
 * base64.decodebytes as Nova's 'base64' format checker calls it: characters outside the alphabet are
 * skipped, and the data must not leave a lone character or miss its padding.
 */
export function isBase64(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const kept = v.replace(/[^A-Za-z0-9+/=]/g, '');
  const firstPad = kept.indexOf('=');
  const data = firstPad === -1 ? kept : kept.slice(0, firstPad);
  const pads = firstPad === -1 ? 0 : kept.length - firstPad;
  const rest = data.length % 4;
  if (rest === 1) return false;
  if (rest === 2) return pads >= 2;
  if (rest === 3) return pads >= 1;
  return true;
}

/** nova.api.validation.parameter_types.valid_name_regex: printable, no leading/trailing whitespace. */
function isValidName(v: unknown): boolean {
  if (typeof v !== 'string' || v.length === 0) return typeof v === 'string';
  if (/^\s|\s$/u.test(v)) return false;
  return !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u.test(v);
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function checkFormat(format: string, v: unknown): { ok: boolean; verbatim?: string } {
  switch (format) {
    case 'uuid':
      return { ok: isUuidLike(v) };
    case 'base64':
      return { ok: isBase64(v) };
    case 'name':
      return isValidName(v)
        ? { ok: true }
        : {
            ok: false,
            verbatim:
              "An invalid 'name' value was provided. The name must be: printable characters. " +
              'Can not start or end with whitespace.',
          };
    case 'ipv4':
      return { ok: typeof v !== 'string' || IPV4_RE.test(v) };
    case 'ipv6':
      return { ok: typeof v !== 'string' || (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v)) };
    default:
      return { ok: true };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function typeMatches(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return true;
  }
}

/** Python equality as enum uses it (True == 1 is ignored: Nova's enums never mix them). */
function pyEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Nova's validator converts numeric strings before minimum/maximum (validators._soft_validate...). */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

const strLength = (s: string): number => [...s].length;

function* iterErrors(instance: unknown, schema: Schema, path: Array<string | number>): Generator<SchemaError> {
  for (const [keyword, arg] of Object.entries(schema)) {
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
        if (!types.some((t) => typeMatches(instance, t))) {
          yield { path, instance, message: `${pyRepr(instance)} is not of type ${types.map(pyRepr).join(', ')}` };
        }
        break;
      }
      case 'properties': {
        if (!isObject(instance)) break;
        for (const [prop, sub] of Object.entries(arg as Record<string, Schema>)) {
          if (prop in instance) yield* iterErrors(instance[prop], sub, [...path, prop]);
        }
        break;
      }
      case 'patternProperties': {
        if (!isObject(instance)) break;
        for (const [pattern, sub] of Object.entries(arg as Record<string, Schema>)) {
          const re = new RegExp(pattern, 'u');
          for (const [k, v] of Object.entries(instance)) {
            if (re.test(k)) yield* iterErrors(v, sub, [...path, k]);
          }
        }
        break;
      }
      case 'additionalProperties': {
        if (!isObject(instance) || arg !== false) break;
        const props = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
        const patterns = Object.keys((schema.patternProperties as Record<string, unknown> | undefined) ?? {}).map(
          (p) => new RegExp(p, 'u'),
        );
        const extras = Object.keys(instance).filter((k) => !props.includes(k) && !patterns.some((re) => re.test(k)));
        if (extras.length > 0) {
          if (patterns.length > 0) {
            const verb = extras.length === 1 ? 'does' : 'do';
            yield {
              path,
              instance,
              message: `${[...extras].sort().map(pyRepr).join(', ')} ${verb} not match any of the regexes: ${patterns
                .map((re) => pyRepr(re.source))
                .join(', ')}`,
            };
          } else {
            const verb = extras.length === 1 ? 'was' : 'were';
            yield {
              path,
              instance,
              message: `Additional properties are not allowed (${extras.map(pyRepr).join(', ')} ${verb} unexpected)`,
            };
          }
        }
        break;
      }
      case 'required': {
        if (!isObject(instance)) break;
        for (const prop of arg as string[]) {
          if (!(prop in instance)) yield { path, instance, message: `${pyRepr(prop)} is a required property` };
        }
        break;
      }
      case 'minProperties':
        if (isObject(instance) && Object.keys(instance).length < (arg as number)) {
          yield { path, instance, message: `${pyRepr(instance)} does not have enough properties` };
        }
        break;
      case 'maxProperties':
        if (isObject(instance) && Object.keys(instance).length > (arg as number)) {
          yield { path, instance, message: `${pyRepr(instance)} has too many properties` };
        }
        break;
      case 'enum':
        if (!(arg as unknown[]).some((e) => pyEqual(e, instance))) {
          yield { path, instance, message: `${pyRepr(instance)} is not one of ${pyRepr(arg)}` };
        }
        break;
      case 'minLength':
        if (typeof instance === 'string' && strLength(instance) < (arg as number)) {
          yield { path, instance, message: `${pyRepr(instance)} is too short` };
        }
        break;
      case 'maxLength':
        if (typeof instance === 'string' && strLength(instance) > (arg as number)) {
          yield { path, instance, message: `${pyRepr(instance)} is too long` };
        }
        break;
      case 'pattern':
        if (typeof instance === 'string' && !new RegExp(arg as string, 'u').test(instance)) {
          yield { path, instance, message: `${pyRepr(instance)} does not match ${pyRepr(arg)}` };
        }
        break;
      case 'format': {
        const { ok, verbatim } = checkFormat(arg as string, instance);
        if (!ok) {
          yield { path, instance, message: `${pyRepr(instance)} is not a ${pyRepr(arg)}`, ...(verbatim ? { verbatim } : {}) };
        }
        break;
      }
      case 'minimum': {
        const n = asNumber(instance);
        if (n === undefined || typeof instance === 'boolean') break;
        const exclusive = schema.exclusiveMinimum === true;
        if (exclusive ? n <= (arg as number) : n < (arg as number)) {
          const how = exclusive ? 'less than or equal to' : 'less than';
          yield { path, instance, message: `${pyStr(instance)} is ${how} the minimum of ${pyRepr(arg)}` };
        }
        break;
      }
      case 'maximum': {
        const n = asNumber(instance);
        if (n === undefined || typeof instance === 'boolean') break;
        if (n > (arg as number)) {
          yield { path, instance, message: `${pyStr(instance)} is greater than the maximum of ${pyRepr(arg)}` };
        }
        break;
      }
      case 'items': {
        if (!Array.isArray(instance)) break;
        if (Array.isArray(arg)) {
          for (let i = 0; i < Math.min(arg.length, instance.length); i++) {
            yield* iterErrors(instance[i], arg[i] as Schema, [...path, i]);
          }
        } else {
          for (let i = 0; i < instance.length; i++) yield* iterErrors(instance[i], arg as Schema, [...path, i]);
        }
        break;
      }
      case 'additionalItems': {
        if (!Array.isArray(instance) || arg !== false || !Array.isArray(schema.items)) break;
        const extra = instance.slice((schema.items as unknown[]).length);
        if (extra.length > 0) {
          const verb = extra.length === 1 ? 'was' : 'were';
          yield {
            path,
            instance,
            message: `Additional items are not allowed (${extra.map(pyRepr).join(', ')} ${verb} unexpected)`,
          };
        }
        break;
      }
      case 'minItems':
        if (Array.isArray(instance) && instance.length < (arg as number)) {
          yield { path, instance, message: `${pyRepr(instance)} is too short` };
        }
        break;
      case 'maxItems':
        if (Array.isArray(instance) && instance.length > (arg as number)) {
          yield { path, instance, message: `${pyRepr(instance)} is too long` };
        }
        break;
      case 'uniqueItems':
        if (arg === true && Array.isArray(instance)) {
          const seen = new Set(instance.map((v) => JSON.stringify(v)));
          if (seen.size !== instance.length) {
            yield { path, instance, message: `${pyRepr(instance)} has non-unique elements` };
          }
        }
        break;
      case 'oneOf':
      case 'anyOf': {
        const subs = arg as Schema[];
        const matching = subs.filter((sub) => iterErrors(instance, sub, path).next().done);
        if (matching.length === 0) {
          yield { path, instance, message: `${pyRepr(instance)} is not valid under any of the given schemas` };
        } else if (keyword === 'oneOf' && matching.length > 1) {
          yield { path, instance, message: `${pyRepr(instance)} is valid under each of ${matching.map(pyRepr).join(', ')}` };
        }
        break;
      }
      default:
        break;
    }
  }
}

/** The 400 Nova answers for the first schema error, or undefined when the body is valid. */
export function schemaError(body: unknown, schema: Schema): HttpError | undefined {
  const first = iterErrors(body, schema, []).next();
  if (first.done) return undefined;
  const err = first.value;
  if (err.verbatim) return badRequest(err.verbatim);
  if (err.path.length > 0) {
    const field = err.path[err.path.length - 1];
    return badRequest(`Invalid input for field/attribute ${String(field)}. Value: ${pyStr(err.instance)}. ${err.message}`);
  }
  return badRequest(err.message);
}

/** Throws Nova's 400 when body does not match schema. */
export function validate(body: unknown, schema: Schema): void {
  const err = schemaError(body, schema);
  if (err) throw err;
}
