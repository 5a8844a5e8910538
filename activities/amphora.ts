/**
 * Amphora steps: the compute side of a flow plus the amphora row it keeps. Each is idempotent, since
 * Temporal retries it: the row is upserted, a build is found again by its name, deletes of what is
 * gone succeed.
 */
import { Context, heartbeat, sleep } from '@temporalio/activity';
import { AmphoraRole, AmphoraStatus } from '../common/status';
import { ComputeStatus } from '../drivers/compute/port';
import { NotFoundError } from '../common/errors';
import { AmphoraBootTimeout, AmphoraBuildError, InstanceNotFoundError } from '../drivers/compute/errors';
import type { ActivityDeps } from './deps';
import { computeFlavorOf, computeZoneOf } from '../domain/amphora-placement';

/** The compute instance name of an amphora: what makes a retried build find its first attempt. */
export const computeName = (amphoraId: string) => `amphora-${amphoraId}`;

export function amphoraActivities({ db, compute, amphoraDriver, config }: ActivityDeps) {
  const amp = config.compute.amphora;

  return {
    /**
     * Inserts the amphora row before anything is built, so no instance is ever untracked: PENDING_CREATE
     * for a load balancer's amphora, BOOTING for a spare (no load balancer, no role).
     */
    async createAmphoraRecord(input: { amphoraId: string; loadBalancerId?: string; role?: AmphoraRole }): Promise<void> {
      await db.amphora.upsert({
        where: { id: input.amphoraId },
        create: {
          id: input.amphoraId,
          status: input.loadBalancerId ? AmphoraStatus.PENDING_CREATE : AmphoraStatus.BOOTING,
          loadBalancerId: input.loadBalancerId,
          role: input.role,
          computeFlavor: (await computeFlavorOf(db, input.loadBalancerId)) ?? amp.flavorId,
          imageId: amp.imageId,
        },
        update: {},
      });
    },

    /**
     * Asks the compute service for the instance; returns its compute id (also recorded on the row). The
     * amphora driver says what the instance boots with (the rest driver: a fresh agent certificate and
     * the agent's configuration, as config-drive files); the files never leave this step.
     */
    async buildAmphoraCompute(amphoraId: string): Promise<string> {
      const row = await db.amphora.findUniqueOrThrow({ where: { id: amphoraId }, include: { loadBalancer: true } });
      // A spare has no load balancer yet: it boots for the deployment's topology, as Octavia's do.
      const boot = await amphoraDriver.bootFiles(amphoraId, row.loadBalancer?.topology ?? config.compute.topology);
      const computeId = await compute.build({
        name: computeName(amphoraId),
        // No files (a no-op amphora): no config drive at all.
        configDriveFiles: boot && Object.keys(boot.configDriveFiles).length > 0 ? boot.configDriveFiles : undefined,
        flavorId: row.computeFlavor ?? amp.flavorId,
        imageId: row.imageId ?? amp.imageId,
        serverGroupId: row.loadBalancer?.serverGroupId ?? undefined,
        availabilityZone: await computeZoneOf(db, row.loadBalancer?.availabilityZone),
        metadata: { amphora_id: amphoraId, ...(row.loadBalancerId ? { load_balancer_id: row.loadBalancerId } : {}) },
      });
      await db.amphora.update({ where: { id: amphoraId }, data: { computeId, certExpiration: boot?.certExpiration, updatedAt: new Date() } });
      return computeId;
    },

    /**
     * Polls the instance until it is ACTIVE, heartbeating so a dead worker is noticed within the
     * heartbeat timeout rather than the boot timeout. ERROR is final: the build failed.
     *
     * The wait ends itself shortly before its schedule-to-close timeout (the boot timeout, retries
     * included), with AmphoraBootTimeout ("amphora <id> not ACTIVE within its boot timeout of 300 s
     * (status BUILD after 295 s)"): had
     * the server timed it out instead, the attempt would keep polling until its next heartbeat was
     * refused, meanwhile the flow's compensation deletes the instance, and the log would blame an
     * InstanceNotFoundError. An attempt that is cancelled or timed out (its heartbeat refused) stops
     * polling at once.
     */
    async waitForAmphoraCompute(amphoraId: string): Promise<void> {
      const ctx = Context.current();
      const { scheduledTimestampMs, scheduleToCloseTimeoutMs } = ctx.info;
      const timeoutMs = scheduleToCloseTimeoutMs > 0 ? scheduleToCloseTimeoutMs : amp.bootTimeoutSeconds * 1000;
      // Before the server's deadline, by a margin a poll fits in.
      const giveUpAt = scheduledTimestampMs + timeoutMs - Math.min(5000, Math.max(250, timeoutMs / 10));
      const elapsedSeconds = () => Math.round((Date.now() - scheduledTimestampMs) / 1000);
      const timeoutSeconds = Math.round(timeoutMs / 1000);
      const row = await db.amphora.findUniqueOrThrow({ where: { id: amphoraId } });
      if (!row.computeId) throw new InstanceNotFoundError(`Amphora ${amphoraId} has no compute instance.`);
      for (;;) {
        // Cancelled (by the flow, or by the server's refusal of a heartbeat): no poll after that.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason ?? new Error('cancelled');
        const instance = await compute.getAmphora({ id: row.computeId });
        if (instance.status === ComputeStatus.ACTIVE) {
          await db.amphora.update({
            where: { id: amphoraId },
            data: { lbNetworkIp: instance.lbNetworkIp, cachedZone: instance.availabilityZone, hostId: instance.hostId, updatedAt: new Date() },
          });
          return;
        }
        // UNKNOWN: Nova cannot reach the instance's cell right now (microversion 2.69+); keep waiting.
        if (instance.status !== ComputeStatus.BUILD && instance.status !== ComputeStatus.UNKNOWN) {
          throw new AmphoraBuildError(
            `Compute instance ${row.computeId} of amphora ${amphoraId} went to ${instance.status}` +
              (instance.fault ? `: ${instance.fault}` : '.'),
            { computeId: row.computeId, retryable: false },
          );
        }
        const left = giveUpAt - Date.now();
        if (left <= 0) throw new AmphoraBootTimeout(amphoraId, timeoutSeconds, elapsedSeconds(), instance.status, { computeId: row.computeId });
        // What the Web UI shows of the pending step.
        heartbeat(`waiting for amphora ${amphoraId}: ${instance.status}, ${elapsedSeconds()}/${timeoutSeconds} s`);
        await sleep(Math.min(amp.activeWaitSeconds * 1000, left));
      }
    },

    /**
     * Deletes the amphora's instance and marks the row DELETED. Finds the instance by name when the
     * build's response was lost before its id was recorded; an instance already gone is fine.
     */
    async deleteAmphora(amphoraId: string): Promise<void> {
      const row = await db.amphora.findUnique({ where: { id: amphoraId } });
      if (!row || row.status === AmphoraStatus.DELETED) return;
      let computeId = row.computeId;
      if (!computeId) {
        computeId = await compute
          .getAmphora({ name: computeName(amphoraId) })
          .then((i) => i.id)
          .catch((err) => {
            if (err instanceof InstanceNotFoundError) return null;
            throw err;
          });
      }
      if (computeId) await compute.delete(computeId);
      await db.amphora.update({
        where: { id: amphoraId },
        data: { status: AmphoraStatus.DELETED, updatedAt: new Date() },
      });
    },

    /**
     * Claims a READY spare for a load balancer in one statement (FOR UPDATE SKIP LOCKED: two flows never
     * get the same spare). Idempotent: a retry finds the amphora this load balancer already holds in
     * that role (other than the one a failover is replacing). Returns null when the pool is empty.
     */
    async claimSpareAmphora(input: { loadBalancerId: string; role: AmphoraRole; replacing?: string }): Promise<string | null> {
      const replacing = input.replacing ?? null;
      const rows = await db.$queryRaw<{ id: string }[]>`
        WITH held AS (
          SELECT id FROM amphora
          WHERE load_balancer_id = ${input.loadBalancerId}::uuid AND role = ${input.role}::"AmphoraRole"
            AND status <> 'DELETED' AND id IS DISTINCT FROM ${replacing}::uuid
          LIMIT 1
        ), claimed AS (
          UPDATE amphora
          SET load_balancer_id = ${input.loadBalancerId}::uuid, role = ${input.role}::"AmphoraRole",
              status = 'ALLOCATED', updated_at = now()
          WHERE id = (
            SELECT id FROM amphora
            WHERE status = 'READY' AND load_balancer_id IS NULL AND NOT EXISTS (SELECT 1 FROM held)
            ORDER BY created_at, id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
          )
          RETURNING id
        )
        SELECT id FROM held UNION ALL SELECT id FROM claimed`;
      return rows[0]?.id ?? null;
    },

    /** Compensation of a claim: the spare goes back to the pool, untouched. */
    async releaseSpareAmphora(amphoraId: string): Promise<void> {
      await db.amphora.updateMany({
        where: { id: amphoraId, status: AmphoraStatus.ALLOCATED },
        data: { loadBalancerId: null, role: null, status: AmphoraStatus.READY, updatedAt: new Date() },
      });
    },

    /** A spare that booted joins the pool. */
    async markAmphoraReady(amphoraId: string): Promise<void> {
      await db.amphora.updateMany({
        where: { id: amphoraId, status: AmphoraStatus.BOOTING },
        data: { status: AmphoraStatus.READY, updatedAt: new Date() },
      });
    },

    /** What failover needs to know of the amphora it replaces; AmphoraNotFound when there is none. */
    async getAmphoraForFailover(amphoraId: string): Promise<{ loadBalancerId: string | null; role: AmphoraRole | null }> {
      const row = await db.amphora.findFirst({ where: { id: amphoraId, status: { not: AmphoraStatus.DELETED } } });
      if (!row) throw new NotFoundError('Amphora', amphoraId);
      return { loadBalancerId: row.loadBalancerId, role: row.role };
    },

    /**
     * The failover switch, in one transaction: the replacement takes the role (ALLOCATED), the old
     * amphora leaves service (PENDING_DELETE) to be deleted next.
     */
    async switchAmphora(input: { oldAmphoraId: string; newAmphoraId: string }): Promise<void> {
      const now = new Date();
      await db.$transaction([
        db.amphora.updateMany({
          where: { id: input.newAmphoraId, status: { not: AmphoraStatus.DELETED } },
          data: { status: AmphoraStatus.ALLOCATED, updatedAt: now },
        }),
        db.amphora.updateMany({
          where: { id: input.oldAmphoraId, status: { not: AmphoraStatus.DELETED } },
          data: { status: AmphoraStatus.PENDING_DELETE, updatedAt: now },
        }),
      ]);
    },

    /** Last resort when an instance cannot be deleted: ERROR rows are what housekeeping cleans up. */
    async markAmphoraError(amphoraId: string): Promise<void> {
      await db.amphora.updateMany({
        where: { id: amphoraId, status: { not: AmphoraStatus.DELETED } },
        data: { status: AmphoraStatus.ERROR, updatedAt: new Date() },
      });
    },
  };
}
