/**
 * Patches shared by several flows: a flow started before the change replays without its steps
 * (README: shipping a change to a running workflow). One id per change, whichever flows gained it.
 */
import { patched } from '@temporalio/workflow';

/** The data plane's steps: the agent connectivity wait, VIP plug/unplug, update_vip, deallocate_vip. */
export const dataPlaneSteps = () => patched('data-plane-steps');
