/**
 * Steps of the openstack flavors API's flows (seed 004): registering a flavor in the compute service
 * (Nova) with its composed-node capabilities as extra specs, and deleting it again. Each step is
 * idempotent, as Temporal may retry it:
 *   - the Nova flavor's id is recorded on the row in the same step that creates it, and a retried
 *     create finds it there instead of making a second flavor; if the recording itself fails, the
 *     flavor just made is deleted before the error is raised, so no Nova flavor is made and forgotten;
 *   - deleting a Nova flavor that is already gone succeeds (the compute driver's contract).
 */
import type { FlavorSpec } from '../drivers/compute/port';
import { DomainError, NotFoundError } from '../common/errors';
import { OpenstackFlavorStatus } from '../generated/prisma/enums';
import { novaExtraSpecs } from '../domain/flavor-capabilities';
import type { ActivityDeps } from './deps';


export function openstackFlavorActivities({ db, compute }: ActivityDeps) {
  const find = async (id: string) => {
    const row = await db.openstackFlavor.findUnique({ where: { id } });
    if (!row) throw new NotFoundError('Openstack flavor', id);
    return row;
  };

  return {
    /** Creates the Nova flavor and records its id on the row (still REGISTERING); returns the id. */
    async createNovaFlavor(openstackFlavorId: string): Promise<string> {
      const row = await find(openstackFlavorId);
      // Only a registration in progress may make a Nova flavor (a flow started twice finds it done).
      if (row.status !== OpenstackFlavorStatus.REGISTERING) {
        throw new DomainError(`Openstack flavor ${row.id} is ${row.status}, not being registered.`);
      }
      if (row.novaFlavorId) return row.novaFlavorId;
      const spec: FlavorSpec = { name: row.name, ram: row.ram, vcpus: row.vcpus, disk: row.disk, isPublic: true, extraSpecs: novaExtraSpecs(row) };
      const novaFlavorId = await compute.createFlavor(spec);
      try {
        await db.openstackFlavor.update({ where: { id: row.id }, data: { novaFlavorId, updatedAt: new Date() } });
      } catch (err) {
        await compute.deleteFlavor(novaFlavorId).catch(() => undefined);
        throw err;
      }
      return novaFlavorId;
    },

    /** Confirms the compute service knows the flavor it was given (ComputeValidationError if not). */
    async verifyNovaFlavor(openstackFlavorId: string): Promise<void> {
      const row = await find(openstackFlavorId);
      if (!row.novaFlavorId) throw new NotFoundError('Nova flavor of openstack flavor', openstackFlavorId);
      await compute.validateFlavor(row.novaFlavorId);
    },

    /** The end of a registration. */
    async markOpenstackFlavorRegistered(openstackFlavorId: string): Promise<void> {
      await db.openstackFlavor.updateMany({
        where: { id: openstackFlavorId, status: OpenstackFlavorStatus.REGISTERING, novaFlavorId: { not: null } },
        data: { status: OpenstackFlavorStatus.REGISTERED, updatedAt: new Date() },
      });
    },

    /**
     * Deletes the row's Nova flavor, if it has one, and forgets its id: the compensation of a
     * registration and the first step of a delete. A flavor already gone from Nova is fine.
     */
    async deleteNovaFlavor(openstackFlavorId: string): Promise<void> {
      const row = await db.openstackFlavor.findUnique({ where: { id: openstackFlavorId } });
      if (!row?.novaFlavorId) return;
      await compute.deleteFlavor(row.novaFlavorId);
      await db.openstackFlavor.update({ where: { id: row.id }, data: { novaFlavorId: null, updatedAt: new Date() } });
    },

    /** The last step of a delete. */
    async deleteOpenstackFlavorRow(openstackFlavorId: string): Promise<void> {
      await db.openstackFlavor.deleteMany({ where: { id: openstackFlavorId, status: OpenstackFlavorStatus.DELETING } });
    },

    /**
     * Where a failed flow leaves the flavor: ERROR, never REGISTERING or DELETING. A Nova flavor that
     * could not be deleted stays recorded (nova_flavor_id), so a later DELETE removes it.
     */
    async markOpenstackFlavorError(openstackFlavorId: string): Promise<void> {
      await db.openstackFlavor.updateMany({
        where: { id: openstackFlavorId, status: { in: [OpenstackFlavorStatus.REGISTERING, OpenstackFlavorStatus.DELETING] } },
        data: { status: OpenstackFlavorStatus.ERROR, updatedAt: new Date() },
      });
    },
  };
}
