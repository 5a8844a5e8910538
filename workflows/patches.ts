/**
 * Patches shared by several flows: a flow started before the change replays without its steps
 * (README: shipping a change to a running workflow). One id per change, whichever flows gained it.
 */
import { patched } from '@temporalio/workflow';

/** The data plane's steps: the agent connectivity wait, VIP plug/unplug, update_vip, deallocate_vip. */
export const dataPlaneSteps = () => patched('data-plane-steps');

/**
 * keepalived VRRP in ACTIVE_STANDBY pairs: the VRRP group, keepalived configured and started on both
 * amphorae at create, and on a replacement (and its surviving peer) at failover. It needs the data
 * plane's VIP plug (the VRRP addresses), so a flow without those steps never takes these.
 */
export const vrrpSteps = () => dataPlaneSteps() && patched('vrrp-steps');

/**
 * Member networks (Octavia's CalculateDelta / HandleNetworkDeltas / AmphoraePostNetworkPlug): a member
 * change plugs each amphora into its members' networks and unplugs the ones no member needs, before the
 * configuration push; a failover's replacement gets them too. Needs the data plane's steps.
 */
export const memberNetworkSteps = () => dataPlaneSteps() && patched('member-network-steps');

/** A spare pool run whose builds all failed fails (it completed before, showing Completed in the Web UI). */
export const sparePoolFailsWhenNoneBuilt = () => patched('spare-pool-fails-when-none-built');

/**
 * A single-call create's members: the create flow plugs the new amphorae into their members'
 * networks after the VIP and before the configuration push (Octavia's _create_listeners_flow:
 * CalculateDelta, HandleNetworkDeltas, AmphoraePostNetworkPlug). Needs the data plane's steps.
 */
export const createMemberNetworkSteps = () => dataPlaneSteps() && patched('create-member-networks');
