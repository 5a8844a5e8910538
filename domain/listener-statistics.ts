/**
 * Listener statistics by Octavia's rules (its health manager's update_stats, the update_db statistics
 * driver, ListenerStatisticsRepository and the API's StatsMixin):
 *
 *   - one row per (listener, amphora); a heartbeat of version 3 or later carries deltas since the
 *     amphora's previous heartbeat: bytes in/out, total connections and request errors are added to
 *     the row, active connections replace it (haproxy's current count). Older versions carry absolute
 *     values, which replace the row.
 *   - a listener's statistics are the sums of its rows, active connections only from amphorae that are
 *     ALLOCATED (a spare or an amphora that was failed over reports stale counts) or from rows a
 *     provider without amphorae wrote (amphora id = listener id).
 *   - a load balancer's statistics are the sums over its listeners.
 */

export interface ListenerStats {
  bytesIn: number;
  bytesOut: number;
  activeConnections: number;
  totalConnections: number;
  requestErrors: number;
}

/** What one amphora reported for one listener; `deltas` since its previous heartbeat, else absolute. */
export interface ReportedListenerStats extends ListenerStats {
  deltas: boolean;
}

/** By listener id. */
export type ReportedStats = Map<string, ReportedListenerStats>;

export const zeroStats = (): ListenerStats => ({ bytesIn: 0, bytesOut: 0, activeConnections: 0, totalConnections: 0, requestErrors: 0 });

/** The statistics in a heartbeat (haproxy's names: tx = bytes out, rx = bytes in, ...). */
export function statsFromHeartbeat(message: {
  ver?: number;
  listeners: Record<string, { stats?: { tx: number; rx: number; conns: number; totconns: number; ereq: number } }>;
}): ReportedStats {
  // Octavia: a message without a version is version 2.
  const deltas = (message.ver ?? 2) >= 3;
  const stats: ReportedStats = new Map();
  for (const [listenerId, { stats: s }] of Object.entries(message.listeners)) {
    if (!s) continue;
    stats.set(listenerId, { bytesIn: s.rx, bytesOut: s.tx, activeConnections: s.conns, totalConnections: s.totconns, requestErrors: s.ereq, deltas });
  }
  return stats;
}

/** Adds the counters of `b` to `a`; active connections are `b`'s (the later count). */
export function accumulate<T extends ListenerStats>(a: T, b: ListenerStats): T {
  return {
    ...a,
    bytesIn: a.bytesIn + b.bytesIn,
    bytesOut: a.bytesOut + b.bytesOut,
    totalConnections: a.totalConnections + b.totalConnections,
    requestErrors: a.requestErrors + b.requestErrors,
    activeConnections: b.activeConnections,
  };
}

/**
 * Two successive reports of one amphora as one, as if both had been stored in turn: deltas add up,
 * absolute values replace. (The health manager folds heartbeats that arrive while the previous one is
 * still being written.)
 */
export function combineReports(older: ReportedStats, newer: ReportedStats): ReportedStats {
  const combined: ReportedStats = new Map(older);
  for (const [listenerId, next] of newer) {
    const previous = combined.get(listenerId);
    combined.set(listenerId, previous && next.deltas ? accumulate(previous, next) : next);
  }
  return combined;
}

/** A listener's statistics from its rows (`serving`: the row's amphora counts for active connections). */
export function sumListenerRows(rows: { stats: ListenerStats; serving: boolean }[]): ListenerStats {
  const total = zeroStats();
  for (const { stats, serving } of rows) {
    total.bytesIn += stats.bytesIn;
    total.bytesOut += stats.bytesOut;
    total.totalConnections += stats.totalConnections;
    total.requestErrors += stats.requestErrors;
    if (serving) total.activeConnections += stats.activeConnections;
  }
  return total;
}
