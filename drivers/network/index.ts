/** Chooses the network driver from configuration (NETWORK_DRIVER). */
import type { Config } from '../../config';
import { NoopNetworkDriver } from './noop';
import type { NetworkDriver } from './port';

export function createNetworkDriver(config: Config): NetworkDriver {
  switch (config.network.driver) {
    case 'noop':
      return new NoopNetworkDriver();
  }
}

export * from './port';
export * from './errors';
export { NoopNetworkDriver } from './noop';
