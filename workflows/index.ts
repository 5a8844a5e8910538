/** The workflow bundle's entry point: every flow the worker runs. */
export * from './loadbalancer';
export * from './amphora';
export * from './child';
export * from './housekeeping';
export * from './liveness';
export * from './openstack-flavor';
