/** Pool flows (Octavia's create_pool / update_pool / delete_pool). Deleting a pool deletes its members and health monitor with it (the database cascades). */
import { runChildChanges, type ChildFlowInput } from './child';

export async function createPool(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function updatePool(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function deletePool(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}
