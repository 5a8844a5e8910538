/**
 * The Neutron network driver, assembled from configuration: a Keystone session (the service account of
 * config/openstack.ts, as the Nova driver's), its own circuit breaker (Neutron failing does not make
 * Nova calls fail fast, nor the reverse), the authenticated client (endpoint: the catalog's `network`
 * service, or NEUTRON_ENDPOINT), the driver, which attaches ports through the compute driver it is given.
 */
import { logger as rootLogger, type Logger } from '../../../common/logger';
import type { OpenStackConfig } from '../../../config/openstack';
import { createServiceClient } from '../../openstack/service';
import { NeutronNetworkDriver, type NeutronSettings, type PortAttacher } from './driver';

/** What the lead's config tree gives the driver (names proposed in the driver's report). */
export interface NeutronConfig extends NeutronSettings {
  /** NEUTRON_ENDPOINT: instead of the catalog's (unversioned or ending in /v2.0). */
  endpoint?: string | undefined;
  /** NEUTRON_REQUEST_TIMEOUT_SECONDS: every Keystone and Neutron request of this driver. */
  requestTimeoutSeconds: number;
  /** NEUTRON_CIRCUIT_BREAKER_THRESHOLD / _RESET_SECONDS. */
  circuitBreaker: { threshold: number; resetSeconds: number };
}

export function createNeutronDriver(
  openstack: OpenStackConfig,
  neutron: NeutronConfig,
  compute: PortAttacher,
  overrides: { log?: Logger } = {},
): NeutronNetworkDriver {
  const log = overrides.log ?? rootLogger.child({ component: 'neutron' });
  const { client, breaker } = createServiceClient(openstack, {
    driver: 'neutron',
    service: 'network service',
    endpoints: { network: neutron.endpoint },
    requestTimeoutSeconds: neutron.requestTimeoutSeconds,
    circuitBreaker: neutron.circuitBreaker,
    log,
  });
  return new NeutronNetworkDriver({ client, breaker, compute, settings: neutron, log });
}

export { NeutronNetworkDriver, OCTAVIA_OWNER, securityGroupName, vipPortName, vrrpPortName } from './driver';
export type { NetworkIpAvailability } from '../port';
export type { NeutronExtensions, NeutronSettings, PortAttacher } from './driver';
