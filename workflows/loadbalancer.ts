/**
 * Load balancer flows (Octavia's create/update/delete_load_balancer, load balancer failover and
 * cascade delete).
 *
 * The API has already written the PENDING_* state; these flows always leave it: ACTIVE (or DELETED)
 * on success, ERROR after compensation on failure, also when an operator cancels them.
 */
import { ApplicationFailure, executeChild, patched, setCurrentDetails } from '@temporalio/workflow';
import { amphoraFailoverFlow, flowStartOptions, type FlowResult, type LoadBalancerFlowInput, type LoadBalancerUpdateInput } from '../common/flows';
import { AmphoraRole, Topology } from '../common/status';
import { agent, compute, db, legacyServerGroup, network, said, undo } from './activities';
import { failoverAmphora, plugAmphoraVip, provisionAmphora, startPairVrrp } from './amphora';
import { createMemberNetworkSteps, dataPlaneSteps, vrrpSteps } from './patches';
import { allOrNothing } from './bounded';
import { Saga, whateverHappens } from './saga';

export async function createLoadBalancer(input: LoadBalancerFlowInput): Promise<FlowResult> {
  const { loadBalancerId } = input;
  const saga = new Saga();
  try {
    const topology = await db.getLoadBalancerTopology(loadBalancerId);
    let roles: AmphoraRole[] = [AmphoraRole.STANDALONE];
    let amphoraIds: string[] | undefined;
    if (topology === Topology.ACTIVE_STANDBY) {
      roles = [AmphoraRole.MASTER, AmphoraRole.BACKUP];
      // Two READY spares on different compute hosts serve the pair as they are; only when the pool has
      // no such pair is it built into its anti-affinity server group. (Patched: flows that started
      // before spare pairs existed replay without the claim.)
      const pair = patched('spare-pairs') ? await db.claimSparePair({ loadBalancerId }) : null;
      if (pair) {
        saga.add('undo: release the spare pair to the pool', async () => {
          await said(`undo: release spare amphora ${pair.masterId} (MASTER) to the pool`, undo.releaseSpareAmphora, pair.masterId);
          await said(`undo: release spare amphora ${pair.backupId} (BACKUP) to the pool`, undo.releaseSpareAmphora, pair.backupId);
        });
        amphoraIds = [pair.masterId, pair.backupId];
      } else if (await ensureServerGroup(loadBalancerId)) {
        const name = `undo: delete the server group of load balancer ${loadBalancerId}`;
        saga.add(name, () => said(name, undo.deleteServerGroup, loadBalancerId));
      }
    }
    // The pair is built in parallel; each amphora's undo is on the saga as soon as it exists.
    const provision = (role: AmphoraRole) => provisionAmphora(saga, { ...input, role, useSpare: topology === Topology.SINGLE });
    // Patched: flows started before it compensated as soon as one amphora failed, while the other's
    // steps could still be running.
    amphoraIds ??= patched('pair-ends-before-compensation')
      ? await allOrNothing(roles.map((role) => () => provision(role)))
      : await Promise.all(roles.map(provision));
    if (dataPlaneSteps()) {
      const plugged = amphoraIds;
      setCurrentDetails(`plugging the VIP into amphora ${plugged.join(', ')}`);
      await allOrNothing(plugged.map((id) => () => plugAmphoraVip(saga, id)));
      await said(`update the VIP's filtering of load balancer ${loadBalancerId}`, network.updateLoadBalancerVip, loadBalancerId);
      // A single-call create's members: the amphorae on their networks before the configuration names
      // them. Their NICs go with the instances if the create is undone (the saga deletes those).
      if (createMemberNetworkSteps()) {
        const plugs = await said(`plug the amphorae of load balancer ${loadBalancerId} into its members' networks`, network.plugMemberNetworks, {
          loadBalancerId,
          amphoraIds: plugged,
        });
        if (plugs.length > 0) await said(`plug the members' networks on the amphorae of load balancer ${loadBalancerId}`, agent.plugMemberNetworksOnAmphorae, plugs);
      }
    }
    setCurrentDetails(`configuring amphora ${amphoraIds.join(', ')}`);
    await said(`push the configuration of load balancer ${loadBalancerId}`, agent.pushLoadBalancerConfig, { loadBalancerId });
    if (topology === Topology.ACTIVE_STANDBY && vrrpSteps()) await startPairVrrp(loadBalancerId, amphoraIds);
    await whateverHappens(() => db.finishLoadBalancerCreate({ loadBalancerId, amphoraIds }));
    setCurrentDetails(`ACTIVE on amphora ${amphoraIds.join(', ')}`);
    return { status: 'ACTIVE', loadBalancerId, amphoraIds };
  } catch (err) {
    setCurrentDetails(`compensating: ${String(err)}`);
    await whateverHappens(async () => {
      await saga.compensate();
      await markError(loadBalancerId);
    });
    throw err;
  }
}

/**
 * The anti-affinity group of a pair is made in the compute service: a compute step (visible, with the
 * compute retry policy). Patched: flows started before it ran it as a local database step.
 */
function ensureServerGroup(loadBalancerId: string): Promise<string | null> {
  return patched('server-group-compute-step')
    ? said(`make the anti-affinity server group of load balancer ${loadBalancerId}`, compute.ensureServerGroup, loadBalancerId)
    : legacyServerGroup.ensureServerGroup(loadBalancerId);
}

/** update_load_balancer: new values, then the configuration (admin_state_up starts/stops the service). */
export async function updateLoadBalancer(input: LoadBalancerUpdateInput): Promise<FlowResult> {
  const { loadBalancerId } = input;
  try {
    await db.applyLoadBalancerUpdate({ loadBalancerId, updates: input.updates });
    await said(`push the configuration of load balancer ${loadBalancerId} (${Object.keys(input.updates).join(', ') || 'no change'})`, agent.pushLoadBalancerConfig, { loadBalancerId });
    await whateverHappens(() => db.markLoadBalancerActive(loadBalancerId));
  } catch (err) {
    await whateverHappens(() => markError(loadBalancerId));
    throw err;
  }
  return { status: 'ACTIVE', loadBalancerId };
}

/** The settle of a failed flow: the load balancer ERROR (deletable, fail-over-able). */
const markError = (loadBalancerId: string) => said(`settle: load balancer ${loadBalancerId} ERROR`, undo.markLoadBalancerError, loadBalancerId);

/** delete_load_balancer (with `?cascade=true` the API lets children through; they go first). */
export async function deleteLoadBalancer(input: LoadBalancerFlowInput): Promise<FlowResult> {
  const { loadBalancerId } = input;
  try {
    await db.deleteLoadBalancerChildren(loadBalancerId);
    const amphoraIds = await db.listLoadBalancerAmphorae(loadBalancerId);
    const withDataPlane = dataPlaneSteps();
    // Each amphora leaves the VIP network (its port deleted), then its instance goes.
    const removeAmphora = async (id: string) => {
      if (withDataPlane) await said(`unplug the VIP port of amphora ${id}`, network.unplugAmphoraVip, id);
      await said(`delete amphora instance amphora-${id}`, compute.deleteAmphora, id);
    };
    const results = await Promise.allSettled(amphoraIds.map(removeAmphora));
    const stuck = amphoraIds.filter((_, i) => results[i]?.status === 'rejected');
    if (stuck.length > 0) {
      // Recorded, not forgotten: housekeeping deletes ERROR amphorae with their instances.
      await whateverHappens(() => Promise.all(stuck.map((id) => said(`record amphora ${id} ERROR (could not be deleted; housekeeping retries)`, undo.markAmphoraError, id))));
      throw ApplicationFailure.nonRetryable(`Could not delete amphorae ${stuck.join(', ')}`, 'DeleteFailed');
    }
    await said(`delete the server group of load balancer ${loadBalancerId} (if any)`, compute.deleteServerGroup, loadBalancerId);
    if (withDataPlane) await said(`deallocate the VIP of load balancer ${loadBalancerId}`, network.deallocateLoadBalancerVip, loadBalancerId);
    await whateverHappens(() => db.markLoadBalancerDeleted(loadBalancerId));
    return { status: 'DELETED', loadBalancerId, amphoraIds };
  } catch (err) {
    await whateverHappens(() => markError(loadBalancerId));
    throw err;
  }
}

/**
 * Load balancer failover: every amphora replaced, one at a time (BACKUP before MASTER, so the pair keeps
 * serving), each as a failoverAmphora child flow under the amphora's own workflow id. A cancelled
 * load balancer failover cancels the running child, which compensates its own replacement.
 */
export async function failoverLoadBalancer(input: LoadBalancerFlowInput): Promise<FlowResult> {
  const { loadBalancerId } = input;
  const replacements: string[] = [];
  try {
    const amphorae = await db.listLoadBalancerAmphoraeWithRoles(loadBalancerId);
    const order = [AmphoraRole.BACKUP, AmphoraRole.STANDALONE, AmphoraRole.MASTER, null];
    amphorae.sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role));
    for (const [i, amphora] of amphorae.entries()) {
      setCurrentDetails(`failing over amphora ${i + 1}/${amphorae.length}: ${amphora.id} (${amphora.role ?? 'no role'}) in amphora-${amphora.id}-failover`);
      // Labelled as every start is (flowStartOptions): `LoadBalancerId="<id>"` finds the children too.
      const flow = amphoraFailoverFlow({ ...amphora, loadBalancerId }, input.projectId, input, {
        settleLoadBalancer: false,
        why: `load balancer failover`,
      });
      const result = await executeChild(failoverAmphora, { ...flowStartOptions(flow), args: flow.args });
      replacements.push(...(result?.amphoraIds ?? []));
    }
    await whateverHappens(() => db.markLoadBalancerActive(loadBalancerId));
  } catch (err) {
    // A failed child has compensated its own replacement; the load balancer is settled here.
    await whateverHappens(() => markError(loadBalancerId));
    throw err;
  }
  return { status: 'ACTIVE', loadBalancerId, amphoraIds: replacements };
}
