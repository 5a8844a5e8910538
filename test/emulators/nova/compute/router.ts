/**
 * The compute endpoint: version documents without authentication, then keystonemiddleware's 401,
 * microversion negotiation, routing, and the headers Nova puts on every answer
 * (OpenStack-API-Version, X-OpenStack-Nova-API-Version, Vary, X-OpenStack-Request-Id,
 * X-Compute-Request-Id; `application/json` for results, `application/json; charset=UTF-8` for faults).
 */
import {
  badRequest,
  type Endpoints,
  header,
  HttpError,
  keystoneError,
  newRequestId,
  type Reply,
  type Req,
  UNAUTHORIZED_MESSAGE,
  webobJson,
} from '../http';
import { type Microversion, negotiate, versionHeaders } from '../microversion';
import type { CloudState } from '../state';
import type { ComputeCtx, Ok } from './context';
import * as flavors from './flavors';
import * as keypairs from './keypairs';
import { availabilityZones, availabilityZonesDetail, versionDoc, versionsRoot } from './misc';
import * as groups from './server-groups';
import * as servers from './servers';

type Handler = (ctx: ComputeCtx, params: string[]) => Ok;

export const FAULT_CONTENT_TYPE = 'application/json; charset=UTF-8';

export class Compute {
  private readonly routes: Array<{ method: string; pattern: string[]; handler: Handler }>;

  constructor(
    private readonly state: CloudState,
    private readonly ep: Endpoints,
    private readonly strictPorts: boolean,
  ) {
    const r = (method: string, path: string, handler: Handler) => ({ method, pattern: path.split('/'), handler });
    const p = (params: string[], i: number) => params[i] ?? '';
    this.routes = [
      r('GET', 'servers', (c) => servers.listServers(c, false)),
      r('GET', 'servers/detail', (c) => servers.listServers(c, true)),
      r('POST', 'servers', (c) => servers.createServer(c)),
      r('GET', 'servers/:id', (c, a) => servers.showServer(c, p(a, 0))),
      r('PUT', 'servers/:id', (c, a) => servers.updateServer(c, p(a, 0))),
      r('DELETE', 'servers/:id', (c, a) => servers.deleteServer(c, p(a, 0))),
      r('POST', 'servers/:id/action', (c, a) => servers.serverAction(c, p(a, 0))),
      r('GET', 'servers/:id/metadata', (c, a) => servers.getMetadata(c, p(a, 0))),
      r('POST', 'servers/:id/metadata', (c, a) => servers.setMetadata(c, p(a, 0), false)),
      r('PUT', 'servers/:id/metadata', (c, a) => servers.setMetadata(c, p(a, 0), true)),
      r('GET', 'servers/:id/metadata/:key', (c, a) => servers.getMetadataItem(c, p(a, 0), p(a, 1))),
      r('PUT', 'servers/:id/metadata/:key', (c, a) => servers.setMetadataItem(c, p(a, 0), p(a, 1))),
      r('DELETE', 'servers/:id/metadata/:key', (c, a) => servers.deleteMetadataItem(c, p(a, 0), p(a, 1))),
      r('GET', 'servers/:id/os-interface', (c, a) => servers.listInterfaces(c, p(a, 0))),
      r('POST', 'servers/:id/os-interface', (c, a) => servers.attachInterface(c, p(a, 0), this.strictPorts)),
      r('GET', 'servers/:id/os-interface/:port', (c, a) => servers.showInterface(c, p(a, 0), p(a, 1))),
      r('DELETE', 'servers/:id/os-interface/:port', (c, a) => servers.detachInterface(c, p(a, 0), p(a, 1))),
      r('GET', 'flavors', (c) => flavors.listFlavors(c, false)),
      r('GET', 'flavors/detail', (c) => flavors.listFlavors(c, true)),
      r('POST', 'flavors', (c) => flavors.createFlavor(c)),
      r('GET', 'flavors/:id', (c, a) => flavors.showFlavor(c, p(a, 0))),
      r('PUT', 'flavors/:id', (c, a) => flavors.updateFlavor(c, p(a, 0))),
      r('DELETE', 'flavors/:id', (c, a) => flavors.deleteFlavor(c, p(a, 0))),
      r('GET', 'flavors/:id/os-extra_specs', (c, a) => flavors.listExtraSpecs(c, p(a, 0))),
      r('POST', 'flavors/:id/os-extra_specs', (c, a) => flavors.createExtraSpecs(c, p(a, 0))),
      r('GET', 'flavors/:id/os-extra_specs/:key', (c, a) => flavors.showExtraSpec(c, p(a, 0), p(a, 1))),
      r('PUT', 'flavors/:id/os-extra_specs/:key', (c, a) => flavors.updateExtraSpec(c, p(a, 0), p(a, 1))),
      r('DELETE', 'flavors/:id/os-extra_specs/:key', (c, a) => flavors.deleteExtraSpec(c, p(a, 0), p(a, 1))),
      r('GET', 'os-keypairs', (c) => keypairs.listKeypairs(c)),
      r('POST', 'os-keypairs', (c) => keypairs.createKeypair(c)),
      r('GET', 'os-keypairs/:name', (c, a) => keypairs.showKeypair(c, p(a, 0))),
      r('DELETE', 'os-keypairs/:name', (c, a) => keypairs.deleteKeypair(c, p(a, 0))),
      r('GET', 'os-server-groups', (c) => groups.listServerGroups(c)),
      r('POST', 'os-server-groups', (c) => groups.createServerGroup(c)),
      r('GET', 'os-server-groups/:id', (c, a) => groups.showServerGroup(c, p(a, 0))),
      r('DELETE', 'os-server-groups/:id', (c, a) => groups.deleteServerGroup(c, p(a, 0))),
      r('GET', 'os-availability-zone', () => availabilityZones()),
      r('GET', 'os-availability-zone/detail', (c) => availabilityZonesDetail(c)),
    ];
  }

  /** Whether this request is POST /servers (for faults.dropNextCreateResponse). */
  static isServerCreate(req: Req): boolean {
    return req.method === 'POST' && /^\/v2\.1\/([0-9a-f]{32}\/)?servers\/?$/.test(req.path);
  }

  private match(method: string, segs: string[]): { handler: Handler; params: string[] } | undefined {
    for (const route of this.routes) {
      if (route.method !== method || route.pattern.length !== segs.length) continue;
      const params: string[] = [];
      const ok = route.pattern.every((part, i) => {
        const seg = segs[i] as string;
        if (part.startsWith(':')) {
          params.push(decodeURIComponent(seg));
          return true;
        }
        return part === seg;
      });
      if (ok) return { handler: route.handler, params };
    }
    return undefined;
  }

  handle(req: Req): Reply {
    const requestId = newRequestId();
    const ids = { 'X-OpenStack-Request-Id': requestId, 'X-Compute-Request-Id': requestId };
    const path = req.path;

    // The version documents (Nova's urlmap serves them outside the authenticated pipeline).
    if (path === '' || path === '/') {
      return { status: 200, body: versionsRoot(this.ep), headers: { 'Content-Type': 'application/json' } };
    }
    const versionDocMatch = /^\/(v2|v2\.1)\/?$/.exec(path);
    if (versionDocMatch) {
      let mv: Microversion;
      try {
        mv = negotiate(req.headers);
      } catch (e) {
        return this.faultReply(e, ids, undefined);
      }
      return {
        status: 200,
        body: versionDoc(this.ep, versionDocMatch[1] === 'v2'),
        headers: { 'Content-Type': 'application/json', ...versionHeaders(mv), ...ids },
      };
    }
    if (!path.startsWith('/v2.1/')) {
      return { status: 404, body: webobJson(404, 'Not Found', 'The resource could not be found.'), headers: { 'Content-Type': 'application/json', ...ids } };
    }

    // keystonemiddleware
    const token = this.state.validToken(header(req, 'x-auth-token'));
    if (!token || !token.projectId) return computeUnauthorized(this.ep, ids);

    let mv: Microversion;
    try {
      mv = negotiate(req.headers);
    } catch (e) {
      return this.faultReply(e, ids, undefined);
    }

    const segs = path.slice('/v2.1/'.length).split('/').filter((s) => s !== '');
    const first = segs[0];
    if (first !== undefined && this.state.projects.has(first)) {
      if (first !== token.projectId) {
        return this.faultReply(
          badRequest(`Malformed request URL: URL's project_id '${first}' doesn't match Context's project_id '${token.projectId}'`),
          ids,
          mv,
        );
      }
      segs.shift();
    }
    const route = this.match(req.method, segs);
    if (!route) {
      return { status: 404, body: webobJson(404, 'Not Found', 'The resource could not be found.'), headers: { 'Content-Type': 'application/json', ...ids } };
    }
    const ctx: ComputeCtx = {
      req,
      mv,
      token,
      projectId: token.projectId,
      userId: token.userId,
      isAdmin: token.roles.includes('admin'),
      state: this.state,
      ep: this.ep,
    };
    try {
      const ok = route.handler(ctx, route.params);
      return {
        status: ok.status,
        body: ok.body,
        headers: { 'Content-Type': 'application/json', ...versionHeaders(mv), ...ids, ...(ok.headers ?? {}) },
      };
    } catch (e) {
      return this.faultReply(e, ids, mv);
    }
  }

  private faultReply(e: unknown, ids: Record<string, string>, mv: Microversion | undefined): Reply {
    if (!(e instanceof HttpError)) throw e;
    return {
      status: e.status,
      body: e.body,
      headers: { ...(mv ? versionHeaders(mv) : {}), 'Content-Type': FAULT_CONTENT_TYPE, ...ids, ...e.headers },
    };
  }
}

/** keystonemiddleware's 401 in front of Nova (47-no-token-401.json, 48-bad-token-401.json). */
export function computeUnauthorized(ep: Endpoints, ids: Record<string, string>): Reply {
  return {
    status: 401,
    body: keystoneError(401, 'Unauthorized', UNAUTHORIZED_MESSAGE),
    headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': `Keystone uri="${ep.origin}/identity/"`, ...ids },
  };
}
