/**
 * One authenticated client per OpenStack service a driver talks to, assembled the same way for Nova
 * (with Glance) and Neutron: the service account's Keystone session, a circuit breaker of its own (one
 * service failing does not make the other's calls fail fast), the client with its endpoints and timeout.
 */
import type { Logger } from '../../common/logger';
import type { OpenStackConfig } from '../../config/openstack';
import { ComputeCircuitBreaker } from './breaker';
import { OpenStackClient, isServiceFailure } from './client';
import { OpenStackHttpError } from './http';
import { KeystoneSession } from './keystone';
import { tlsDispatcher } from './tls';

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

export interface ServiceClientOptions {
  driver: 'nova' | 'neutron';
  /** How the breaker's error names the service ("compute service" by default). */
  service?: string;
  endpoints: ConstructorParameters<typeof OpenStackClient>[0]['endpoints'];
  requestTimeoutSeconds: number;
  circuitBreaker: { threshold: number; resetSeconds: number };
  log: Logger;
}

export function createServiceClient(c: OpenStackConfig, o: ServiceClientOptions): { client: OpenStackClient; breaker: ComputeCircuitBreaker } {
  const timeoutMs = o.requestTimeoutSeconds * 1000;
  // One TLS agent per client (its connection pool), Keystone's requests included.
  const dispatcher = tlsDispatcher({ caFile: c.caFile, insecure: c.insecure });
  if (c.insecure) o.log.warn('TLS verification of the OpenStack endpoints is off (OS_INSECURE / verify: false)');
  const session = new KeystoneSession({ driver: o.driver, credentials: requireCredentials(c), timeoutMs, log: o.log, dispatcher });
  const breaker = new ComputeCircuitBreaker({
    driver: o.driver,
    ...(o.service ? { service: o.service } : {}),
    threshold: o.circuitBreaker.threshold,
    resetMs: o.circuitBreaker.resetSeconds * 1000,
    isFailure: isServiceFailure,
    log: o.log,
  });
  const client = new OpenStackClient({ driver: o.driver, session, breaker, iface: c.interface, region: c.regionName, endpoints: o.endpoints, timeoutMs, log: o.log, dispatcher });
  return { client, breaker };
}

/**
 * What the Nova and Neutron drivers do alike with their service (createServiceClient's client and
 * breaker): its requests; a failure made the driver's own error in one place (`guard`, with the
 * driver's translation into its exception model); a delete of what is gone already (404) taken as done
 * (`ignore404`); the circuit breaker watched (`circuitState`) and stopped (`close`).
 */
export class ServiceCalls<Ctx> {
  private readonly client: OpenStackClient;
  private readonly breaker: ComputeCircuitBreaker;

  constructor(
    service: { client: OpenStackClient; breaker: ComputeCircuitBreaker },
    private readonly translate: (err: unknown, ctx: Ctx) => Error,
  ) {
    this.client = service.client;
    this.breaker = service.breaker;
  }

  request<T = unknown>(...args: Parameters<OpenStackClient['request']>): Promise<T | undefined> {
    return this.client.request<T>(...args);
  }

  /** The circuit breaker's state (closed, half-open, open). */
  get circuitState(): 'closed' | 'half-open' | 'open' {
    return this.breaker.state;
  }

  /** Stops the circuit breaker's timers. */
  close(): void {
    this.breaker.shutdown();
  }

  async guard<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.translate(err, ctx);
    }
  }

  async ignore404(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!(err instanceof OpenStackHttpError && err.status === 404)) throw err;
    }
  }
}
