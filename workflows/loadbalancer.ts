/**
 * Load balancer flows (Octavia's create_load_balancer / delete_load_balancer).
 *
 * The API has already written the PENDING_* state; these flows always leave it: ACTIVE (or DELETED)
 * on success, ERROR after compensation on failure.
 */
import { ApplicationFailure, uuid4 } from '@temporalio/workflow';
import { AmphoraRole } from '../common/status';
import { bootWait, compute, db, undo } from './activities';
import { Saga } from './saga';

export interface LoadBalancerFlowInput {
  loadBalancerId: string;
  projectId: string;
  /** Settings fixed at start, so replays do not depend on the worker's configuration. */
  bootTimeoutSeconds: number;
}

export async function createLoadBalancer(input: LoadBalancerFlowInput): Promise<void> {
  const { loadBalancerId } = input;
  const saga = new Saga();
  try {
    const amphoraId = uuid4();
    await db.createAmphoraRecord({ amphoraId, loadBalancerId, role: AmphoraRole.STANDALONE });
    // One undo covers both the row and the instance: deleteAmphora finds an instance by name even
    // when the build's reply was lost.
    saga.add(
      'delete amphora',
      () => undo.deleteAmphora(amphoraId),
      () => undo.markAmphoraError(amphoraId),
    );
    await compute.buildAmphoraCompute(amphoraId);
    await bootWait(input.bootTimeoutSeconds).waitForAmphoraCompute(amphoraId);
    await db.finishLoadBalancerCreate({ loadBalancerId, amphoraIds: [amphoraId] });
  } catch (err) {
    await saga.compensate();
    await undo.markLoadBalancerError(loadBalancerId);
    throw err;
  }
}

export async function deleteLoadBalancer(input: LoadBalancerFlowInput): Promise<void> {
  const { loadBalancerId } = input;
  try {
    const amphoraIds = await db.listLoadBalancerAmphorae(loadBalancerId);
    const results = await Promise.allSettled(amphoraIds.map((id) => compute.deleteAmphora(id)));
    const stuck = amphoraIds.filter((_, i) => results[i]?.status === 'rejected');
    if (stuck.length > 0) {
      // Recorded, not forgotten: housekeeping deletes ERROR amphorae with their instances.
      await Promise.all(stuck.map((id) => undo.markAmphoraError(id)));
      throw ApplicationFailure.nonRetryable(`Could not delete amphorae ${stuck.join(', ')}`, 'DeleteFailed');
    }
    await db.markLoadBalancerDeleted(loadBalancerId);
  } catch (err) {
    await undo.markLoadBalancerError(loadBalancerId);
    throw err;
  }
}
