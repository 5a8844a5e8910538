/**
 * Wire field names (Octavia's snake_case) to database columns (camelCase), one map per resource, used
 * for filters and for writes. `null` for a list means empty, as Octavia stores it.
 */
export type ColumnMap = Record<string, string>;

const listColumns = new Set(['tags', 'allowedCidrs', 'sniContainerRefs']);

export function toColumns(body: Record<string, unknown>, map: ColumnMap): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [wire, value] of Object.entries(body)) {
    const column = map[wire];
    if (!column || value === undefined) continue;
    data[column] = value === null && listColumns.has(column) ? [] : value;
  }
  return data;
}

/** Applies the same changes to a wire view, for responses that show an update before its flow ran. */
export function mergeView<V extends Record<string, unknown>>(view: V, body: Record<string, unknown>): V {
  const merged: Record<string, unknown> = { ...view };
  for (const [k, v] of Object.entries(body)) if (v !== undefined && k in view) merged[k] = v;
  return merged as V;
}
