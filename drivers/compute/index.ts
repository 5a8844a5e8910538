/** Chooses the compute driver from configuration (COMPUTE_DRIVER). */
import { Config } from '../../config';
import { AmphoraComputeDriver } from './port';
import { NoopComputeDriver } from './noop';
import { createNovaDriver } from './nova';

export function createComputeDriver(config: Config): AmphoraComputeDriver {
  switch (config.compute.driver) {
    case 'noop':
      return new NoopComputeDriver({
        buildDelayMs: config.compute.noop.buildDelayMs,
        statePath: config.compute.noop.statePath,
      });
    case 'nova':
      return createNovaDriver(config.openstack);
  }
}

export * from './port';
export * from './errors';
export { NoopComputeDriver } from './noop';
export { NovaComputeDriver, createNovaDriver } from './nova';
