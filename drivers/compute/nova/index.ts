/**
 * The Nova compute driver, assembled from configuration (config/openstack.ts): the authenticated
 * client of drivers/openstack/service.ts, the driver. See README: Against a real OpenStack.
 */
import { logger as rootLogger, type Logger } from '../../../common/logger';
import type { OpenStackConfig } from '../../../config/openstack';
import { createServiceClient } from '../../openstack/service';
import { NovaComputeDriver } from './driver';

export interface NovaFactoryOverrides {
  log?: Logger;
}

export function createNovaDriver(c: OpenStackConfig, overrides: NovaFactoryOverrides = {}): NovaComputeDriver {
  const log = overrides.log ?? rootLogger.child({ component: 'nova' });
  const { client, breaker } = createServiceClient(c, {
    driver: 'nova',
    endpoints: { compute: c.nova.endpoint, image: c.glance.endpoint },
    requestTimeoutSeconds: c.nova.requestTimeoutSeconds,
    circuitBreaker: c.nova.circuitBreaker,
    log,
  });
  return new NovaComputeDriver({ client, breaker, amphora: c.amphora, log });
}

export { requireCredentials } from '../../openstack/service';
export { NovaComputeDriver, mapNovaStatus, AMPHORA_SERVER_TAG } from './driver';
export { COMPUTE_MICROVERSION } from '../../openstack/client';
export { CircuitOpenError } from '../../openstack/breaker';
export { composeUserData, encodeUserData } from './userdata';
