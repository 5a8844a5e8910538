/** Chooses the compute driver from configuration (COMPUTE_DRIVER). */
import type { Config } from '../../config';
import type { NetworkDriver } from '../network/port';
import { LocalNetworkDriver } from '../network/local';
import { LocalComputeDriver } from './local';
import { AmphoraComputeDriver } from './port';
import { NoopComputeDriver, type NoopOptions } from './noop';
import { createNovaDriver } from './nova';

/** `network`: the local compute driver hot-plugs the local network driver's ports (attachPort). */
export function createComputeDriver(config: Config, network?: NetworkDriver): AmphoraComputeDriver {
  switch (config.compute.driver) {
    case 'noop':
      return new NoopComputeDriver(noopComputeOptions(config));
    case 'nova':
      return createNovaDriver(config.openstack);
    case 'local': {
      const local = config.dataPlane.localCloud;
      return new LocalComputeDriver({
        stateDir: local.stateDir,
        mgmtCidr: local.mgmtCidr,
        mgmtNetns: local.mgmtNetns,
        mgmtUplink: local.mgmtUplink,
        flavorIds: [config.compute.amphora.flavorId],
        imageIds: [config.compute.amphora.imageId],
        ports: network instanceof LocalNetworkDriver ? network : undefined,
      });
    }
  }
}

/** The no-op compute driver's settings (NOOP_*): its state file, its build delay, NOOP_FAULTS. */
export function noopComputeOptions(config: Config): NoopOptions {
  const f = config.noop.faults;
  return {
    buildDelayMs: config.compute.noop.buildDelayMs,
    statePath: config.compute.noop.statePath,
    faults: {
      buildFails: f.buildFails,
      buildRejected: f.buildRejected,
      buildHangs: f.buildHangs,
      statusError: f.statusError,
      deleteFails: f.deleteFails,
      latencyMs: f.computeLatencyMs,
    },
  };
}

export * from './port';
export * from './errors';
export { NoopComputeDriver } from './noop';
export { NovaComputeDriver, createNovaDriver } from './nova';
export { LocalComputeDriver } from './local';
