/**
 * Listing as Octavia does it, for every collection:
 *   - filters on any listed field (any other parameter is a 400), several values = any of them;
 *   - tags: `tags` (all of), `tags-any`, `not-tags`, `not-tags-any` (comma-separated or repeated);
 *   - sorting: `sort=key:dir,key2` or `sort_key=key&sort_dir=dir` (repeatable), default creation order;
 *   - keyset pagination: `limit`, `marker` (the last id seen), `page_reverse`, with `<plural>_links`
 *     (`next` after a full page, `previous` when a marker was given);
 *   - `fields=` selection.
 */
import type { Request } from 'express';
import { InvalidFilter, InvalidInput, InvalidSort } from '../common/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string) => UUID.test(v);

/** How a field filters; `time` fields (created_at, ...) sort but do not filter. */
export type FilterKind = 'string' | 'uuid' | 'bool' | 'int' | 'tags' | 'time' | { enum: Record<string, string> };
export interface FilterField {
  column: string;
  kind: FilterKind;
  /**
   * For filters that are not a plain match on the column (a relation, a value spelled differently on
   * the wire): builds the condition for one value. Such fields filter but do not sort.
   */
  match?: (value: string | number | boolean) => Record<string, unknown>;
}
export type FilterSpec = Record<string, FilterField>;

const CONTROL = new Set(['limit', 'marker', 'page_reverse', 'fields', 'sort', 'sort_key', 'sort_dir']);
const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;
const MAX_LIMIT = 1000;

type Dir = 'asc' | 'desc';
export interface ListQuery {
  /** A Prisma `where`; `null` when a filter value can match nothing (a malformed id, an unknown status). */
  where: Record<string, unknown> | null;
  sort: { column: string; dir: Dir }[];
  limit: number | undefined;
  marker: string | undefined;
  reverse: boolean;
  fields: string[] | undefined;
}

const values = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);
const commaValues = (v: unknown) => values(v).flatMap((s) => s.split(',')).filter(Boolean);

/** How a collection is ordered by default and what a marker names. */
export interface Keying {
  /** The column that identifies a row (default `id`, a UUID): the order's tiebreaker and the marker. */
  key?: string;
  /** Rows have created_at (default): the default order is by creation. */
  timestamps?: boolean;
}

export function parseListQuery(req: Request, spec: FilterSpec, keying: Keying = {}): ListQuery {
  const conditions: Record<string, unknown>[] = [];
  let matchesNothing = false;
  for (const [key, raw] of Object.entries(req.query)) {
    if (CONTROL.has(key)) continue;
    if ((TAG_FILTERS as readonly string[]).includes(key)) {
      const tags = spec.tags;
      if (!tags) throw new InvalidFilter();
      const every = key === 'tags' || key === 'not-tags';
      const negated = key.startsWith('not-');
      const list = commaValues(raw);
      // PostgreSQL text holds no NUL, so no row carries such a tag: decided here, not in the database.
      const storable = list.filter((tag) => !tag.includes('\0'));
      if (every ? storable.length < list.length : list.length > 0 && storable.length === 0) {
        // No row has them all (tags, not-tags) or any of them (tags-any, not-tags-any).
        if (!negated) matchesNothing = true;
        continue;
      }
      const clause = { [tags.column]: every ? { hasEvery: storable } : { hasSome: storable } };
      conditions.push(negated ? { NOT: clause } : clause);
      continue;
    }
    const field = spec[key];
    if (!field || field.kind === 'tags' || field.kind === 'time') throw new InvalidFilter();
    const accepted = values(raw).filter((v) => acceptable(field.kind, v));
    if (accepted.length === 0) {
      matchesNothing = true;
      continue;
    }
    const typed = accepted.map((v) => (field.kind === 'bool' ? v.toLowerCase() === 'true' : field.kind === 'int' ? Number(v) : v));
    const match = field.match;
    if (match) conditions.push({ OR: typed.map((v) => match(v)) });
    else conditions.push({ [field.column]: typed.length === 1 ? typed[0] : { in: typed } });
  }

  let limit: number | undefined;
  if (req.query.limit !== undefined) {
    const v = values(req.query.limit)[0]!;
    if (!/^\d+$/.test(v)) throw new InvalidInput('limit', v, 'Value should be a positive integer');
    limit = Math.min(Number(v), MAX_LIMIT) || undefined;
  }
  return {
    where: matchesNothing ? null : conditions.length ? { AND: conditions } : {},
    sort: parseSort(req, spec, keying),
    limit,
    marker: req.query.marker === undefined ? undefined : values(req.query.marker)[0],
    reverse: req.query.page_reverse !== undefined && values(req.query.page_reverse)[0]!.toLowerCase() === 'true',
    fields: req.query.fields === undefined ? undefined : commaValues(req.query.fields),
  };
}

function parseSort(req: Request, spec: FilterSpec, { key = 'id', timestamps = true }: Keying): ListQuery['sort'] {
  const pairs: [string, string | undefined][] = [];
  if (req.query.sort !== undefined) {
    for (const item of commaValues(req.query.sort)) {
      const [key, dir] = item.split(':');
      pairs.push([key!, dir]);
    }
  } else if (req.query.sort_key !== undefined) {
    const dirs = req.query.sort_dir === undefined ? [] : values(req.query.sort_dir);
    values(req.query.sort_key).forEach((key, i) => pairs.push([key, dirs[i] ?? dirs[0]]));
  }
  const sort = pairs.map(([name, dir]) => {
    const field = spec[name];
    if (!field || field.kind === 'tags' || field.match) throw new InvalidSort('key', name);
    const d = (dir ?? 'asc').toLowerCase();
    if (d !== 'asc' && d !== 'desc') throw new InvalidSort('direction', dir ?? '');
    return { column: field.column, dir: d as Dir };
  });
  if (sort.length === 0 && timestamps) sort.push({ column: 'createdAt', dir: 'asc' });
  // The key makes the order total, so a marker always continues exactly where the page ended.
  if (!sort.some((s) => s.column === key)) sort.push({ column: key, dir: sort.at(-1)?.dir ?? 'asc' });
  return sort;
}

function acceptable(kind: FilterKind, v: string): boolean {
  if (v.includes('\0')) return false; // PostgreSQL text holds no NUL: such a value matches nothing
  if (kind === 'uuid') return isUuid(v);
  if (kind === 'bool') return /^(true|false)$/i.test(v);
  if (kind === 'int') return /^-?\d{1,9}$/.test(v);
  if (typeof kind === 'object') return v in kind.enum;
  return true;
}

/** Rows strictly after `marker` in the sort order: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... */
function after(marker: Record<string, unknown>, sort: ListQuery['sort']): Record<string, unknown> {
  return {
    OR: sort.map((s, i) => ({
      AND: [
        ...sort.slice(0, i).map((p) => ({ [p.column]: marker[p.column] ?? null })),
        { [s.column]: { [s.dir === 'asc' ? 'gt' : 'lt']: marker[s.column] } },
      ],
    })),
  };
}

type Row = Record<string, unknown>;

/** One page of a collection, with its links; `base` adds fixed conditions (e.g. hiding DELETED rows). */
export async function listPage<T extends Row, V extends Record<string, unknown>>(
  req: Request,
  spec: FilterSpec,
  opts: Keying & {
    base?: Record<string, unknown>;
    findMany(args: { where: Record<string, unknown>; orderBy: Record<string, Dir>[]; take?: number }): Promise<T[]>;
    /** The row a marker names (by the key), or null: an unknown marker is a 400. */
    findById(key: string): Promise<Record<string, unknown> | null>;
    view(row: T): V;
  },
): Promise<{ items: Partial<V>[]; links: { href: string; rel: string }[] }> {
  const key = opts.key ?? 'id';
  const q = parseListQuery(req, spec, opts);
  if (!q.where) return { items: [], links: [] };
  const conditions: Record<string, unknown>[] = [q.where, opts.base ?? {}];
  // page_reverse walks backwards from the marker: the order flips, and the page is flipped back.
  const order = q.reverse ? q.sort.map((s) => ({ ...s, dir: (s.dir === 'asc' ? 'desc' : 'asc') as Dir })) : q.sort;
  if (q.marker) {
    const valid = key === 'id' ? isUuid(q.marker) : !q.marker.includes('\0');
    const marker = valid ? await opts.findById(q.marker) : null;
    if (!marker) throw new InvalidFilter();
    conditions.push(after(marker, order));
  }
  const rows = await opts.findMany({
    where: { AND: conditions },
    orderBy: order.map((s) => ({ [s.column]: s.dir })),
    take: q.limit,
  });
  if (q.reverse) rows.reverse();
  return { items: selectFields(rows.map(opts.view), q.fields), links: pageLinks(req, q, rows.map((r) => String(r[key]))) };
}

/** `?fields=` on a GET of one object, as Octavia allows it (repeated or comma-separated, as lists take them). */
export function selectOne<V extends Record<string, unknown>>(req: Request, view: V): Partial<V> {
  if (req.query.fields === undefined) return view;
  return selectFields([view], commaValues(req.query.fields))[0]!;
}

/** Keeps only the requested fields of each item (unknown names are ignored, as in Octavia). */
export function selectFields<T extends Record<string, unknown>>(items: T[], fields: string[] | undefined): Partial<T>[] {
  if (!fields) return items;
  return items.map((item) => Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]])) as Partial<T>);
}

/** `next` after a full page (continuing from its last row), `previous` when the page had a marker. */
function pageLinks(req: Request, q: ListQuery, keys: string[]) {
  const link = (marker: string, rel: string, reverse: boolean) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query)) {
      if (k !== 'marker' && k !== 'page_reverse') for (const val of values(v)) params.append(k, val);
    }
    params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return { href: `${req.protocol}://${req.get('host')}${req.baseUrl}${req.path === '/' ? '' : req.path}?${params.toString()}`, rel };
  };
  const links: { href: string; rel: string }[] = [];
  const first = keys[0];
  const last = keys.at(-1);
  if (q.limit && keys.length >= q.limit && last && first) {
    links.push(q.reverse ? link(first, 'previous', true) : link(last, 'next', false));
  }
  if (q.marker && first && last) links.push(q.reverse ? link(last, 'next', false) : link(first, 'previous', true));
  return links;
}
