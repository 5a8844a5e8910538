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
import type { FlowResult, OpenstackFlavorFlowInput } from '../common/flows';
import { compute, db, said, undo } from './activities';
import { Saga, whateverHappens } from './saga';

export async function registerOpenstackFlavor({ openstackFlavorId }: OpenstackFlavorFlowInput): Promise<FlowResult> {
  const saga = new Saga();
  try {
    await said(`create the Nova flavor of openstack flavor ${openstackFlavorId}`, compute.createNovaFlavor, openstackFlavorId);
    const name = `undo: delete the Nova flavor of openstack flavor ${openstackFlavorId}`;
    saga.add(name, () => said(name, undo.deleteNovaFlavor, openstackFlavorId));
    await said(`confirm Nova has the flavor of openstack flavor ${openstackFlavorId}`, compute.verifyNovaFlavor, openstackFlavorId);
    await whateverHappens(() => db.markOpenstackFlavorRegistered(openstackFlavorId));
  } catch (err) {
    await whateverHappens(async () => {
      await saga.compensate();
      await said(`settle: openstack flavor ${openstackFlavorId} ERROR`, undo.markOpenstackFlavorError, openstackFlavorId);
    });
    throw err;
  }
  return { status: 'REGISTERED' };
}

export async function deleteOpenstackFlavor({ openstackFlavorId }: OpenstackFlavorFlowInput): Promise<FlowResult> {
  try {
    await said(`delete the Nova flavor of openstack flavor ${openstackFlavorId}`, compute.deleteNovaFlavor, openstackFlavorId);
    await whateverHappens(() => db.deleteOpenstackFlavorRow(openstackFlavorId));
  } catch (err) {
    await whateverHappens(() => said(`settle: openstack flavor ${openstackFlavorId} ERROR`, undo.markOpenstackFlavorError, openstackFlavorId));
    throw err;
  }
  return { status: 'DELETED' };
}
