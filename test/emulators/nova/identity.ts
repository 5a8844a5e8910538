/**
 * Keystone v3 (22, Zed) as a compute client uses it: password (and token) authentication scoped to a
 * project by name+domain or id, token validation and revocation, the version documents.
 * 01-keystone-token-password.json and 02-keystone-token-bad-password.json are the recorded answers.
 */
import { randomBytes } from 'node:crypto';
import {
  type Endpoints,
  header,
  keystoneError,
  newRequestId,
  type Reply,
  type Req,
  UNAUTHORIZED_MESSAGE,
} from './http';
import { type CloudState, IDS, REGION, type Token, type User } from './state';

const ROLE_IDS = IDS.roles;

/** "2026-11-23T02:02:50.000000Z" */
function keystoneTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '.000000Z');
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Identity {
  /** Stable catalog ids for this emulator's lifetime. */
  private readonly catalogIds = new Map<string, string>();

  constructor(
    private readonly state: CloudState,
    private readonly endpoints: Endpoints,
  ) {}

  private id(key: string): string {
    let v = this.catalogIds.get(key);
    if (!v) {
      v = randomBytes(16).toString('hex');
      this.catalogIds.set(key, v);
    }
    return v;
  }

  private catalog(): unknown[] {
    const service = (type: string, name: string, url: string) => ({
      endpoints: ['public', 'internal', 'admin'].map((iface) => ({
        id: this.id(`${type}-${iface}`),
        interface: iface,
        region_id: REGION,
        url,
        region: REGION,
      })),
      id: this.id(type),
      type,
      name,
    });
    return [
      service('compute', 'nova', this.endpoints.computeUrl),
      service('identity', 'keystone', `${this.endpoints.authUrl}/`),
      service('image', 'glance', this.endpoints.imageUrl),
      ...(this.endpoints.networkUrl ? [service('network', 'neutron', this.endpoints.networkUrl)] : []),
      ...(this.endpoints.loadBalancerUrl ? [service('load-balancer', 'octavia', this.endpoints.loadBalancerUrl)] : []),
    ];
  }

  private tokenBody(token: Token, withCatalog: boolean): Record<string, unknown> {
    const user = this.state.users.get(token.userId) as User;
    const domain = { id: IDS.defaultDomain, name: 'Default' };
    const body: Record<string, unknown> = {
      methods: token.methods,
      user: { domain, id: user.id, name: user.name, password_expires_at: null },
      audit_ids: token.auditIds,
      expires_at: keystoneTime(token.expiresAt),
      issued_at: keystoneTime(token.issuedAt),
    };
    if (token.projectId) {
      const project = this.state.projects.get(token.projectId);
      body.project = { domain, id: token.projectId, name: project?.name ?? '' };
      body.is_domain = false;
      body.roles = token.roles.map((r) => ({ id: ROLE_IDS[r], name: r }));
      if (withCatalog) body.catalog = this.catalog();
    }
    return { token: body };
  }

  private reply(status: number, body?: unknown, extra: Record<string, string> = {}): Reply {
    return {
      status,
      body,
      headers: { 'Content-Type': 'application/json', Vary: 'X-Auth-Token', 'x-openstack-request-id': newRequestId(), ...extra },
    };
  }

  private unauthorized(): Reply {
    return this.reply(401, keystoneError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE), {
      'WWW-Authenticate': `Keystone uri="${this.endpoints.authUrl}"`,
    });
  }

  private badRequest(message: string): Reply {
    return this.reply(400, keystoneError(400, 'Bad Request', message));
  }

  handle(req: Req): Reply {
    const path = req.path.replace(/\/+$/, '');
    if (req.method === 'GET' && path === '') return this.versions();
    if (req.method === 'GET' && path === '/v3') return this.reply(200, { version: this.v3() });
    if (path === '/v3/auth/tokens') {
      if (req.method === 'POST') return this.authenticate(req);
      if (req.method === 'GET' || req.method === 'HEAD') return this.validate(req);
      if (req.method === 'DELETE') return this.revoke(req);
    }
    return this.reply(404, keystoneError(404, 'Not Found', 'The resource could not be found.'));
  }

  private v3(): Record<string, unknown> {
    return {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${this.endpoints.authUrl}/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    };
  }

  private versions(): Reply {
    return this.reply(300, { versions: { values: [this.v3()] } });
  }

  private findUser(u: Record<string, unknown>): User | undefined {
    if (typeof u.id === 'string') return this.state.users.get(u.id);
    if (typeof u.name !== 'string') return undefined;
    const d = isObj(u.domain) ? u.domain : {};
    const domainOk = (user: User) =>
      (typeof d.id === 'string' && d.id === user.domainId) ||
      (typeof d.name === 'string' && d.name === 'Default' && user.domainId === IDS.defaultDomain);
    return [...this.state.users.values()].find((user) => user.name === u.name && domainOk(user));
  }

  private findProject(p: Record<string, unknown>): string | undefined {
    if (typeof p.id === 'string') return this.state.projects.has(p.id) ? p.id : undefined;
    if (typeof p.name !== 'string') return undefined;
    const d = isObj(p.domain) ? p.domain : {};
    const inDefault = d.id === IDS.defaultDomain || d.name === 'Default';
    if (!inDefault) return undefined;
    return [...this.state.projects.values()].find((proj) => proj.name === p.name)?.id;
  }

  private authenticate(req: Req): Reply {
    if (req.bodyMalformed) return this.badRequest('Malformed request body');
    const body = req.body;
    if (!isObj(body) || !isObj(body.auth)) return this.badRequest("'auth' is a required property");
    const auth = body.auth;
    if (!isObj(auth.identity)) return this.badRequest("'identity' is a required property");
    const identity = auth.identity;
    if (!Array.isArray(identity.methods)) return this.badRequest("'methods' is a required property");
    const methods = identity.methods as unknown[];

    let user: User | undefined;
    if (methods.includes('password')) {
      const pw = isObj(identity.password) ? identity.password : undefined;
      const u = pw && isObj(pw.user) ? pw.user : undefined;
      if (!u) return this.badRequest("'user' is a required property");
      user = this.findUser(u);
      if (!user || u.password !== user.password) return this.unauthorized();
    } else if (methods.includes('token')) {
      const t = isObj(identity.token) ? identity.token : undefined;
      const existing = this.state.validToken(typeof t?.id === 'string' ? t.id : undefined);
      if (!existing) return this.unauthorized();
      user = this.state.users.get(existing.userId);
    } else {
      return this.unauthorized();
    }
    if (!user) return this.unauthorized();

    let projectId: string | null = null;
    if (auth.scope !== undefined) {
      const scope = isObj(auth.scope) ? auth.scope : {};
      if (!isObj(scope.project)) return this.unauthorized();
      const found = this.findProject(scope.project);
      if (!found || (user.roles[found] ?? []).length === 0) return this.unauthorized();
      projectId = found;
    }

    const token = this.state.issueToken(
      user,
      projectId,
      methods.filter((m): m is string => typeof m === 'string'),
    );
    return this.reply(201, this.tokenBody(token, !req.query.has('nocatalog')), { 'X-Subject-Token': token.id });
  }

  private validate(req: Req): Reply {
    if (!this.state.validToken(header(req, 'x-auth-token'))) return this.unauthorized();
    const subject = header(req, 'x-subject-token') ?? '';
    const token = this.state.validToken(subject);
    if (!token) return this.reply(404, keystoneError(404, 'Not Found', `Could not find token: ${subject}.`));
    const body = req.method === 'HEAD' ? undefined : this.tokenBody(token, !req.query.has('nocatalog'));
    return this.reply(200, body, { 'X-Subject-Token': token.id });
  }

  private revoke(req: Req): Reply {
    if (!this.state.validToken(header(req, 'x-auth-token'))) return this.unauthorized();
    const subject = header(req, 'x-subject-token') ?? '';
    const token = this.state.validToken(subject);
    if (!token) return this.reply(404, keystoneError(404, 'Not Found', `Could not find token: ${subject}.`));
    token.revoked = true;
    return this.reply(204);
  }
}
