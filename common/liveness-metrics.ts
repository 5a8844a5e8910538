/**
 * Health manager metrics, in the process registry of common/metrics.ts (served at GET /metrics).
 *
 *   octavia_amphorae_failover_stopped        amphorae held in FAILOVER_STOPPED by the storm guard, read
 *                                            from the database at scrape time (alert: > 0)
 *   octavia_amphorae_stale                   amphorae whose heartbeat was older than HEARTBEAT_TIMEOUT at
 *                                            the last health check
 *   octavia_failover_storms_total            health checks that found more stale amphorae than
 *                                            FAILOVER_THRESHOLD and failed none over
 *   octavia_amphora_failovers_started_total  failovers the health monitor started
 *   octavia_zombie_amphorae_deleted_total    compute instances of DELETED amphorae that still heartbeated
 */
import { counter, gauge } from './metrics';

let failoverStoppedSource: (() => Promise<number>) | undefined;

/** Where the gauge reads its value at scrape time (the API process sets its database). */
export function setFailoverStoppedSource(source: () => Promise<number>): void {
  failoverStoppedSource = source;
}

export const failoverStoppedAmphorae = gauge({
  name: 'octavia_amphorae_failover_stopped',
  help: 'Amphorae in FAILOVER_STOPPED: stale at a failover storm and not failed over (alert when > 0).',
  async collect() {
    if (failoverStoppedSource) this.set(await failoverStoppedSource().catch(() => Number.NaN));
  },
});

export const staleAmphorae = gauge({ name: 'octavia_amphorae_stale', help: 'Amphorae whose heartbeat was older than HEARTBEAT_TIMEOUT at the last check.' });

export const failoverStorms = counter({ name: 'octavia_failover_storms_total', help: 'Health checks that found more stale amphorae than FAILOVER_THRESHOLD.' });

export const failoversStarted = counter({ name: 'octavia_amphora_failovers_started_total', help: 'Amphora failovers started by the health monitor.' });

export const zombiesDeleted = counter({
  name: 'octavia_zombie_amphorae_deleted_total',
  help: 'Compute instances deleted because their DELETED amphora still heartbeated.',
});
