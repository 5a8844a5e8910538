/**
 * Amphora flows (Octavia's create_amphora, delete_amphora, failover_amphora) and the provisioning step
 * the load balancer flows share with them.
 */
import { log, setCurrentDetails, uuid4 } from '@temporalio/workflow';
import type { AmphoraFlowInput, BootSettings, FailoverInput, FlowResult } from '../common/flows';
import { AmphoraRole, type AmphoraRole as Role } from '../common/status';
import { agent, agentConnect, bootWait, compute, db, network, peerAgent, said, undo } from './activities';
import { allOrNothing } from './bounded';
import { dataPlaneSteps, memberNetworkSteps, vrrpSteps } from './patches';
import { Saga, whateverHappens } from './saga';
import { serializeError } from '../common/error-chain';

/**
 * Gives a load balancer an amphora in `role`: a READY spare when one can serve it (SINGLE load balancers
 * only: a spare cannot join a Nova server group after the fact), otherwise a new one built into the
 * pair's server group. Pushes the undo onto the caller's saga as soon as something exists.
 */
export async function provisionAmphora(
  saga: Saga,
  opts: BootSettings & { loadBalancerId: string; role: Role; useSpare: boolean; replacing?: string },
): Promise<string> {
  if (opts.useSpare) {
    const spare = await db.claimSpareAmphora({ loadBalancerId: opts.loadBalancerId, role: opts.role, replacing: opts.replacing });
    if (spare) {
      saga.add(`undo: release spare amphora ${spare} to the pool`, () => said(`undo: release spare amphora ${spare} to the pool`, undo.releaseSpareAmphora, spare));
      return spare;
    }
  }
  const amphoraId = uuid4();
  await db.createAmphoraRecord({ amphoraId, loadBalancerId: opts.loadBalancerId, role: opts.role });
  // One undo covers both the row and the instance: deleteAmphora finds an instance by name even
  // when the build's reply was lost.
  addDeleteAmphoraUndo(saga, amphoraId);
  await bootAmphora(amphoraId, opts, opts.role);
  return amphoraId;
}

/** The undo of a new amphora: its instance deleted (found by name if need be), else the row left ERROR for housekeeping. */
function addDeleteAmphoraUndo(saga: Saga, amphoraId: string): void {
  const name = `undo: delete amphora instance amphora-${amphoraId}`;
  saga.add(
    name,
    () => said(name, undo.deleteAmphora, amphoraId),
    () => said(`undo: record amphora ${amphoraId} ERROR (its instance could not be deleted; housekeeping retries)`, undo.markAmphoraError, amphoraId),
  );
}

/** Build, boot wait, agent wait: the long part of a new amphora, as the flow's current details say. */
async function bootAmphora(amphoraId: string, boot: BootSettings, role: string): Promise<void> {
  await said(`build instance amphora-${amphoraId} (${role})`, compute.buildAmphoraCompute, amphoraId);
  setCurrentDetails(`waiting for amphora ${amphoraId} (${role}) to boot: up to ${boot.bootTimeoutSeconds} s (the step's heartbeat shows its status)`);
  await said(`wait for amphora-${amphoraId} to be ACTIVE (up to ${boot.bootTimeoutSeconds} s)`, bootWait(boot).waitForAmphoraCompute, amphoraId);
  if (dataPlaneSteps()) {
    setCurrentDetails(`waiting for the agent of amphora ${amphoraId} (${role})`);
    await said(`wait for the agent of amphora ${amphoraId} to answer`, agentConnect.waitForAmphoraAgent, amphoraId);
  }
  setCurrentDetails(`amphora ${amphoraId} (${role}) booted`);
}

/**
 * plug_vip for one amphora, as Octavia's create and failover flows do: its port on the VIP network
 * (network driver), then the VIP brought up by its agent. The unplug is on the saga as soon as the
 * port exists; it runs before the amphora's own undo (the saga is unwound in reverse).
 */
export async function plugAmphoraVip(saga: Saga, amphoraId: string): Promise<void> {
  const net = await said(`plug a VIP port into amphora ${amphoraId}`, network.plugAmphoraVip, amphoraId);
  const name = `undo: unplug the VIP port of amphora ${amphoraId}`;
  saga.add(name, () => said(name, undo.unplugAmphoraVip, amphoraId));
  await said(`bring the VIP up on amphora ${amphoraId}`, agent.plugVipOnAmphora, { amphoraId, network: net });
}

/**
 * keepalived in the amphorae of an ACTIVE_STANDBY pair (Octavia's vrrp subflow), once their VIPs are
 * plugged and their service configured: the load balancer's VRRP group (made once), then each amphora
 * configured with the other as its peer and started; the VIP comes up on the MASTER. Nothing to undo:
 * keepalived goes with its amphora, or is reconfigured by the next load balancer a spare serves.
 */
export async function startPairVrrp(loadBalancerId: string, amphoraIds: string[]): Promise<void> {
  await db.ensureVrrpGroup(loadBalancerId);
  await allOrNothing(
    amphoraIds.map((amphoraId) => () => said(`configure and start keepalived on amphora ${amphoraId}`, agent.configureAmphoraVrrp, { loadBalancerId, amphoraId })),
  );
}

/**
 * After a failover switch, every amphora of the pair is told about the replacement, each on its own:
 * the configuration pushed again (HAProxy's peers are the ALLOCATED amphorae, which the replacement was
 * not when its first push was rendered) and, on the survivor, keepalived's unicast peer. An amphora
 * that fails this is logged and left to the health manager, as Octavia does: it is most likely dead too.
 */
async function tellPairAboutReplacement(loadBalancerId: string, replacementId: string): Promise<void> {
  const pair = await db.listLoadBalancerAmphoraeWithRoles(loadBalancerId);
  const results = await Promise.allSettled(
    pair.map(async ({ id }) => {
      await said(`tell amphora ${id} about its new peer ${replacementId}: configuration`, peerAgent.pushLoadBalancerConfig, { loadBalancerId, amphoraIds: [id] });
      if (id !== replacementId) await said(`tell amphora ${id} about its new peer ${replacementId}: keepalived`, peerAgent.configureAmphoraVrrp, { loadBalancerId, amphoraId: id });
    }),
  );
  results.forEach((r, i) => {
    if (r.status === 'rejected') log.warn('An amphora of the pair did not learn its new peer', { amphoraId: pair[i]?.id, loadBalancerId, error: serializeError(r.reason, { stack: false }) });
  });
}

export type { AmphoraFlowInput } from '../common/flows';

/** create_amphora: a spare for the pool (BOOTING, then READY). */
export async function createAmphora(input: AmphoraFlowInput): Promise<FlowResult> {
  const { amphoraId } = input;
  const saga = new Saga();
  try {
    await db.createAmphoraRecord({ amphoraId });
    addDeleteAmphoraUndo(saga, amphoraId);
    // A spare is READY only once its agent answers: a claim then only plugs and configures it.
    await bootAmphora(amphoraId, input, 'spare');
    await whateverHappens(() => db.markAmphoraReady(amphoraId));
  } catch (err) {
    setCurrentDetails(`compensating: ${String(err)}`);
    await saga.compensate();
    throw err;
  }
  return { status: 'READY', amphoraIds: [amphoraId] };
}

/** delete_amphora: the instance and the row (DELETED). */
export async function deleteAmphora({ amphoraId }: AmphoraFlowInput): Promise<FlowResult> {
  try {
    await said(`delete amphora instance amphora-${amphoraId}`, compute.deleteAmphora, amphoraId);
  } catch (err) {
    await whateverHappens(() => said(`record amphora ${amphoraId} ERROR (could not be deleted; housekeeping retries)`, undo.markAmphoraError, amphoraId));
    throw err;
  }
  return { status: 'DELETED', amphoraIds: [amphoraId] };
}

/**
 * failover_amphora: build the replacement, give it the old one's role and configuration, then delete
 * the old one — which works when its instance is already gone. The workflow id is per amphora, so two
 * failovers of one amphora never run at once. The load balancer is PENDING_UPDATE meanwhile (set by
 * whoever started the failover); it ends ACTIVE, or ERROR if no replacement could be made.
 */
export async function failoverAmphora(input: FailoverInput): Promise<FlowResult> {
  const saga = new Saga();
  let loadBalancerId = input.loadBalancerId;
  /** A pair member's replacement: its peer is told about it once it serves. */
  let replacedInPair: { loadBalancerId: string; replacementId: string } | undefined;
  let newId: string;
  try {
    const old = await db.getAmphoraForFailover(input.amphoraId);
    loadBalancerId = old.loadBalancerId ?? undefined;
    if (!loadBalancerId) {
      // A spare has nothing to move: replacing it is the pool's job.
      await said(`delete spare amphora instance amphora-${input.amphoraId} (the pool replaces it)`, compute.deleteAmphora, input.amphoraId);
      return { status: 'DELETED', amphoraIds: [] };
    }
    const role = old.role ?? AmphoraRole.STANDALONE;
    setCurrentDetails(`replacing amphora ${input.amphoraId} (${role}) of load balancer ${loadBalancerId}`);
    newId = await provisionAmphora(saga, {
      ...input,
      loadBalancerId,
      role,
      useSpare: role === AmphoraRole.STANDALONE,
      replacing: input.amphoraId,
    });
    if (dataPlaneSteps()) {
      // The old amphora leaves the VIP network first: a dead one may still answer for the VIP.
      await said(`unplug the VIP port of the replaced amphora ${input.amphoraId}`, network.unplugAmphoraVip, input.amphoraId);
      await plugAmphoraVip(saga, newId);
    }
    if (memberNetworkSteps()) {
      // The replacement on its members' networks (their NICs go with its instance if it is undone).
      const plugs = await said(`plug amphora ${newId} into its members' networks (ports)`, network.plugMemberNetworks, { loadBalancerId, amphoraIds: [newId] });
      if (plugs.length > 0) await said(`plug amphora ${newId} into its members' networks`, agent.plugMemberNetworksOnAmphorae, plugs);
    }
    await said(`push the configuration of load balancer ${loadBalancerId} to amphora ${newId}`, agent.pushLoadBalancerConfig, { loadBalancerId, amphoraIds: [newId] });
    if ((role === AmphoraRole.MASTER || role === AmphoraRole.BACKUP) && vrrpSteps()) {
      // The replacement's keepalived, peered with the survivor (the amphora it replaces is no peer). A
      // pair made before VRRP steps existed gets its group now, as Octavia's failover makes it.
      await db.ensureVrrpGroup(loadBalancerId);
      await said(`configure and start keepalived on amphora ${newId}`, agent.configureAmphoraVrrp, { loadBalancerId, amphoraId: newId, replacing: input.amphoraId });
      replacedInPair = { loadBalancerId, replacementId: newId };
    }
    await db.switchAmphora({ oldAmphoraId: input.amphoraId, newAmphoraId: newId });
  } catch (err) {
    setCurrentDetails(`compensating: ${String(err)}`);
    await whateverHappens(async () => {
      await saga.compensate();
      // Settled exactly once, by whoever owns the load balancer's PENDING state: a second settle could
      // overwrite the PENDING state of the next request.
      if (loadBalancerId && input.settleLoadBalancer) await said(`settle: load balancer ${loadBalancerId} ERROR`, undo.markLoadBalancerError, loadBalancerId);
    });
    throw err;
  }
  // The replacement serves: what is left is cleanup and the settle, done even if the flow is cancelled
  // now. The old amphora is deleted; if it cannot be, it is left ERROR for housekeeping.
  await whateverHappens(async () => {
    if (replacedInPair) await tellPairAboutReplacement(replacedInPair.loadBalancerId, replacedInPair.replacementId);
    await said(`delete the replaced amphora instance amphora-${input.amphoraId}`, compute.deleteAmphora, input.amphoraId).catch(() =>
      said(`record the replaced amphora ${input.amphoraId} ERROR (its instance could not be deleted; housekeeping retries)`, undo.markAmphoraError, input.amphoraId),
    );
    if (input.settleLoadBalancer) await db.markLoadBalancerActive(loadBalancerId);
  });
  return { status: 'ACTIVE', loadBalancerId, amphoraIds: [newId], replacedBy: newId };
}
