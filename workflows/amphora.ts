/**
 * Amphora flows (Octavia's create_amphora, delete_amphora, failover_amphora) and the provisioning step
 * the load balancer flows share with them.
 */
import { log, uuid4 } from '@temporalio/workflow';
import type { AmphoraFlowInput, BootSettings, FailoverInput } from '../common/flows';
import { AmphoraRole, type AmphoraRole as Role } from '../common/status';
import { agent, agentConnect, bootWait, compute, db, network, peerAgent, undo } from './activities';
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
      saga.add('release spare amphora', () => undo.releaseSpareAmphora(spare));
      return spare;
    }
  }
  const amphoraId = uuid4();
  await db.createAmphoraRecord({ amphoraId, loadBalancerId: opts.loadBalancerId, role: opts.role });
  // One undo covers both the row and the instance: deleteAmphora finds an instance by name even
  // when the build's reply was lost.
  saga.add('delete amphora', () => undo.deleteAmphora(amphoraId), () => undo.markAmphoraError(amphoraId));
  await compute.buildAmphoraCompute(amphoraId);
  await bootWait(opts).waitForAmphoraCompute(amphoraId);
  if (dataPlaneSteps()) await agentConnect.waitForAmphoraAgent(amphoraId);
  return amphoraId;
}

/**
 * plug_vip for one amphora, as Octavia's create and failover flows do: its port on the VIP network
 * (network driver), then the VIP brought up by its agent. The unplug is on the saga as soon as the
 * port exists; it runs before the amphora's own undo (the saga is unwound in reverse).
 */
export async function plugAmphoraVip(saga: Saga, amphoraId: string): Promise<void> {
  const net = await network.plugAmphoraVip(amphoraId);
  saga.add('undo: unplug the VIP port of amphora ' + amphoraId, () => undo.unplugAmphoraVip(amphoraId));
  await agent.plugVipOnAmphora({ amphoraId, network: net });
}

/**
 * keepalived in the amphorae of an ACTIVE_STANDBY pair (Octavia's vrrp subflow), once their VIPs are
 * plugged and their service configured: the load balancer's VRRP group (made once), then each amphora
 * configured with the other as its peer and started; the VIP comes up on the MASTER. Nothing to undo:
 * keepalived goes with its amphora, or is reconfigured by the next load balancer a spare serves.
 */
export async function startPairVrrp(loadBalancerId: string, amphoraIds: string[]): Promise<void> {
  await db.ensureVrrpGroup(loadBalancerId);
  await allOrNothing(amphoraIds.map((amphoraId) => () => agent.configureAmphoraVrrp({ loadBalancerId, amphoraId })));
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
      await peerAgent.pushLoadBalancerConfig({ loadBalancerId, amphoraIds: [id] });
      if (id !== replacementId) await peerAgent.configureAmphoraVrrp({ loadBalancerId, amphoraId: id });
    }),
  );
  results.forEach((r, i) => {
    if (r.status === 'rejected') log.warn('An amphora of the pair did not learn its new peer', { amphoraId: pair[i]?.id, loadBalancerId, error: serializeError(r.reason, { stack: false }) });
  });
}

export type { AmphoraFlowInput } from '../common/flows';

/** create_amphora: a spare for the pool (BOOTING, then READY). */
export async function createAmphora(input: AmphoraFlowInput): Promise<void> {
  const { amphoraId } = input;
  const saga = new Saga();
  try {
    await db.createAmphoraRecord({ amphoraId });
    saga.add('delete amphora', () => undo.deleteAmphora(amphoraId), () => undo.markAmphoraError(amphoraId));
    await compute.buildAmphoraCompute(amphoraId);
    await bootWait(input).waitForAmphoraCompute(amphoraId);
    // A spare is READY only once its agent answers: a claim then only plugs and configures it.
    if (dataPlaneSteps()) await agentConnect.waitForAmphoraAgent(amphoraId);
    await whateverHappens(() => db.markAmphoraReady(amphoraId));
  } catch (err) {
    await saga.compensate();
    throw err;
  }
}

/** delete_amphora: the instance and the row (DELETED). */
export async function deleteAmphora({ amphoraId }: AmphoraFlowInput): Promise<void> {
  try {
    await compute.deleteAmphora(amphoraId);
  } catch (err) {
    await whateverHappens(() => undo.markAmphoraError(amphoraId));
    throw err;
  }
}

/**
 * failover_amphora: build the replacement, give it the old one's role and configuration, then delete
 * the old one — which works when its instance is already gone. The workflow id is per amphora, so two
 * failovers of one amphora never run at once. The load balancer is PENDING_UPDATE meanwhile (set by
 * whoever started the failover); it ends ACTIVE, or ERROR if no replacement could be made.
 */
export async function failoverAmphora(input: FailoverInput): Promise<void> {
  const saga = new Saga();
  let loadBalancerId = input.loadBalancerId;
  /** A pair member's replacement: its peer is told about it once it serves. */
  let replacedInPair: { loadBalancerId: string; replacementId: string } | undefined;
  try {
    const old = await db.getAmphoraForFailover(input.amphoraId);
    loadBalancerId = old.loadBalancerId ?? undefined;
    if (!loadBalancerId) {
      // A spare has nothing to move: replacing it is the pool's job.
      await compute.deleteAmphora(input.amphoraId);
      return;
    }
    const role = old.role ?? AmphoraRole.STANDALONE;
    const newId = await provisionAmphora(saga, {
      ...input,
      loadBalancerId,
      role,
      useSpare: role === AmphoraRole.STANDALONE,
      replacing: input.amphoraId,
    });
    if (dataPlaneSteps()) {
      // The old amphora leaves the VIP network first: a dead one may still answer for the VIP.
      await network.unplugAmphoraVip(input.amphoraId);
      await plugAmphoraVip(saga, newId);
    }
    if (memberNetworkSteps()) {
      // The replacement on its members' networks (their NICs go with its instance if it is undone).
      const plugs = await network.plugMemberNetworks({ loadBalancerId, amphoraIds: [newId] });
      if (plugs.length > 0) await agent.plugMemberNetworksOnAmphorae(plugs);
    }
    await agent.pushLoadBalancerConfig({ loadBalancerId, amphoraIds: [newId] });
    if ((role === AmphoraRole.MASTER || role === AmphoraRole.BACKUP) && vrrpSteps()) {
      // The replacement's keepalived, peered with the survivor (the amphora it replaces is no peer). A
      // pair made before VRRP steps existed gets its group now, as Octavia's failover makes it.
      await db.ensureVrrpGroup(loadBalancerId);
      await agent.configureAmphoraVrrp({ loadBalancerId, amphoraId: newId, replacing: input.amphoraId });
      replacedInPair = { loadBalancerId, replacementId: newId };
    }
    await db.switchAmphora({ oldAmphoraId: input.amphoraId, newAmphoraId: newId });
  } catch (err) {
    await whateverHappens(async () => {
      await saga.compensate();
      // Settled exactly once, by whoever owns the load balancer's PENDING state: a second settle could
      // overwrite the PENDING state of the next request.
      if (loadBalancerId && input.settleLoadBalancer) await undo.markLoadBalancerError(loadBalancerId);
    });
    throw err;
  }
  // The replacement serves: what is left is cleanup and the settle, done even if the flow is cancelled
  // now. The old amphora is deleted; if it cannot be, it is left ERROR for housekeeping.
  await whateverHappens(async () => {
    if (replacedInPair) await tellPairAboutReplacement(replacedInPair.loadBalancerId, replacedInPair.replacementId);
    await compute.deleteAmphora(input.amphoraId).catch(() => undo.markAmphoraError(input.amphoraId));
    if (input.settleLoadBalancer) await db.markLoadBalancerActive(loadBalancerId);
  });
}
