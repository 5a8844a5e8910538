/** Chooses the network driver from configuration (NETWORK_DRIVER). */
import type { Config } from '../../config';
import type { AmphoraComputeDriver } from '../compute/port';
import { LocalNetworkDriver } from './local';
import { createNeutronDriver } from './neutron';
import { NoopNetworkDriver } from './noop';
import type { NetworkDriver } from './port';

/** `compute`: Neutron ports are attached to amphorae through the compute driver (Nova's os-interface). */
export function createNetworkDriver(config: Config, compute?: AmphoraComputeDriver): NetworkDriver {
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
    case 'neutron':
      if (!compute) throw new Error('The neutron network driver attaches ports through a compute driver: none was given.');
      return createNeutronDriver(config.openstack, config.openstack.neutron, compute);
  }
}

export * from './port';
export * from './errors';
export { NoopNetworkDriver } from './noop';
export { LocalNetworkDriver } from './local';
