/** Every activity the worker registers. Workflows import only the type, never this code. */
import { amphoraActivities } from './amphora';
import { childActivities } from './children';
import { configureActivities } from './configure';
import type { ActivityDeps } from './deps';
import { healthActivities } from './liveness';
import { housekeepingActivities } from './housekeeping';
import { loadBalancerActivities } from './loadbalancer';
import { openstackFlavorActivities } from './openstack-flavor';

export function createActivities(deps: ActivityDeps) {
  return {
    ...amphoraActivities(deps),
    ...loadBalancerActivities(deps),
    ...childActivities(deps),
    ...configureActivities(deps),
    ...housekeepingActivities(deps),
    ...healthActivities(deps),
    ...openstackFlavorActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
