/** The workflow bundle's entry point: every flow the worker runs. */
export * from './loadbalancer';
export * from './amphora';
export * from './listener';
export * from './pool';
export * from './member';
export * from './healthmonitor';
export * from './l7policy';
export * from './l7rule';
export * from './housekeeping';
export * from './liveness';
export * from './openstack-flavor';
