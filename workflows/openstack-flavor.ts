/**
 * The openstack flavors API's flows (seed 004).
 *
 * registerOpenstackFlavor: create the Nova flavor with the capabilities as extra specs (its id is
 * recorded as it is made) -> confirm Nova knows it -> REGISTERED. If a step after the create fails,
 * the half-made Nova flavor is deleted (saga) and the flavor is ERROR; it can be registered again.
 *
 * deleteOpenstackFlavor: delete the Nova flavor (already gone is fine) -> delete the row. If the Nova
 * flavor cannot be deleted the flavor is ERROR, still recording the Nova flavor's id, and a DELETE
 * tries again.
 *
 * The API has set REGISTERING / DELETING; these flows always leave it.
 */
import type { OpenstackFlavorFlowInput } from '../common/flows';
import { compute, db, undo } from './activities';
import { Saga, whateverHappens } from './saga';

export async function registerOpenstackFlavor({ openstackFlavorId }: OpenstackFlavorFlowInput): Promise<void> {
  const saga = new Saga();
  try {
    await compute.createNovaFlavor(openstackFlavorId);
    saga.add('delete nova flavor', () => undo.deleteNovaFlavor(openstackFlavorId));
    await compute.verifyNovaFlavor(openstackFlavorId);
    await whateverHappens(() => db.markOpenstackFlavorRegistered(openstackFlavorId));
  } catch (err) {
    await whateverHappens(async () => {
      await saga.compensate();
      await undo.markOpenstackFlavorError(openstackFlavorId);
    });
    throw err;
  }
}

export async function deleteOpenstackFlavor({ openstackFlavorId }: OpenstackFlavorFlowInput): Promise<void> {
  try {
    await compute.deleteNovaFlavor(openstackFlavorId);
    await whateverHappens(() => db.deleteOpenstackFlavorRow(openstackFlavorId));
  } catch (err) {
    await whateverHappens(() => undo.markOpenstackFlavorError(openstackFlavorId));
    throw err;
  }
}
