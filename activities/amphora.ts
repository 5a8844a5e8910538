/**
 * Amphora steps: the compute side of a flow plus the amphora row it keeps. Each is idempotent, since
 * Temporal retries it: the row is upserted, a build is found again by its name, deletes of what is
 * gone succeed.
 */
import { heartbeat, sleep } from '@temporalio/activity';
import { AmphoraRole, AmphoraStatus } from '../common/status';
import { ComputeStatus } from './compute/driver';
import { AmphoraBuildError, InstanceNotFoundError } from './compute/errors';
import type { ActivityDeps } from './deps';

/** The compute instance name of an amphora: what makes a retried build find its first attempt. */
export const computeName = (amphoraId: string) => `amphora-${amphoraId}`;

export function amphoraActivities({ db, compute, config }: ActivityDeps) {
  const amp = config.compute.amphora;

  return {
    /** Inserts the amphora row (PENDING_CREATE) before anything is built, so no instance is ever untracked. */
    async createAmphoraRecord(input: { amphoraId: string; loadBalancerId: string; role: AmphoraRole }): Promise<void> {
      await db.amphora.upsert({
        where: { id: input.amphoraId },
        create: {
          id: input.amphoraId,
          status: AmphoraStatus.PENDING_CREATE,
          loadBalancerId: input.loadBalancerId,
          role: input.role,
          computeFlavor: amp.flavorId,
          imageId: amp.imageId,
        },
        update: {},
      });
    },

    /** Asks the compute service for the instance; returns its compute id (also recorded on the row). */
    async buildAmphoraCompute(amphoraId: string): Promise<string> {
      const row = await db.amphora.findUniqueOrThrow({ where: { id: amphoraId } });
      const computeId = await compute.build({
        name: computeName(amphoraId),
        flavorId: row.computeFlavor ?? amp.flavorId,
        imageId: row.imageId ?? amp.imageId,
        metadata: { amphora_id: amphoraId },
      });
      await db.amphora.update({ where: { id: amphoraId }, data: { computeId, updatedAt: new Date() } });
      return computeId;
    },

    /**
     * Polls the instance until it is ACTIVE, heartbeating so a dead worker is noticed within the
     * heartbeat timeout rather than the boot timeout. ERROR is final: the build failed.
     */
    async waitForAmphoraCompute(amphoraId: string): Promise<void> {
      const row = await db.amphora.findUniqueOrThrow({ where: { id: amphoraId } });
      if (!row.computeId) throw new InstanceNotFoundError(`Amphora ${amphoraId} has no compute instance.`);
      for (;;) {
        const instance = await compute.getAmphora({ id: row.computeId });
        if (instance.status === ComputeStatus.ACTIVE) {
          await db.amphora.update({
            where: { id: amphoraId },
            data: { lbNetworkIp: instance.lbNetworkIp, cachedZone: instance.availabilityZone, updatedAt: new Date() },
          });
          return;
        }
        if (instance.status !== ComputeStatus.BUILD) {
          throw new AmphoraBuildError(
            `Compute instance ${row.computeId} of amphora ${amphoraId} went to ${instance.status}` +
              (instance.fault ? `: ${instance.fault}` : '.'),
            { computeId: row.computeId, retryable: false },
          );
        }
        heartbeat(instance.status);
        await sleep(amp.activeWaitSeconds * 1000);
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

    /** Last resort when an instance cannot be deleted: ERROR rows are what housekeeping cleans up. */
    async markAmphoraError(amphoraId: string): Promise<void> {
      await db.amphora.updateMany({
        where: { id: amphoraId, status: { not: AmphoraStatus.DELETED } },
        data: { status: AmphoraStatus.ERROR, updatedAt: new Date() },
      });
    },
  };
}
