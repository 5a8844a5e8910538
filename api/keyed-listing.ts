/**
 * Listing for collections without timestamps, keyed by an id or a name (flavors, flavor profiles,
 * availability zones and their profiles, quotas): the filters, `fields=`, sorting, `limit` /
 * `marker` / `page_reverse` and `<plural>_links` of api/listing.ts, with the key (instead of the
 * creation time) as the default order and the marker.
 */
import type { Request } from 'express';
import { ApiFault, InvalidFilter } from './errors';
import { parseListQuery, selectFields, type FilterSpec } from './listing';

type Dir = 'asc' | 'desc';
type Sort = { column: string; dir: Dir }[];

const values = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);
const commaValues = (v: unknown) => values(v).flatMap((s) => s.split(',')).filter(Boolean);

/** The requested order over the spec's plain columns, then the key (which makes it total). */
function sortOf(req: Request, spec: FilterSpec, key: string): Sort {
  const pairs: [string, string | undefined][] = [];
  if (req.query.sort !== undefined) {
    for (const item of commaValues(req.query.sort)) {
      const [k, dir] = item.split(':');
      pairs.push([k!, dir]);
    }
  } else if (req.query.sort_key !== undefined) {
    const dirs = req.query.sort_dir === undefined ? [] : values(req.query.sort_dir);
    values(req.query.sort_key).forEach((k, i) => pairs.push([k, dirs[i] ?? dirs[0]]));
  }
  const sort: Sort = pairs.map(([k, dir]) => {
    const field = spec[k];
    if (!field || field.kind === 'tags' || field.match) throw new ApiFault(400, `Supplied sort key '${k}' is not valid.`);
    const d = (dir ?? 'asc').toLowerCase();
    if (d !== 'asc' && d !== 'desc') throw new ApiFault(400, `Supplied sort direction '${dir ?? ''}' is not valid.`);
    return { column: field.column, dir: d };
  });
  if (!sort.some((s) => s.column === key)) sort.push({ column: key, dir: sort.at(-1)?.dir ?? 'asc' });
  return sort;
}

/** Rows strictly after `marker` in the sort order. */
function after(marker: Record<string, unknown>, sort: Sort): Record<string, unknown> {
  return {
    OR: sort.map((s, i) => ({
      AND: [
        ...sort.slice(0, i).map((p) => ({ [p.column]: marker[p.column] ?? null })),
        { [s.column]: { [s.dir === 'asc' ? 'gt' : 'lt']: marker[s.column] } },
      ],
    })),
  };
}

export async function listByKey<T extends Record<string, unknown>, V extends Record<string, unknown>>(
  req: Request,
  spec: FilterSpec,
  opts: {
    /** The column that identifies a row: the order's last word and what a marker names. */
    key: string;
    /** Fixed conditions (e.g. the caller's project). */
    base?: Record<string, unknown>;
    findMany(args: { where: Record<string, unknown>; orderBy: Record<string, Dir>[]; take?: number }): Promise<T[]>;
    /** The row a marker names, or null (a 400, as an unknown marker is). */
    findByKey(key: string): Promise<T | null>;
    view(row: T): V;
  },
): Promise<{ items: Partial<V>[]; links: { href: string; rel: string }[] }> {
  const q = parseListQuery(req, spec);
  if (!q.where) return { items: [], links: [] };
  const sort = sortOf(req, spec, opts.key);
  const order: Sort = q.reverse ? sort.map((s) => ({ ...s, dir: s.dir === 'asc' ? 'desc' : 'asc' })) : sort;
  const conditions: Record<string, unknown>[] = [q.where, opts.base ?? {}];
  if (q.marker) {
    const marker = q.marker.includes('\0') ? null : await opts.findByKey(q.marker);
    if (!marker) throw new InvalidFilter();
    conditions.push(after(marker, order));
  }
  const rows = await opts.findMany({ where: { AND: conditions }, orderBy: order.map((s) => ({ [s.column]: s.dir })), take: q.limit });
  if (q.reverse) rows.reverse();

  const keyOf = (row: T) => String(row[opts.key]);
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
  const first = rows[0];
  const last = rows.at(-1);
  if (q.limit && rows.length >= q.limit && first && last) {
    links.push(q.reverse ? link(keyOf(first), 'previous', true) : link(keyOf(last), 'next', false));
  }
  if (q.marker && first && last) links.push(q.reverse ? link(keyOf(last), 'next', false) : link(keyOf(first), 'previous', true));
  return { items: selectFields(rows.map(opts.view), q.fields), links };
}
