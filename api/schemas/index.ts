/**
 * Which schema validates which request body: the OpenAPI document publishes these, and
 * test/unit/openapi.test.ts fails when a POST or PUT route has neither a schema here nor a place in
 * `bodiless`.
 */
import type { RequestBodies } from '../openapi';
import { availabilityZoneProfileCreateRoot, availabilityZoneProfileUpdateRoot } from '../routes/availabilityzoneprofiles';
import { availabilityZoneCreateRoot, availabilityZoneUpdateRoot } from '../routes/availabilityzones';
import { flavorProfileCreateRoot, flavorProfileUpdateRoot } from '../routes/flavorprofiles';
import { flavorCreateRoot, flavorUpdateRoot } from '../routes/flavors';
import { openstackFlavorCreate } from '../routes/openstack-flavors';
import { quotaUpdateRoot } from '../routes/quotas';
import { healthMonitorCreateRoot, healthMonitorUpdateRoot } from './healthmonitor';
import { l7PolicyCreateRoot, l7PolicyUpdateRoot } from './l7policy';
import { l7RuleCreateRoot, l7RuleUpdateRoot } from './l7rule';
import { listenerCreateRoot, listenerUpdateRoot } from './listener';
import { loadBalancerCreateRoot, loadBalancerUpdateRoot } from './loadbalancer';
import { memberCreateRoot, membersBatchRoot, memberUpdateRoot } from './member';
import { poolCreateRoot, poolUpdateRoot } from './pool';

export const requestBodies: RequestBodies = {
  'POST /v2/lbaas/loadbalancers': loadBalancerCreateRoot,
  'PUT /v2/lbaas/loadbalancers/{id}': loadBalancerUpdateRoot,
  'POST /v2/lbaas/listeners': listenerCreateRoot,
  'PUT /v2/lbaas/listeners/{id}': listenerUpdateRoot,
  'POST /v2/lbaas/pools': poolCreateRoot,
  'PUT /v2/lbaas/pools/{id}': poolUpdateRoot,
  'POST /v2/lbaas/pools/{poolId}/members': memberCreateRoot,
  'PUT /v2/lbaas/pools/{poolId}/members': membersBatchRoot,
  'PUT /v2/lbaas/pools/{poolId}/members/{id}': memberUpdateRoot,
  'POST /v2/lbaas/healthmonitors': healthMonitorCreateRoot,
  'PUT /v2/lbaas/healthmonitors/{id}': healthMonitorUpdateRoot,
  'POST /v2/lbaas/l7policies': l7PolicyCreateRoot,
  'PUT /v2/lbaas/l7policies/{id}': l7PolicyUpdateRoot,
  'POST /v2/lbaas/l7policies/{l7policyId}/rules': l7RuleCreateRoot,
  'PUT /v2/lbaas/l7policies/{l7policyId}/rules/{id}': l7RuleUpdateRoot,
  'POST /v2/lbaas/flavorprofiles': flavorProfileCreateRoot,
  'PUT /v2/lbaas/flavorprofiles/{id}': flavorProfileUpdateRoot,
  'POST /v2/lbaas/flavors': flavorCreateRoot,
  'PUT /v2/lbaas/flavors/{id}': flavorUpdateRoot,
  'POST /v2/lbaas/availabilityzoneprofiles': availabilityZoneProfileCreateRoot,
  'PUT /v2/lbaas/availabilityzoneprofiles/{id}': availabilityZoneProfileUpdateRoot,
  'POST /v2/lbaas/availabilityzones': availabilityZoneCreateRoot,
  'PUT /v2/lbaas/availabilityzones/{name}': availabilityZoneUpdateRoot,
  'PUT /v2/lbaas/quotas/{projectId}': quotaUpdateRoot,
  'POST /v1/openstack_flavors': openstackFlavorCreate,
};

export const bodiless = new Set([
  'PUT /v2/lbaas/loadbalancers/{id}/failover',
  'PUT /v2/octavia/amphorae/{id}/failover',
  'PUT /v2/octavia/amphorae/{id}/config',
  'POST /v1/openstack_flavors/{id}/register',
]);
