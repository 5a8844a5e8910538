/**
 * A Keystone v3 session of the service account: password authentication scoped to a project, the
 * token cached until shortly before it expires, one authentication in flight shared by every caller
 * that needs a token meanwhile, and endpoints found in the token's service catalog.
 *
 * The token's lifetime is taken from Keystone's own `issued_at`/`expires_at` and counted from when we
 * received it, so a clock difference between us and Keystone does not matter. It is renewed when less
 * than a tenth of its lifetime (at most a minute) is left. A request answered 401 (a token revoked, or
 * expired early) calls `invalidate` with the token it used, and asks again: see client.ts.
 */
import type { Logger } from '../../common/logger';
import type { Secret } from '../../config/openstack';
import { OpenStackHttpError, joinUrl, send } from './http';
import type { TlsDispatcher as Dispatcher } from './tls';

export interface KeystoneCredentials {
  authUrl: string;
  username?: string;
  userId?: string;
  password: Secret;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
}

interface CatalogEndpoint {
  interface?: string;
  region?: string;
  region_id?: string;
  url?: string;
}

interface CatalogService {
  type?: string;
  endpoints?: CatalogEndpoint[];
}

export interface Token {
  value: string;
  /** Local clock (ms) after which the token is renewed before use. */
  renewAt: number;
  projectId: string | undefined;
  catalog: CatalogService[];
}

export interface KeystoneOptions {
  driver: string;
  credentials: KeystoneCredentials;
  timeoutMs: number;
  log: Logger;
  /** TLS settings (OS_CACERT, OS_INSECURE): drivers/openstack/tls.ts. */
  dispatcher?: Dispatcher | undefined;
  now?: () => number;
}

/** `http://keystone:5000` and `http://keystone:5000/v3` both mean the v3 API. */
export function identityV3(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

export class KeystoneSession {
  private token: Token | undefined;
  private inflight: Promise<Token> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: KeystoneOptions) {
    this.now = o.now ?? Date.now;
  }

  /** A valid token: the cached one, the one being fetched, or a new one. */
  async getToken(): Promise<Token> {
    if (this.token && this.now() < this.token.renewAt) return this.token;
    this.inflight ??= this.authenticate().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forgets `token` if it is still the cached one (a 401 answered a request made with it). */
  invalidate(token: string): void {
    if (this.token?.value === token) this.token = undefined;
  }

  /** The endpoint of a service type from the token's catalog (Keystone's interface names). */
  endpoint(token: Token, type: string, iface: string, region: string | undefined): string {
    const service = token.catalog.find((s) => s.type === type);
    const candidates = (service?.endpoints ?? []).filter(
      (e) => e.interface === iface && typeof e.url === 'string' && (!region || e.region_id === region || e.region === region),
    );
    const found = candidates[0]?.url;
    if (!found) {
      throw new OpenStackHttpError(
        'identity',
        'GET',
        'catalog',
        404,
        `No ${type} endpoint with interface ${iface}${region ? ` in region ${region}` : ''} in the service catalog.`,
        undefined,
        undefined,
      );
    }
    return found;
  }

  private async authenticate(): Promise<Token> {
    const c = this.o.credentials;
    const user: Record<string, unknown> = { password: c.password.reveal() };
    if (c.userId) user.id = c.userId;
    else {
      user.name = c.username;
      user.domain = c.userDomainId ? { id: c.userDomainId } : { name: c.userDomainName ?? 'Default' };
    }
    const project: Record<string, unknown> = c.projectId
      ? { id: c.projectId }
      : { name: c.projectName, domain: c.projectDomainId ? { id: c.projectDomainId } : { name: c.projectDomainName ?? 'Default' } };
    const sentAt = this.now();
    // The body holds the password: it goes to fetch only; send() logs neither bodies nor headers.
    const res = await send({
      driver: this.o.driver,
      service: 'identity',
      method: 'POST',
      url: joinUrl(identityV3(c.authUrl), 'auth/tokens'),
      body: { auth: { identity: { methods: ['password'], password: { user } }, scope: { project } } },
      // Issuing a token changes nothing: a request lost on a closed connection may be sent again.
      idempotent: true,
      timeoutMs: this.o.timeoutMs,
      log: this.o.log,
      dispatcher: this.o.dispatcher,
    });
    const value = res.headers.get('x-subject-token');
    const body = res.body as { token?: { expires_at?: string; issued_at?: string; project?: { id?: string }; catalog?: CatalogService[] } };
    if (!value || !body?.token) {
      throw new OpenStackHttpError('identity', 'POST', '/v3/auth/tokens', 502, 'Keystone answered without a token.', undefined, res.requestId);
    }
    const expires = Date.parse(body.token.expires_at ?? '');
    const issued = Date.parse(body.token.issued_at ?? '');
    // Lifetime by Keystone's clock, counted from when we asked (the earliest it can have been issued).
    const lifetime = Number.isNaN(expires) ? 3600_000 : expires - (Number.isNaN(issued) ? sentAt : issued);
    const margin = Math.min(60_000, lifetime / 10);
    const token: Token = {
      value,
      renewAt: sentAt + lifetime - margin,
      projectId: body.token.project?.id,
      catalog: body.token.catalog ?? [],
    };
    this.o.log.debug({ projectId: token.projectId, lifetimeSeconds: Math.round(lifetime / 1000) }, 'Keystone token obtained');
    this.token = token;
    return token;
  }
}
