/** L7 rule flows (Octavia's create_l7rule / update_l7rule / delete_l7rule). */
import { runChildChanges, type ChildFlowInput } from './child';

export async function createL7Rule(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function updateL7Rule(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function deleteL7Rule(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}
