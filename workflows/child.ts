/**
 * changeChildren: the one flow of every child operation (listener, pool, member, health monitor, L7
 * policy, L7 rule; create, update or delete; one change or a batch of members):
 *   apply updates -> (members) plug / unplug member networks -> push the load balancer's configuration
 *   to its amphorae -> (listeners) update the
 *   VIP's filtering -> finish
 * with the load balancer already PENDING_UPDATE (set by the API). On failure the children go to ERROR
 * and the load balancer back to ACTIVE: it still serves its previous configuration.
 * What it changes is in its input and in its workflow id and search attributes (`listener-<id>-create`,
 * ResourceType, Operation), not in its type name.
 */
import type { ChildFlowInput, FlowResult } from '../common/flows';
import { agent, db, network, said, undo } from './activities';
import { dataPlaneSteps, memberNetworkSteps } from './patches';
import { whateverHappens } from './saga';

export async function changeChildren({ loadBalancerId, changes }: ChildFlowInput): Promise<FlowResult> {
  const what = changes.map((c) => `${c.operation} ${c.resource} ${c.id}`).join(', ');
  try {
    if (changes.some((c) => c.operation === 'update')) await db.applyChildUpdates(changes);
    const exclude = changes.filter((c) => c.operation === 'delete').map((c) => c.id);
    // The amphorae on their members' networks before the configuration names those members; a
    // network no member needs any more is unplugged (a pool's delete takes its members with it).
    if (changes.some((c) => c.resource === 'member' || (c.resource === 'pool' && c.operation === 'delete')) && memberNetworkSteps()) {
      const plugs = await said(`plug amphorae of load balancer ${loadBalancerId} into their members' networks (ports)`, network.plugMemberNetworks, { loadBalancerId, exclude });
      if (plugs.length > 0) await said(`plug amphorae into their members' networks`, agent.plugMemberNetworksOnAmphorae, plugs);
    }
    await said(`push the configuration of load balancer ${loadBalancerId} (${what})`, agent.pushLoadBalancerConfig, { loadBalancerId, exclude });
    // update_vip: the VIP's filtering follows the listeners (a port opened or closed).
    if (changes.some((c) => c.resource === 'listener') && dataPlaneSteps()) {
      await said(`update the VIP's filtering of load balancer ${loadBalancerId}`, network.updateLoadBalancerVip, loadBalancerId);
    }
    await whateverHappens(() => db.finishChildChanges({ loadBalancerId, changes }));
  } catch (err) {
    await whateverHappens(() => said(`settle: ${what} ERROR, load balancer ${loadBalancerId} back to ACTIVE`, undo.failChildChanges, { loadBalancerId, changes }));
    throw err;
  }
  return { status: 'ACTIVE', loadBalancerId, changed: changes.map((c) => `${c.operation} ${c.resource} ${c.id}`) };
}

/*
 * The type names child flows were started under before changeChildren: registered as aliases of it
 * (the same code, so their histories replay unchanged) until no flow started under them runs; then
 * they go. The API starts only changeChildren.
 */
export const createListener = changeChildren;
export const updateListener = changeChildren;
export const deleteListener = changeChildren;
export const createPool = changeChildren;
export const updatePool = changeChildren;
export const deletePool = changeChildren;
export const createMember = changeChildren;
export const updateMember = changeChildren;
export const deleteMember = changeChildren;
export const batchUpdateMembers = changeChildren;
export const createHealthMonitor = changeChildren;
export const updateHealthMonitor = changeChildren;
export const deleteHealthMonitor = changeChildren;
export const createL7Policy = changeChildren;
export const updateL7Policy = changeChildren;
export const deleteL7Policy = changeChildren;
export const createL7Rule = changeChildren;
export const updateL7Rule = changeChildren;
export const deleteL7Rule = changeChildren;
