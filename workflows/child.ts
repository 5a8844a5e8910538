/**
 * The one shape of every child operation (listener, pool, member, health monitor; single or batch):
 *   apply updates -> push the load balancer's configuration to its amphorae -> finish
 * with the load balancer already PENDING_UPDATE (set by the API). On failure the children go to ERROR
 * and the load balancer back to ACTIVE: it still serves its previous configuration.
 */
import type { ChildChange } from '../common/resources';
import { agent, db, undo } from './activities';

export interface ChildFlowInput {
  loadBalancerId: string;
  projectId: string;
  changes: ChildChange[];
}

export async function runChildChanges({ loadBalancerId, changes }: ChildFlowInput): Promise<void> {
  try {
    if (changes.some((c) => c.operation === 'update')) await db.applyChildUpdates(changes);
    const exclude = changes.filter((c) => c.operation === 'delete').map((c) => c.id);
    await agent.pushLoadBalancerConfig({ loadBalancerId, exclude });
    await db.finishChildChanges({ loadBalancerId, changes });
  } catch (err) {
    await undo.failChildChanges({ loadBalancerId, changes });
    throw err;
  }
}
