/** Listener flows (Octavia's create_listener / update_listener / delete_listener). */
import { runChildChanges, type ChildFlowInput } from './child';

export async function createListener(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function updateListener(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function deleteListener(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}
