/**
 * Authentication and Octavia's RBAC.
 *
 * keystone mode validates X-Auth-Token against Keystone v3 (GET /v3/auth/tokens with our service
 * token), caching each validation until the token expires (at most five minutes, so revocations take
 * effect), and maps the roles to Octavia's personas:
 *   load-balancer_observer         read its project
 *   load-balancer_global_observer  read every project
 *   load-balancer_member           read and write its project
 *   load-balancer_admin, admin     everything
 * Which persona may do what is the table in `policy` below: one place, applied before any route.
 */
import type { Request, RequestHandler, Response } from 'express';
import { KeystoneSession, identityV3 } from '../drivers/openstack/keystone';
import { requireCredentials } from '../drivers/compute/nova';
import { OpenStackHttpError, send } from '../drivers/openstack/http';
import type { Logger } from '../common/logger';
import type { Config } from '../config';
import { requestContext, setRequestContext, type RequestContext } from './context';
import { NotAuthorized } from '../common/errors';

const ADMIN_ROLES = ['admin', 'load-balancer_admin'];
const GLOBAL_READ_ROLES = [...ADMIN_ROLES, 'load-balancer_global_observer'];
const READ_ROLES = [...GLOBAL_READ_ROLES, 'load-balancer_observer', 'load-balancer_member'];
const WRITE_ROLES = [...ADMIN_ROLES, 'load-balancer_member'];

const MAX_CACHE_MS = 5 * 60_000;
const MAX_CACHE_ENTRIES = 10_000;

export function contextFromRoles(projectId: string | undefined, roles: string[]): RequestContext {
  return {
    projectId,
    roles,
    isAdmin: roles.some((r) => ADMIN_ROLES.includes(r)),
    readsAllProjects: roles.some((r) => GLOBAL_READ_ROLES.includes(r)),
  };
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

  /** The caller's context, or undefined when Keystone does not know the token. */
  async validate(userToken: string): Promise<RequestContext | undefined> {
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
        const token = (res.body as { token?: { project?: { id?: string }; roles?: { name?: string }[]; expires_at?: string } }).token;
        const ctx = contextFromRoles(token?.project?.id, (token?.roles ?? []).map((r) => r.name ?? ''));
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
        if (err.status === 404 || err.status === 401) return undefined;
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
      setRequestContext(req, { projectId: req.header('x-project-id') || undefined, roles: ['admin'], isAdmin: true, readsAllProjects: true });
      next();
    };
  }
  const credentials = requireCredentials(config.openstack);
  const timeoutMs = config.openstack.nova.requestTimeoutSeconds * 1000;
  const session = new KeystoneSession({ driver: 'keystone-auth', credentials, timeoutMs, log });
  const validator = new KeystoneTokenValidator(session, credentials.authUrl, timeoutMs, log);
  return async (req, res, next) => {
    if (needOf(req) === 'public') {
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

type Need = 'public' | 'read' | 'write' | 'admin';

/**
 * The policy table (Octavia's defaults): the first rule whose path prefix matches decides what a
 * request needs; reads are GET/HEAD.
 */
const rules: { prefix: RegExp; read: Need; write: Need }[] = [
  { prefix: /^\/(v2(\.0)?\/?)?$/, read: 'public', write: 'admin' },
  { prefix: /^\/(openapi\.json|docs)/, read: 'public', write: 'admin' },
  { prefix: /^\/v2(\.0)?\/octavia\//, read: 'admin', write: 'admin' },
  { prefix: /^\/v1\/openstack_flavors/, read: 'admin', write: 'admin' },
  { prefix: /^\/v2(\.0)?\/lbaas\/(flavorprofiles|availabilityzoneprofiles)/, read: 'admin', write: 'admin' },
  { prefix: /^\/v2(\.0)?\/lbaas\/(flavors|availabilityzones|providers|quotas)/, read: 'read', write: 'admin' },
  { prefix: /^\/v2(\.0)?\/quotas/, read: 'read', write: 'admin' },
  { prefix: /^\/v2(\.0)?\/lbaas\//, read: 'read', write: 'write' },
];

function allowed(ctx: RequestContext, need: Need): boolean {
  const has = (roles: string[]) => ctx.roles.some((r) => roles.includes(r));
  switch (need) {
    case 'public':
      return true;
    case 'read':
      return has(READ_ROLES);
    case 'write':
      return has(WRITE_ROLES);
    case 'admin':
      return ctx.isAdmin;
  }
}

export const authorize: RequestHandler = (req: Request, _res, next) => {
  const need = needOf(req);
  if (need && !allowed(requestContext(req), need)) throw new NotAuthorized();
  next();
};

/** What a request needs; undefined for unknown routes (the 404 handler answers them). */
function needOf(req: Request): Need | undefined {
  const rule = rules.find((r) => r.prefix.test(req.path));
  if (!rule) return undefined;
  return req.method === 'GET' || req.method === 'HEAD' ? rule.read : rule.write;
}
