/** Member flows (Octavia's create_member / update_member / delete_member, and the batch update that replaces a pool's member list). */
import { runChildChanges, type ChildFlowInput } from './child';

export async function createMember(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function updateMember(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function deleteMember(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

/** PUT /pools/{id}/members: members created, updated and deleted in one flow and one configuration push. */
export async function batchUpdateMembers(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}
