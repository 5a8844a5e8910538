/**
 * One description per resource, from which everything the API says about it is built: the wire view
 * (GET, POST and PUT replies), the columns a request body writes, the list filters and sort keys, the
 * `fields=` selection, the PUT preview, and the response and query schemas of the OpenAPI document.
 *
 * A resource is its wire fields, in the order Octavia shows them. A field is stored in the column named
 * like it in camelCase (`vip_address` -> `vipAddress`) unless it says otherwise: like Octavia's
 * `_type_to_model_map`, only the exceptions are written down. How a field filters is not written down
 * at all: it follows from the Prisma model's type of its column (Boolean, Int, an enum, DateTime: sort
 * only; Json and Decimal: neither) and, for strings, from its wire schema (a UUID, a list).
 */
import { z } from 'zod';
import * as prismaEnums from '../generated/prisma/enums';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../db/prisma';
import type { FilterField, FilterKind, FilterSpec, Keying } from './listing';
import type { BodyTypes } from './validation';

type Row = Record<string, unknown>;
type Where = Record<string, unknown>;

/** Octavia prints `YYYY-MM-DDTHH:MM:SS` (UTC, no zone, no fraction). */
export const timestamp = (d: Date | null) => (d ? d.toISOString().slice(0, 19) : null);

export interface FieldSpec<R = any> {
  /** The field's schema in responses. */
  schema: z.ZodType;
  /** The column it is stored in: the wire name in camelCase unless named here; null: computed, not stored. */
  column?: string | null;
  /** The wire value; default: the column's (timestamps in Octavia's format). `undefined` leaves the key out. */
  read?: (row: R) => unknown;
  /** How the column's value is shown, when not as it is stored (`null` names as `""`, tags sorted). */
  show?: (value: any) => unknown;
  /** The column value of what a body sends, when it is spelled differently on the wire. */
  write?: (value: unknown) => unknown;
  /** Shown, never written from a body (ids, statuses, times, the project). */
  readOnly?: boolean;

  /** A filter that is not a plain match on the column (a relation, another spelling); false: none. */
  filter?: false | { kind: FilterKind; match: (value: string | number | boolean) => Where };
}

/** A field stored in its column and shown as it is stored. */
export const stored = <S extends z.ZodType>(schema: S, opts: Omit<FieldSpec, 'schema'> = {}) => ({ ...opts, schema });

/** A field made from the row (and what the view includes with it): never written, never a plain filter. */
export const computed = <S extends z.ZodType, R>(schema: S, read: (row: R) => z.output<S>, opts: Pick<FieldSpec, 'filter'> = {}) => ({
  ...opts,
  schema,
  column: null,
  read: read as (row: unknown) => unknown,
});

/** The Prisma delegate a resource is stored with (`loadBalancer`, `l7Policy`, ...). */
export type ModelKey = Uncapitalize<Prisma.ModelName>;

export interface Body<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** What Octavia calls the body in its messages (`load_balancer`, `listener_`, ...). */
  argument: string;
  /** How its JSON types are taken (api/validation.ts): converted as Octavia's WSME does, unless `strict`. */
  types?: BodyTypes;
}

export type Bodies = Record<string, Body>;

export interface ResourceSpec<F extends Record<string, FieldSpec>, B extends Bodies> {
  model: ModelKey;
  /** Octavia's name in its faults: `Load Balancer <id> not found.` */
  name: string;
  /** The wire keys of one object and of a list, and of a list's links (default `<plural>_links`). */
  singular: string;
  plural: string;
  links?: string;
  key?: Keying['key'];
  timestamps?: Keying['timestamps'];
  fields: F;
  /** Filters that are not fields of the view (an alias, the parent's id). */
  filters?: Record<string, FieldSpec>;
  /** The request bodies it is created and changed with (api/schemas/). */
  bodies: B;
}

export type ViewOf<F extends Record<string, FieldSpec>> = { [K in keyof F]: z.output<F[K]['schema']> };

export interface ResolvedField extends FieldSpec {
  wire: string;
  column: string | null;
  read: (row: Row) => unknown;
  /** The wire schema is a list: a null body value clears it ([]), and it filters only as `tags`. */
  list: boolean;
  uuid: boolean;
}

const camel = (wire: string) => wire.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const asWire = (v: unknown) => (v instanceof Date ? timestamp(v) : v);

/** What the JSON schema of a field says about its values, with null and optional stripped. */
function shapeOf(schema: z.ZodType): { list: boolean; uuid: boolean } {
  const js = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as { type?: string; format?: string; anyOf?: { type?: string; format?: string }[] };
  const variants = js.anyOf ? js.anyOf.filter((v) => v.type !== 'null') : [js];
  return { list: variants.some((v) => v.type === 'array'), uuid: variants.some((v) => v.format === 'uuid') };
}

function resolve(wire: string, f: FieldSpec): ResolvedField {
  const column = f.column === undefined ? camel(wire) : f.column;
  const show = f.show ?? ((v: unknown) => v);
  const read = f.read ?? (column ? (row: Row) => show(asWire(row[column])) : () => undefined);
  return { ...f, wire, column, read, ...shapeOf(f.schema) };
}

const enums = prismaEnums as unknown as Record<string, Record<string, string> | undefined>;

/** How a column filters, from the Prisma model's type of it. */
function kindOf(typeName: string, field: ResolvedField): FilterKind | undefined {
  if (typeName === 'Boolean') return 'bool';
  if (typeName === 'Int') return 'int';
  if (typeName === 'DateTime') return 'time';
  if (typeName === 'String') {
    if (field.list) return field.column === 'tags' ? 'tags' : undefined;
    return field.uuid ? 'uuid' : 'string';
  }
  const values = enums[typeName];
  return values ? { enum: values } : undefined;
}

export const linkSchema = z.object({ href: z.string(), rel: z.enum(['next', 'previous']) });

export class Resource<R, F extends Record<string, FieldSpec> = Record<string, FieldSpec>, B extends Bodies = Bodies> {
  readonly model: ModelKey;
  readonly bodies: B;
  readonly name: string;
  readonly singular: string;
  readonly plural: string;
  readonly links: string;
  readonly keying: Required<Keying>;
  /** One object, as every response shows it. */
  readonly schema: z.ZodObject;
  /** `{<singular>: ...}` and `{<plural>: [...], <links>: [...]}`. */
  readonly showSchema: z.ZodObject;
  readonly listSchema: z.ZodObject;
  readonly fields: readonly ResolvedField[];
  private readonly extraFilters: ResolvedField[];
  private filterSpec: FilterSpec | undefined;

  constructor(spec: ResourceSpec<F, B>) {
    this.model = spec.model;
    this.bodies = spec.bodies;
    this.name = spec.name;
    this.singular = spec.singular;
    this.plural = spec.plural;
    this.links = spec.links ?? `${spec.plural}_links`;
    this.keying = { key: spec.key ?? 'id', timestamps: spec.timestamps ?? true };
    this.fields = Object.entries(spec.fields).map(([wire, f]) => resolve(wire, f));
    this.extraFilters = Object.entries(spec.filters ?? {}).map(([wire, f]) => resolve(wire, f));
    this.schema = z.object(Object.fromEntries(this.fields.map((f) => [f.wire, f.schema])));
    this.showSchema = z.object({ [this.singular]: this.schema });
    this.listSchema = z.object({ [this.plural]: z.array(this.schema), [this.links]: z.array(linkSchema) });
  }

  /** The wire view of a row (with what the resource's reads include). */
  view(row: R): ViewOf<F> {
    const out: Row = {};
    for (const f of this.fields) {
      const v = f.read(row as Row);
      if (v !== undefined) out[f.wire] = v;
    }
    return out as ViewOf<F>;
  }

  /**
   * What a PUT answers before its flow has run: the row with the updates the flow will write, so the
   * reply is what the next GET shows once the flow is done (but for the provisioning status and time).
   */
  preview(row: R, updates: Record<string, unknown>): ViewOf<F> {
    return this.view({ ...row, ...updates });
  }

  /** The columns a request body writes: every writable field it sends; a null list is stored empty. */
  toColumns(body: Record<string, unknown>): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const f of this.fields) {
      const value = body[f.wire];
      if (value === undefined || !f.column || f.readOnly) continue;
      data[f.column] = value === null && f.list ? [] : f.write ? f.write(value) : value;
    }
    return data;
  }

  /** The list filters and sort keys, from the Prisma model's field types (checked against it once). */
  filters(db: Db): FilterSpec {
    if (this.filterSpec) return this.filterSpec;
    const refs = (db[this.model] as unknown as { fields: Record<string, { typeName: string } | undefined> }).fields;
    const spec: FilterSpec = {};
    for (const f of [...this.fields, ...this.extraFilters]) {
      if (f.filter === false) continue;
      if (f.filter) {
        spec[f.wire] = { column: f.column ?? f.wire, kind: f.filter.kind, match: f.filter.match };
        continue;
      }
      if (!f.column) continue;
      const ref = refs[f.column];
      if (!ref) throw new Error(`The ${this.name} field ${f.wire} names ${this.model}.${f.column}, which the Prisma model does not have`);
      const kind = kindOf(ref.typeName, f);
      if (kind) spec[f.wire] = { column: f.column, kind } satisfies FilterField;
    }
    this.filterSpec = spec;
    return spec;
  }

  /** The query parameters of a list (filters, tags, sorting, pagination, fields) and of a show. */
  listQuery(db: Db): z.ZodObject {
    const spec = this.filters(db);
    const many = (s: z.ZodType) => z.array(s).optional();
    const filters = Object.entries(spec)
      .filter(([, f]) => f.kind !== 'tags' && f.kind !== 'time')
      .map(([wire, f]) => [wire, many(querySchemaOf(f.kind)).meta({ description: `Only objects whose ${wire} is one of these.` })]);
    const tags = spec.tags
      ? ['tags', 'tags-any', 'not-tags', 'not-tags-any'].map((k) => [k, many(z.string()).meta({ description: `Tag filter (${k}); comma-separated or repeated.` })])
      : [];
    const sortable = Object.entries(spec).filter(([, f]) => f.kind !== 'tags' && !f.match).map(([k]) => k);
    return z.object({
      ...Object.fromEntries([...filters, ...tags]),
      sort: z.string().optional().meta({ description: `key[:asc|desc],... with keys among: ${sortable.join(', ')}` }),
      sort_key: many(z.enum(sortable as [string, ...string[]])),
      sort_dir: many(z.enum(['asc', 'desc'])),
      limit: z.string().regex(/^\d+$/).optional().meta({ description: 'At most this many (up to 1000).' }),
      marker: z.string().optional().meta({ description: `The ${this.keying.key} of the last object of the previous page.` }),
      page_reverse: z.enum(['true', 'false', 'True', 'False']).optional(),
      ...this.showQuery.shape,
    });
  }

  get showQuery() {
    return z.object({
      fields: z.array(z.enum(this.fields.map((f) => f.wire) as [string, ...string[]])).optional().meta({ description: 'Only these fields.' }),
    });
  }
}

function querySchemaOf(kind: FilterKind): z.ZodType {
  if (kind === 'uuid') return z.guid();
  if (kind === 'bool') return z.enum(['true', 'false', 'True', 'False']);
  if (kind === 'int') return z.string().regex(/^-?\d+$/);
  if (typeof kind === 'object') return z.enum(Object.values(kind.enum) as [string, ...string[]]);
  return z.string();
}

/** Defines a resource whose rows (with what its reads include) are `R`. */
export const resource =
  <R>() =>
  <F extends Record<string, FieldSpec>, B extends Bodies>(spec: ResourceSpec<F, B>) =>
    new Resource<R, F, B>(spec);

export const body = <S extends z.ZodType>(schema: S, argument: string, types: BodyTypes = 'wsme'): Body<S> => ({ schema, argument, types });
