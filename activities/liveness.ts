/**
 * Health manager steps: the periodic check of the amphorae's heartbeats (stale amphorae, failover
 * storms, zombies), locking a load balancer for an automatic failover (and undoing the lock), and
 * deleting a zombie's instance.
 * Heartbeats themselves are recorded into amphora_health by each worker's UDP receiver (platform/heartbeat-receiver.ts, db/heartbeats.ts).
 */
import { log } from '@temporalio/activity';
import { amphoraFailoverFlow, bootSettings, type FlowRequest } from '../common/flows';
import { failoversStarted, failoverStorms, staleAmphorae, zombiesDeleted } from '../common/liveness-metrics';
import { AmphoraStatus, ProvisioningStatus } from '../common/status';
import { computeName } from './amphora';
import { InstanceNotFoundError } from '../drivers/compute/errors';
import type { ActivityDeps } from './deps';
import { lockLoadBalancer, releaseLoadBalancer } from '../db/loadbalancers';

/** pg_advisory_xact_lock key of the health check ('health' in ASCII): one check at a time. */
const HEALTH_CHECK_LOCK = 0x6865616c7468;

export interface HealthCheckInput {
  heartbeatTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  /** null: no storm protection (Octavia's default). */
  failoverThreshold: number | null;
  /** At most this many automatic failovers in flight (Octavia's failover_threads). */
  failoverThreads: number;
}

export interface HealthCheckResult {
  /** Amphorae claimed (amphora_health.busy) for failover: the monitor starts their flows. */
  failover: string[];
  /** DELETED amphorae that still heartbeat: their instances are deleted. */
  zombies: string[];
  /** Marked FAILOVER_STOPPED by this check (a storm). */
  stopped: string[];
  /** FAILOVER_STOPPED amphorae that heartbeat again, back in service. */
  restored: string[];
  /** Stale spares taken out of the pool (ERROR: housekeeping deletes them). */
  retiredSpares: string[];
  stale: number;
  storm: boolean;
}

/** What an automatic failover's lock returns: the flow to start, and how to undo the lock if it cannot start. */
export interface FailoverLock {
  flow: FlowRequest<'failoverAmphora'>;
  revert: { amphoraId: string; loadBalancerId: string; previous: ProvisioningStatus };
}

export function livenessActivities({ db, compute, config }: ActivityDeps) {
  const releaseClaim = (amphoraId: string) => db.amphoraHealth.updateMany({ where: { amphoraId }, data: { busy: false } });

  return {
    /**
     * One health check, in one transaction under an advisory lock (so two monitors never claim the same
     * amphora). Only amphorae that have sent a heartbeat are watched (as in Octavia: the first one
     * creates their amphora_health row).
     *
     *   1. FAILOVER_STOPPED amphorae whose heartbeat is fresh again go back to ALLOCATED (READY for a spare).
     *   2. Silent amphorae: no heartbeat for 2 heartbeat intervals (or the timeout, if shorter), not busy,
     *      ALLOCATED / READY / FAILOVER_STOPPED. Stale ones are silent past HEARTBEAT_TIMEOUT.
     *   3. Storm: more silent amphorae than FAILOVER_THRESHOLD -> the stale ones become FAILOVER_STOPPED,
     *      none is failed over. Counting the silent (not only the stale) ones makes amphorae that went
     *      quiet together count together although their last heartbeats were a few seconds apart, and
     *      the ones already stopped keep the storm going while they stay silent.
     *   4. Otherwise stale spares leave the pool (ERROR) and stale allocated amphorae are claimed
     *      (busy) for failover, oldest heartbeat first, up to FAILOVER_THREADS in flight.
     *   5. Zombies: DELETED amphorae whose heartbeat arrived after they were deleted.
     */
    async checkAmphoraHealth(input: HealthCheckInput): Promise<HealthCheckResult> {
      const now = Date.now();
      const staleBefore = new Date(now - input.heartbeatTimeoutSeconds * 1000);
      const silentBefore = new Date(now - Math.min(input.heartbeatTimeoutSeconds, 2 * input.heartbeatIntervalSeconds) * 1000);
      const result = await db.$transaction(async (tx): Promise<HealthCheckResult> => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${HEALTH_CHECK_LOCK}::bigint)`;
        const out: HealthCheckResult = { failover: [], zombies: [], stopped: [], restored: [], retiredSpares: [], stale: 0, storm: false };
        const at = new Date();

        const healed = await tx.amphoraHealth.findMany({
          where: { lastUpdate: { gte: staleBefore }, amphora: { status: AmphoraStatus.FAILOVER_STOPPED } },
          select: { amphoraId: true, amphora: { select: { loadBalancerId: true } } },
        });
        for (const [status, rows] of [
          [AmphoraStatus.ALLOCATED, healed.filter((h) => h.amphora.loadBalancerId)],
          [AmphoraStatus.READY, healed.filter((h) => !h.amphora.loadBalancerId)],
        ] as const) {
          if (rows.length === 0) continue;
          await tx.amphora.updateMany({
            where: { id: { in: rows.map((h) => h.amphoraId) }, status: AmphoraStatus.FAILOVER_STOPPED },
            data: { status, updatedAt: at },
          });
        }
        out.restored = healed.map((h) => h.amphoraId);

        const silent = await tx.amphoraHealth.findMany({
          where: {
            busy: false,
            lastUpdate: { lt: silentBefore },
            amphora: { status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.READY, AmphoraStatus.FAILOVER_STOPPED] } },
          },
          orderBy: [{ lastUpdate: 'asc' }, { amphoraId: 'asc' }],
          select: { amphoraId: true, lastUpdate: true, amphora: { select: { status: true, loadBalancerId: true } } },
        });
        const stale = silent.filter((h) => h.lastUpdate < staleBefore && h.amphora.status !== AmphoraStatus.FAILOVER_STOPPED);
        out.stale = stale.length;

        if (stale.length > 0 && input.failoverThreshold !== null && silent.length > input.failoverThreshold) {
          out.storm = true;
          out.stopped = stale.map((h) => h.amphoraId);
          await tx.amphora.updateMany({
            where: { id: { in: out.stopped }, status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.READY] } },
            data: { status: AmphoraStatus.FAILOVER_STOPPED, updatedAt: at },
          });
        } else if (stale.length > 0) {
          out.retiredSpares = stale.filter((h) => !h.amphora.loadBalancerId).map((h) => h.amphoraId);
          if (out.retiredSpares.length > 0) {
            await tx.amphora.updateMany({
              where: { id: { in: out.retiredSpares }, status: AmphoraStatus.READY, loadBalancerId: null },
              data: { status: AmphoraStatus.ERROR, updatedAt: at },
            });
          }
          const inFlight = await tx.amphoraHealth.count({
            where: {
              busy: true,
              amphora: { status: AmphoraStatus.ALLOCATED, loadBalancer: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE } },
            },
          });
          out.failover = stale
            .filter((h) => h.amphora.loadBalancerId && h.amphora.status === AmphoraStatus.ALLOCATED)
            .slice(0, Math.max(0, input.failoverThreads - inFlight))
            .map((h) => h.amphoraId);
          if (out.failover.length > 0) {
            await tx.amphoraHealth.updateMany({ where: { amphoraId: { in: out.failover } }, data: { busy: true } });
          }
        }

        const recent = await tx.amphoraHealth.findMany({
          where: { lastUpdate: { gte: silentBefore }, amphora: { status: AmphoraStatus.DELETED } },
          select: { amphoraId: true, lastUpdate: true, amphora: { select: { updatedAt: true } } },
        });
        out.zombies = recent.filter((h) => !h.amphora.updatedAt || h.lastUpdate > h.amphora.updatedAt).map((h) => h.amphoraId);
        return out;
      });

      staleAmphorae.set(result.stale);
      if (result.storm) {
        failoverStorms.inc();
        log.error('Failover storm: more amphorae are silent than FAILOVER_THRESHOLD; none is failed over', {
          threshold: input.failoverThreshold,
          failoverStopped: result.stopped,
        });
      }
      if (result.restored.length > 0) log.warn('Amphorae heartbeat again: back in service', { amphoraIds: result.restored });
      if (result.retiredSpares.length > 0) log.warn('Stale spare amphorae left the pool (ERROR)', { amphoraIds: result.retiredSpares });
      return result;
    },

    /**
     * The first step of an automatic failover (the monitor then starts the flow, workflows/liveness.ts):
     * locks the claimed amphora's load balancer as the API does for any change (ACTIVE or ERROR ->
     * PENDING_UPDATE, one conditional UPDATE) and returns the failover flow to start. Returns null, and
     * releases the claim, when there is nothing to fail over any more or another flow owns the load
     * balancer right now (a later check tries again).
     */
    async lockForAutomaticFailover(amphoraId: string): Promise<FailoverLock | null> {
      const amphora = await db.amphora.findUnique({ where: { id: amphoraId } });
      const lb = amphora?.loadBalancerId ? await db.loadBalancer.findUnique({ where: { id: amphora.loadBalancerId } }) : null;
      const locked =
        amphora?.status === AmphoraStatus.ALLOCATED && lb
          ? await lockLoadBalancer(db, lb.id, [ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR], ProvisioningStatus.PENDING_UPDATE)
          : false;
      if (!amphora || !lb || !locked) {
        await releaseClaim(amphoraId);
        return null;
      }
      // Counted here, where the worker's metrics are: a start then refused (the same failover already
      // running, a race of moments with an operator's) counts too.
      failoversStarted.inc();
      return {
        flow: amphoraFailoverFlow(amphora, lb.projectId, bootSettings(config), { why: 'health monitor: no heartbeat' }),
        revert: { amphoraId, loadBalancerId: lb.id, previous: lb.provisioningStatus },
      };
    },

    /**
     * The failover flow could not be started: the load balancer goes back to what it was. The claim is
     * kept when the failover is already running (it settles the amphora), released otherwise.
     */
    async revertFailoverLock(input: FailoverLock['revert'] & { releaseClaim: boolean }): Promise<void> {
      await releaseLoadBalancer(db, input.loadBalancerId, ProvisioningStatus.PENDING_UPDATE, input.previous);
      if (input.releaseClaim) await releaseClaim(input.amphoraId);
    },

    /**
     * A zombie: DELETED in the database, still heartbeating. Its instance is deleted (by the recorded
     * compute id and by name, in case the row lost track of it); its health row goes, so the next
     * heartbeat, if any, makes it a zombie again. Idempotent.
     */
    async deleteZombieAmphora(amphoraId: string): Promise<void> {
      const row = await db.amphora.findUnique({ where: { id: amphoraId } });
      if (!row || row.status !== AmphoraStatus.DELETED) return;
      if (row.computeId) await compute.delete(row.computeId);
      const byName = await compute.getAmphora({ name: computeName(amphoraId) }).catch((err) => {
        if (err instanceof InstanceNotFoundError) return null;
        throw err;
      });
      if (byName) await compute.delete(byName.id);
      await db.amphoraHealth.deleteMany({ where: { amphoraId } });
      zombiesDeleted.inc();
      log.warn('Deleted the compute instance of a zombie amphora (DELETED, still heartbeating)', { amphoraId, computeId: row.computeId });
    },
  };
}
