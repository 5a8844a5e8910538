/**
 * Operating status from an amphora's heartbeat, by Octavia's rules (its health manager's update_db):
 *
 *   member    UP -> ONLINE, DOWN -> ERROR, DRAIN -> DRAINING, MAINT -> OFFLINE, "no check" -> NO_MONITOR;
 *             not reported -> OFFLINE (unless it is NO_MONITOR)
 *   pool      reported UP -> ONLINE, DOWN (haproxy: no member serving) -> ERROR; ONLINE with a member
 *             ERROR -> DEGRADED; not reported by any listener -> OFFLINE. (A report without a pool
 *             status: DOWN when every member it lists is DOWN.)
 *   listener  OPEN -> ONLINE, FULL (connection limit reached) -> DEGRADED; not reported -> OFFLINE
 *   load      OFFLINE when disabled, else ONLINE; DEGRADED when a listener is FULL or a member ERROR;
 *   balancer  ERROR when a pool is ERROR
 *
 * So: any member ERROR -> its pool DEGRADED and the load balancer DEGRADED; all members ERROR -> the
 * pool ERROR and the load balancer ERROR. Only what changed is written.
 */
import { OperatingStatus } from '../common/status';

export type Status = OperatingStatus;

/** A heartbeat, normalised: pools by pool id (Octavia's v3 key is `<pool id>:<listener id>`). */
export interface HealthReport {
  listeners: Record<string, { status?: string }>;
  pools: Record<string, { status?: string; members: Record<string, string> }>;
}

export interface LoadBalancerSnapshot {
  enabled: boolean;
  operatingStatus: Status;
  listeners: { id: string; operatingStatus: Status }[];
  pools: { id: string; operatingStatus: Status; members: { id: string; operatingStatus: Status }[] }[];
}

export interface StatusChanges {
  loadBalancer?: Status;
  listeners: Map<string, Status>;
  pools: Map<string, Status>;
  members: Map<string, Status>;
}

/** Accepts Octavia's heartbeat shapes: v3 (pools at the top, keyed `<pool>:<listener>`) and v1/v2 (nested in listeners). */
export function normaliseReport(message: {
  listeners?: Record<string, { status?: string; pools?: Record<string, { status?: string; members?: Record<string, string> }> }>;
  pools?: Record<string, { status?: string; members?: Record<string, string> }>;
}): HealthReport {
  const report: HealthReport = { listeners: {}, pools: {} };
  const addPool = (key: string, pool: { status?: string; members?: Record<string, string> }) => {
    const id = key.split(':')[0] ?? key;
    report.pools[id] ??= { status: pool.status, members: { ...(pool.members ?? {}) } };
  };
  for (const [id, listener] of Object.entries(message.listeners ?? {})) {
    report.listeners[id] = { status: listener.status };
    for (const [key, pool] of Object.entries(listener.pools ?? {})) addPool(key, pool);
  }
  for (const [key, pool] of Object.entries(message.pools ?? {})) addPool(key, pool);
  return report;
}

export function rollUp(lb: LoadBalancerSnapshot, report: HealthReport): StatusChanges {
  const changes: StatusChanges = { listeners: new Map(), pools: new Map(), members: new Map() };
  let lbStatus: Status = lb.enabled ? OperatingStatus.ONLINE : OperatingStatus.OFFLINE;
  const degrade = () => {
    if (lbStatus === OperatingStatus.ONLINE) lbStatus = OperatingStatus.DEGRADED;
  };

  for (const listener of lb.listeners) {
    const reported = report.listeners[listener.id];
    let status: Status | undefined;
    if (!reported) status = OperatingStatus.OFFLINE;
    else if (reported.status === 'OPEN') status = OperatingStatus.ONLINE;
    else if (reported.status === 'FULL') {
      status = OperatingStatus.DEGRADED;
      degrade();
    }
    if (status && status !== listener.operatingStatus) changes.listeners.set(listener.id, status);
  }

  for (const pool of lb.pools) {
    const reported = report.pools[pool.id];
    if (!reported) {
      if (pool.operatingStatus !== OperatingStatus.OFFLINE) changes.pools.set(pool.id, OperatingStatus.OFFLINE);
      continue;
    }
    let rawStatus = reported.status;
    if (rawStatus === undefined) {
      const listed = Object.values(reported.members);
      rawStatus = listed.length > 0 && listed.every((s) => s.startsWith('DOWN')) ? 'DOWN' : 'UP';
    }
    let poolStatus: Status | undefined;
    if (rawStatus === 'UP') poolStatus = OperatingStatus.ONLINE;
    else if (rawStatus === 'DOWN') {
      poolStatus = OperatingStatus.ERROR;
      lbStatus = OperatingStatus.ERROR;
    }
    for (const member of pool.members) {
      const s = reported.members[member.id];
      let status: Status | undefined;
      if (s === undefined) status = member.operatingStatus === OperatingStatus.NO_MONITOR ? undefined : OperatingStatus.OFFLINE;
      else if (s.startsWith('UP')) status = OperatingStatus.ONLINE;
      else if (s.startsWith('DOWN')) {
        status = OperatingStatus.ERROR;
        if (poolStatus === OperatingStatus.ONLINE) {
          poolStatus = OperatingStatus.DEGRADED;
          degrade();
        }
      } else if (s === 'DRAIN') status = OperatingStatus.DRAINING;
      else if (s === 'MAINT') status = OperatingStatus.OFFLINE;
      else if (s === 'no check' || s === 'NO_CHECK') status = OperatingStatus.NO_MONITOR;
      if (status && status !== member.operatingStatus) changes.members.set(member.id, status);
    }
    if (poolStatus && poolStatus !== pool.operatingStatus) changes.pools.set(pool.id, poolStatus);
  }

  if (lbStatus !== lb.operatingStatus) changes.loadBalancer = lbStatus;
  return changes;
}
