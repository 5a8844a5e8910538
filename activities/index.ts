/** Every activity the worker registers. Workflows import only the types, never this code. */
import { amphoraActivities } from './amphora';
import { amphoraAgentActivities } from './amphora-agent';
import { childActivities } from './children';
import { configureActivities } from './configure';
import type { ActivityDeps } from './deps';
import { livenessActivities } from './liveness';
import { housekeepingActivities } from './housekeeping';
import { loadBalancerActivities } from './loadbalancer';
import { networkActivities } from './network';
import { openstackFlavorActivities } from './openstack-flavor';
import { vrrpActivities } from './vrrp';

export function createActivities(deps: ActivityDeps) {
  return {
    ...amphoraActivities(deps),
    ...loadBalancerActivities(deps),
    ...childActivities(deps),
    ...configureActivities(deps),
    ...amphoraAgentActivities(deps),
    ...networkActivities(deps),
    ...housekeepingActivities(deps),
    ...livenessActivities(deps),
    ...openstackFlavorActivities(deps),
    ...vrrpActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';

/**
 * What each step talks to, which decides how a workflow calls it (workflows/activities.ts): database
 * steps run as local activities with the database's retry policy; compute steps as activities with the
 * compute service's (each visible in the Web UI); the amphora agent's steps with the agent's. Every
 * activity has exactly one kind (test/unit/activity-kinds.test.ts).
 */
export const activityKinds = {
  database: [
    'getLoadBalancerTopology',
    'applyLoadBalancerUpdate',
    'markLoadBalancerActive',
    'deleteLoadBalancerChildren',
    'finishLoadBalancerCreate',
    'listLoadBalancerAmphoraeWithRoles',
    'listLoadBalancerAmphorae',
    'markLoadBalancerError',
    'markLoadBalancerDeleted',
    'createAmphoraRecord',
    'claimSpareAmphora',
    'releaseSpareAmphora',
    'markAmphoraReady',
    'getAmphoraForFailover',
    'switchAmphora',
    'markAmphoraError',
    'applyChildUpdates',
    'finishChildChanges',
    'failChildChanges',
    'reserveSpareAmphorae',
    'claimSparePair',
    'purgeExpiredRows',
    'listStuckAmphorae',
    'checkAmphoraHealth',
    'lockForAutomaticFailover',
    'revertFailoverLock',
    'markOpenstackFlavorRegistered',
    'deleteOpenstackFlavorRow',
    'markOpenstackFlavorError',
    'ensureVrrpGroup',
  ],
  compute: [
    'buildAmphoraCompute',
    'waitForAmphoraCompute',
    'deleteAmphora',
    'ensureServerGroup',
    'deleteServerGroup',
    'deleteZombieAmphora',
    'createNovaFlavor',
    'verifyNovaFlavor',
    'deleteNovaFlavor',
  ],
  agent: ['pushLoadBalancerConfig', 'waitForAmphoraAgent', 'plugVipOnAmphora', 'configureAmphoraVrrp', 'plugMemberNetworksOnAmphorae'],
  network: ['plugAmphoraVip', 'unplugAmphoraVip', 'updateLoadBalancerVip', 'deallocateLoadBalancerVip', 'plugMemberNetworks'],
} as const satisfies Record<string, readonly (keyof Activities)[]>;

type Kind<K extends keyof typeof activityKinds> = (typeof activityKinds)[K][number];
export type DatabaseActivities = Pick<Activities, Kind<'database'>>;
export type ComputeActivities = Pick<Activities, Kind<'compute'>>;
export type AgentActivities = Pick<Activities, Kind<'agent'>>;
export type NetworkActivities = Pick<Activities, Kind<'network'>>;

/**
 * Steps that heartbeat themselves (with what the Web UI shows of them: the boot wait's progress). The
 * worker heartbeats every other step while it runs (platform/worker.ts), so a dead worker's step is
 * retried elsewhere after its heartbeat timeout.
 */
export const selfHeartbeating: ReadonlySet<keyof Activities> = new Set<keyof Activities>(['waitForAmphoraCompute']);
