/**
 * The contracts around the workflow code that the type checker alone does not close:
 *   - every activity has exactly one kind (activities/index.ts), so each typed proxy of
 *     workflows/activities.ts offers exactly the steps of its kind;
 *   - every flow the starters name (common/flows.ts) is a registered workflow taking the input they
 *     pass (checked at compile time below, and at run time by name);
 *   - the child flows' former type names stay registered, as the very same code.
 */
import { activityKinds, createActivities, type Activities } from '../../activities';
import type { FlowInputs, FlowName } from '../../common/flows';
import { loadConfig } from '../../config';
import * as workflows from '../../workflows';

type Registered = { [W in FlowName]: (input: FlowInputs[W]) => Promise<unknown> };
// A compile error here names a flow whose workflow is missing or takes another input.
const started: Registered = workflows;

it('gives every activity exactly one kind', () => {
  const registered = Object.keys(createActivities({ config: loadConfig(process.env) } as never)).sort();
  const kinded = Object.values(activityKinds).flat() as (keyof Activities)[];
  expect([...kinded].sort()).toEqual(registered);
  expect(new Set(kinded).size).toBe(kinded.length);
});

it('registers every flow the starters name', () => {
  const names: Record<FlowName, true> = {
    createLoadBalancer: true,
    updateLoadBalancer: true,
    deleteLoadBalancer: true,
    failoverLoadBalancer: true,
    failoverAmphora: true,
    changeChildren: true,
    registerOpenstackFlavor: true,
    deleteOpenstackFlavor: true,
    createAmphora: true,
    maintainSparePool: true,
    cleanupDeleted: true,
    monitorAmphoraHealth: true,
  };
  for (const name of Object.keys(names) as FlowName[]) expect(typeof started[name]).toBe('function');
});

it('keeps the former child flow type names as aliases of changeChildren', () => {
  const former = ['Listener', 'Pool', 'Member', 'HealthMonitor', 'L7Policy', 'L7Rule'].flatMap((r) => ['create', 'update', 'delete'].map((op) => `${op}${r}`));
  for (const name of [...former, 'batchUpdateMembers']) {
    expect((workflows as Record<string, unknown>)[name]).toBe(workflows.changeChildren);
  }
});
