/**
 * Authentication and Octavia's RBAC.
 *
 * keystone mode validates X-Auth-Token against Keystone v3 (GET /v3/auth/tokens with our service
 * token), caching each validation until the token expires (at most five minutes, so revocations take
 * effect). What the token's roles may do is Octavia's policy (domain/policy.ts), which each route asks
 * once it has found what the request acts on (api/context.ts `authorize`).
 */
import type { RequestHandler, Response } from 'express';
import { KeystoneSession, identityV3 } from '../drivers/openstack/keystone';
import { requireCredentials } from '../drivers/compute/nova';
import { OpenStackHttpError, OpenStackTransportError, send } from '../drivers/openstack/http';
import type { Logger } from '../common/logger';
import type { Config } from '../config';
import { setRequestContext, type RequestContext } from './context';
import { KeystoneUnavailable } from '../common/errors';

const MAX_CACHE_MS = 5 * 60_000;
const MAX_CACHE_ENTRIES = 10_000;

/** A token's credentials; `isAdmin` is only noauth mode's (the roles decide in keystone mode). */
export function contextFromRoles(projectId: string | undefined, roles: string[], system = false): RequestContext {
  return { projectId, roles, system, isAdmin: false };
}

/** Validates user tokens with Keystone, remembering each answer until the token expires. */
export class KeystoneTokenValidator {
  private readonly cache = new Map<string, { ctx: RequestContext; until: number }>();

  constructor(
    private readonly session: KeystoneSession,
    private readonly authUrl: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * The caller's context, or undefined when Keystone does not know the token. As keystonemiddleware:
   * Keystone unreachable, answering with an error, or refusing our own token twice is
   * KeystoneUnavailable (503), never a 500; nothing is cached then.
   */
  async validate(userToken: string): Promise<RequestContext | undefined> {
    try {
      return await this.validateOnce(userToken);
    } catch (err) {
      if (err instanceof OpenStackHttpError || err instanceof OpenStackTransportError) {
        this.log.error({ err }, 'Unable to validate token: Keystone is unavailable');
        throw new KeystoneUnavailable();
      }
      throw err;
    }
  }

  private async validateOnce(userToken: string): Promise<RequestContext | undefined> {
    const cached = this.cache.get(userToken);
    if (cached && cached.until > Date.now()) return cached.ctx;
    this.cache.delete(userToken);

    for (let attempt = 0; ; attempt++) {
      const service = await this.session.getToken();
      try {
        const res = await send({
          driver: 'keystone-auth',
          service: 'identity',
          method: 'GET',
          url: `${identityV3(this.authUrl)}/auth/tokens`,
          headers: { 'X-Auth-Token': service.value, 'X-Subject-Token': userToken },
          timeoutMs: this.timeoutMs,
          log: this.log,
        });
        const token = (
          res.body as { token?: { project?: { id?: string }; system?: { all?: boolean }; roles?: { name?: string }[]; expires_at?: string } }
        ).token;
        const ctx = contextFromRoles(token?.project?.id, (token?.roles ?? []).map((r) => r.name ?? ''), token?.system?.all === true);
        const expires = token?.expires_at ? Date.parse(token.expires_at) : Date.now();
        if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
        this.cache.set(userToken, { ctx, until: Math.min(expires, Date.now() + MAX_CACHE_MS) });
        return ctx;
      } catch (err) {
        if (!(err instanceof OpenStackHttpError)) throw err;
        // Our own service token was refused: renew it once.
        if (err.status === 401 && attempt === 0) {
          this.session.invalidate(service.value);
          continue;
        }
        if (err.status === 404) return undefined;
        throw err;
      }
    }
  }
}

function unauthenticated(res: Response): void {
  res
    .status(401)
    .set('WWW-Authenticate', 'Keystone uri="keystone"')
    .json({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
}

export function authenticate(config: Config, log: Logger): RequestHandler {
  if (config.api.authStrategy === 'noauth') {
    return (req, _res, next) => {
      setRequestContext(req, { projectId: req.header('x-project-id') || undefined, roles: ['admin'], isAdmin: true });
      next();
    };
  }
  const credentials = requireCredentials(config.openstack);
  const timeoutMs = config.openstack.nova.requestTimeoutSeconds * 1000;
  const session = new KeystoneSession({ driver: 'keystone-auth', credentials, timeoutMs, log });
  const validator = new KeystoneTokenValidator(session, credentials.authUrl, timeoutMs, log);
  return async (req, res, next) => {
    if (isPublic(req.path)) {
      setRequestContext(req, contextFromRoles(undefined, []));
      return next();
    }
    const token = req.header('x-auth-token');
    const ctx = token ? await validator.validate(token) : undefined;
    if (!ctx) return unauthenticated(res);
    setRequestContext(req, ctx);
    next();
  };
}

/**
 * What needs no token: version discovery (Octavia's SkippingAuthProtocol paths) and this API's own
 * document. Everything else, an unknown path too, is authenticated first (401), as behind Octavia's
 * keystonemiddleware.
 */
const PUBLIC_PATHS = /^\/(v2(\.0)?\/?)?$|^\/(openapi\.json|docs)(\/|$)/;

function isPublic(path: string): boolean {
  return PUBLIC_PATHS.test(path);
}
