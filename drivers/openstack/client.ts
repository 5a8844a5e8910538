/**
 * Authenticated requests to Nova, Glance and Neutron: a token from the Keystone session, the endpoint
 * from the catalog (or an explicit override), Nova's pinned microversion on every compute request, one
 * renewal of the token and one retry when a request is answered 401, all of it behind the circuit
 * breaker. Each driver has its own client (and breaker): Neutron failing does not fail Nova calls fast.
 */
import type { Logger } from '../../common/logger';
import { ComputeCircuitBreaker } from './breaker';
import { OpenStackHttpError, OpenStackTransportError, joinUrl, send, type SendResult } from './http';
import type { KeystoneSession, Token } from './keystone';
import type { TlsDispatcher as Dispatcher } from './tls';

/**
 * The compute API microversion of every Nova request (`OpenStack-API-Version: compute 2.86`).
 *
 * What we use and since when:
 *   2.37  `networks: "none"` (amphorae booted without a boot network get their ports attached later)
 *   2.52  `tags` on server create (every amphora is tagged `octavia-amphora`, for housekeeping)
 *   2.57  personality files removed: config-drive files travel as cloud-init write_files in user_data
 *   2.64  server groups take a single `policy` (+ `rules`) instead of the `policies` list
 *   2.86  flavor extra specs are validated when they are set: a typo in a known namespace
 *         (`hw:cpu_polcy`, `hw:cpu_policy=dedicatd`) is a 400 at createFlavor, not a NoValidHost
 *         at the first build minutes later (the same "fail at the API" rule as validateFlavor)
 * 2.86 (Victoria, 2020) is the lowest version with all of them; every supported OpenStack serves it.
 * Nothing between 2.64 and 2.86 changes a field we send or read, except:
 *   2.69  for a server in a cell that is down, GET /servers/{id} answers a partial record with status
 *         UNKNOWN instead of a 5xx (status() then says UNKNOWN: the flows should keep polling on
 *         UNKNOWN rather than fail the build), and such a record has no name;
 *   2.75  unknown query parameters on GET /servers are a 400 (we send only `name`).
 * Later versions add nothing we use (2.90 explicit hostnames: Nova derives `amphora-<id>` from the
 * name already; 2.96 pinned availability zones). Since 2.47 a server's `flavor` is embedded without
 * its `id`, so ComputeInstance.flavorId is only reported when Nova gives one.
 */
export const COMPUTE_MICROVERSION = '2.86';

export type Service = 'compute' | 'image' | 'network';

export interface ClientOptions {
  driver: string;
  session: KeystoneSession;
  breaker: ComputeCircuitBreaker;
  iface: string;
  region: string | undefined;
  /** Overrides of the catalog (`{project_id}`, `%(project_id)s`, `$(project_id)s` are filled in). */
  endpoints: { compute?: string; image?: string; network?: string };
  timeoutMs: number;
  log: Logger;
  /** TLS settings (OS_CACERT, OS_INSECURE): drivers/openstack/tls.ts. */
  dispatcher?: Dispatcher | undefined;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
}

function fillProject(url: string, projectId: string | undefined): string {
  return url.replace(/\{project_id\}|%\(project_id\)s|\$\(project_id\)s|%\(tenant_id\)s|\$\(tenant_id\)s/g, projectId ?? '');
}

/** Glance's catalog entry is usually unversioned (`http://glance:9292`); its API is under /v2. */
function glanceV2(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v2(\.\d+)?$/.test(trimmed) ? trimmed : `${trimmed}/v2`;
}

/** Neutron's catalog entry is unversioned too (`http://neutron:9696`); its API is under /v2.0. */
function neutronV2(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v2\.0$/.test(trimmed) ? trimmed : `${trimmed}/v2.0`;
}

export class OpenStackClient {
  constructor(private readonly o: ClientOptions) {}

  async request<T = unknown>(service: Service, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    return this.o.breaker.run(async () => {
      let token = await this.o.session.getToken();
      try {
        return (await this.once(service, method, path, opts, token)).body as T | undefined;
      } catch (err) {
        if (!(err instanceof OpenStackHttpError) || err.status !== 401 || err.service === 'identity') throw err;
        // A token revoked or expired before its time: renew it once and ask once more.
        this.o.log.info({ service, method, path }, 'Token refused (401): renewing it and retrying once');
        this.o.session.invalidate(token.value);
        token = await this.o.session.getToken();
        return (await this.once(service, method, path, opts, token)).body as T | undefined;
      }
    }, { service, method });
  }

  private endpoint(service: Service, token: Token): string {
    const override = this.o.endpoints[service];
    const base = override ?? this.o.session.endpoint(token, service, this.o.iface, this.o.region);
    const filled = fillProject(base, token.projectId);
    if (service === 'image') return glanceV2(filled);
    return service === 'network' ? neutronV2(filled) : filled;
  }

  private once(service: Service, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: RequestOptions, token: Token): Promise<SendResult> {
    const url = new URL(joinUrl(this.endpoint(service, token), path));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'X-Auth-Token': token.value };
    if (service === 'compute') {
      headers['OpenStack-API-Version'] = `compute ${COMPUTE_MICROVERSION}`;
      headers['X-OpenStack-Nova-API-Version'] = COMPUTE_MICROVERSION; // the pre-2.27 spelling, as novaclient sends
    }
    return send({
      driver: this.o.driver,
      service,
      method,
      url: url.toString(),
      headers,
      body: opts.body,
      timeoutMs: this.o.timeoutMs,
      log: this.o.log,
      dispatcher: this.o.dispatcher,
    });
  }
}

/** What counts toward opening the circuit: the service failing, not the service saying no. */
export function isServiceFailure(err: unknown): boolean {
  if (err instanceof OpenStackTransportError) return true;
  if (err instanceof OpenStackHttpError) return err.status >= 500;
  return false;
}
