/**
 * The Neutron network driver, assembled from configuration: a Keystone session (the service account of
 * config/openstack.ts, as the Nova driver's), its own circuit breaker (Neutron failing does not make
 * Nova calls fail fast, nor the reverse), the authenticated client (endpoint: the catalog's `network`
 * service, or NEUTRON_ENDPOINT), the driver, which attaches ports through the compute driver it is given.
 */
import { logger as rootLogger, type Logger } from '../../../common/logger';
import type { OpenStackConfig } from '../../../config/openstack';
import { requireCredentials } from '../../compute/nova';
import { ComputeCircuitBreaker } from '../../openstack/breaker';
import { OpenStackClient, isServiceFailure } from '../../openstack/client';
import { KeystoneSession } from '../../openstack/keystone';
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
  const driver = 'neutron';
  const timeoutMs = neutron.requestTimeoutSeconds * 1000;
  const session = new KeystoneSession({ driver, credentials: requireCredentials(openstack), timeoutMs, log });
  const breaker = new ComputeCircuitBreaker({
    driver,
    service: 'network service',
    threshold: neutron.circuitBreaker.threshold,
    resetMs: neutron.circuitBreaker.resetSeconds * 1000,
    isFailure: isServiceFailure,
    log,
  });
  const client = new OpenStackClient({
    driver,
    session,
    breaker,
    iface: openstack.interface,
    region: openstack.regionName,
    endpoints: { network: neutron.endpoint },
    timeoutMs,
    log,
  });
  return new NeutronNetworkDriver({ client, breaker, compute, settings: neutron, log });
}

export { NeutronNetworkDriver, OCTAVIA_OWNER, securityGroupName, vipPortName, vrrpPortName } from './driver';
export type { NetworkIpAvailability, NeutronExtensions, NeutronSettings, PortAttacher } from './driver';
