/** Health monitor flows (Octavia's create_health_monitor / update_health_monitor / delete_health_monitor). */
import { runChildChanges, type ChildFlowInput } from './child';

export async function createHealthMonitor(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function updateHealthMonitor(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}

export async function deleteHealthMonitor(input: ChildFlowInput): Promise<void> {
  await runChildChanges(input);
}
