/** L7 policy flows (Octavia's create_l7policy / update_l7policy / delete_l7policy). */
import { runChildChanges, type ChildFlowInput } from './child';

export async function createL7Policy(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function updateL7Policy(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function deleteL7Policy(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}
