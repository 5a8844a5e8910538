/**
 * Listing as Octavia does it: filters on any listed field (anything else is a 400), `fields=` selection,
 * `limit`/`marker` pagination with `<plural>_links`, ordered by creation then id.
 */
import type { Request } from 'express';
import { InvalidFilter, InvalidInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string) => UUID.test(v);

export type FilterKind = 'string' | 'uuid' | 'bool' | 'int' | { enum: Record<string, string> };
export interface FilterField {
  column: string;
  kind: FilterKind;
}
export type FilterSpec = Record<string, FilterField>;

const PAGING = new Set(['limit', 'marker', 'page_reverse', 'fields']);
const MAX_LIMIT = 1000;

export interface ListQuery {
  /** A Prisma `where`; `null` when a filter value can match nothing (a malformed id, an unknown status). */
  where: Record<string, unknown> | null;
  limit: number | undefined;
  marker: string | undefined;
  fields: string[] | undefined;
}

const values = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

export function parseListQuery(req: Request, spec: FilterSpec): ListQuery {
  const where: Record<string, unknown> = {};
  let matchesNothing = false;
  for (const [key, raw] of Object.entries(req.query)) {
    if (PAGING.has(key)) continue;
    const field = spec[key];
    if (!field) throw new InvalidFilter();
    const vals = values(raw);
    const accepted = vals.filter((v) => acceptable(field.kind, v));
    if (accepted.length === 0) {
      matchesNothing = true;
      continue;
    }
    const typed = accepted.map((v) => (field.kind === 'bool' ? v.toLowerCase() === 'true' : field.kind === 'int' ? Number(v) : v));
    where[field.column] = typed.length === 1 ? typed[0] : { in: typed };
  }

  let limit: number | undefined;
  if (req.query.limit !== undefined) {
    const v = values(req.query.limit)[0]!;
    if (!/^\d+$/.test(v)) throw new InvalidInput('limit', v, 'Value should be a positive integer');
    limit = Math.min(Number(v), MAX_LIMIT) || undefined;
  }
  const marker = req.query.marker === undefined ? undefined : values(req.query.marker)[0];
  const fields = req.query.fields === undefined ? undefined : values(req.query.fields);
  return { where: matchesNothing ? null : where, limit, marker, fields };
}

function acceptable(kind: FilterKind, v: string): boolean {
  if (kind === 'uuid') return isUuid(v);
  if (kind === 'bool') return /^(true|false)$/i.test(v);
  if (kind === 'int') return /^-?\d{1,9}$/.test(v);
  if (typeof kind === 'object') return v in kind.enum;
  return true;
}

type Row = { id: string; createdAt: Date };

/**
 * One page of a collection: filters (plus `base`, e.g. hiding DELETED rows), the marker, the limit,
 * and the `<plural>_links`. Ordered by creation then id, which the marker continues from.
 */
export async function listPage<T extends Row, V extends Record<string, unknown>>(
  req: Request,
  spec: FilterSpec,
  opts: {
    base?: Record<string, unknown>;
    findMany(args: { where: Record<string, unknown>; orderBy: Record<string, 'asc'>[]; take?: number }): Promise<T[]>;
    findById(id: string): Promise<Row | null>;
    view(row: T): V;
  },
): Promise<{ items: Partial<V>[]; links: { href: string; rel: string }[] }> {
  const q = parseListQuery(req, spec);
  if (!q.where) return { items: [], links: [] };
  let where: Record<string, unknown> = { ...q.where, ...opts.base };
  if (q.marker) {
    const marker = isUuid(q.marker) ? await opts.findById(q.marker) : null;
    if (!marker) throw new InvalidFilter();
    where = { AND: [where, { OR: [{ createdAt: { gt: marker.createdAt } }, { createdAt: marker.createdAt, id: { gt: marker.id } }] }] };
  }
  const rows = await opts.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: q.limit });
  return { items: selectFields(rows.map(opts.view), q.fields), links: pageLinks(req, q, rows.at(-1)?.id, rows.length) };
}

/** Keeps only the requested fields of each item (unknown names are ignored, as in Octavia). */
export function selectFields<T extends Record<string, unknown>>(items: T[], fields: string[] | undefined): Partial<T>[] {
  if (!fields) return items;
  return items.map((item) => Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]])) as Partial<T>);
}

/** `{"href": ..., "rel": "next"}` when a full page was returned, as Octavia links pages. */
export function pageLinks(req: Request, q: ListQuery, lastId: string | undefined, count: number) {
  if (!q.limit || count < q.limit || !lastId) return [];
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) if (k !== 'marker') for (const val of values(v)) params.append(k, val);
  params.set('marker', lastId);
  return [{ href: `${req.protocol}://${req.get('host')}${req.baseUrl}${req.path}?${params.toString()}`, rel: 'next' }];
}
