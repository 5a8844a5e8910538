/** Chooses the network driver from configuration (NETWORK_DRIVER). */
import type { Config } from '../../config';
import { LocalNetworkDriver } from './local';
import { NoopNetworkDriver } from './noop';
import type { NetworkDriver } from './port';

export function createNetworkDriver(config: Config): NetworkDriver {
  const local = config.dataPlane.localCloud;
  switch (config.network.driver) {
    case 'noop':
      return new NoopNetworkDriver();
    case 'local':
      return new LocalNetworkDriver({
        stateDir: local.stateDir,
        tenantCidr: local.tenantCidr,
        subnetId: local.subnetId,
        networkId: local.networkId,
        tenantNetns: local.tenantNetns,
        tenantUplink: local.tenantUplink,
      });
  }
}

export * from './port';
export * from './errors';
export { NoopNetworkDriver } from './noop';
export { LocalNetworkDriver } from './local';
