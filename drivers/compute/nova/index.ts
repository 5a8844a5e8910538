/**
 * The Nova compute driver, assembled from configuration (config/openstack.ts): a Keystone session, the
 * circuit breaker, the authenticated client, the driver. See README: Against a real OpenStack.
 */
import { logger as rootLogger, type Logger } from '../../../common/logger';
import type { OpenStackConfig } from '../../../config/openstack';
import { ComputeCircuitBreaker } from '../../openstack/breaker';
import { OpenStackClient, isServiceFailure } from '../../openstack/client';
import { NovaComputeDriver } from './driver';
import { KeystoneSession } from '../../openstack/keystone';

export interface NovaFactoryOverrides {
  log?: Logger;
}

/** Throws a configuration error naming what is missing (never a value). */
export function requireCredentials(c: OpenStackConfig) {
  const missing: string[] = [];
  if (!c.auth.authUrl) missing.push('OS_AUTH_URL');
  if (!c.auth.username && !c.auth.userId) missing.push('OS_USERNAME');
  if (!c.auth.password) missing.push('OS_PASSWORD');
  if (!c.auth.projectName && !c.auth.projectId) missing.push('OS_PROJECT_NAME or OS_PROJECT_ID');
  if (missing.length || !c.auth.authUrl || !c.auth.password) {
    const where = c.cloud ? ` (cloud ${c.cloud} in ${c.cloudsFile}, or the OS_* variables)` : ' (the OS_* variables, or OS_CLOUD and a clouds.yaml)';
    throw new Error(`The Keystone service account needs ${missing.join(', ')}${where}.`);
  }
  return { ...c.auth, authUrl: c.auth.authUrl, password: c.auth.password };
}

export function createNovaDriver(c: OpenStackConfig, overrides: NovaFactoryOverrides = {}): NovaComputeDriver {
  const log = overrides.log ?? rootLogger.child({ component: 'nova' });
  const credentials = requireCredentials(c);
  if (c.caFile && process.env.NODE_EXTRA_CA_CERTS !== c.caFile) {
    log.warn({ caFile: c.caFile }, 'A CA file is configured (OS_CACERT / cacert) but not applied by Node fetch: start the process with NODE_EXTRA_CA_CERTS set to it');
  }
  if (c.insecure) log.warn('TLS verification cannot be turned off per client (OS_INSECURE / verify: false is ignored)');
  const timeoutMs = c.nova.requestTimeoutSeconds * 1000;
  const driver = 'nova';
  const session = new KeystoneSession({ driver, credentials, timeoutMs, log });
  const breaker = new ComputeCircuitBreaker({
    driver,
    threshold: c.nova.circuitBreaker.threshold,
    resetMs: c.nova.circuitBreaker.resetSeconds * 1000,
    isFailure: isServiceFailure,
    log,
  });
  const client = new OpenStackClient({
    driver,
    session,
    breaker,
    iface: c.interface,
    region: c.regionName,
    endpoints: { compute: c.nova.endpoint, image: c.glance.endpoint },
    timeoutMs,
    log,
  });
  return new NovaComputeDriver({ client, breaker, amphora: c.amphora, log });
}

export { NovaComputeDriver, mapNovaStatus, AMPHORA_SERVER_TAG } from './driver';
export { COMPUTE_MICROVERSION } from '../../openstack/client';
export { CircuitOpenError } from '../../openstack/breaker';
export { composeUserData, encodeUserData } from './userdata';
