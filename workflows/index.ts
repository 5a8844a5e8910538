/** The workflow bundle's entry point: every flow the worker runs. */
export * from './loadbalancer';
