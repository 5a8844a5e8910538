/**
 * A Nova (Compute API v2.1, as Nova 26 / Zed answers) + Keystone v3 (22) + a sliver of Glance v2,
 * in-process, on 127.0.0.1 and a free port, for testing a Nova compute driver without OpenStack.
 * The recorded exchanges in test/fixtures/reference/nova (copied from shared/reference/nova) are the ground truth; README.md beside this file
 * says what is modelled and how.
 *
 *   /identity/v3/...   Keystone      (authUrl)
 *   /compute/v2.1/...  Nova          (computeUrl, as published in the catalog)
 *   /image/v2/...      Glance        (imageUrl, in the catalog as 'image')
 *   /network/v2.0/...  Neutron       (networkUrl, in the catalog as 'network'), only when one is
 *                                    given (`network`: test/emulators/neutron; see network.ts)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Glance } from './glance';
import {
  type Endpoints,
  header,
  HttpError,
  keystoneError,
  newRequestId,
  novaFaultBody,
  type Reply,
  type Req,
} from './http';
import { Identity } from './identity';
import type { NetworkBackend } from './network';
import { negotiate, versionHeaders } from './microversion';
import { Compute, computeUnauthorized, FAULT_CONTENT_TYPE } from './compute/router';
import { serverStatus } from './compute/server-views';
import { CloudState, IDS, OCTAVIA_KEY_NAME, REGION } from './state';

export { IDS, HOST, OCTAVIA_KEY_NAME } from './state';

export interface NovaEmulatorOptions {
  /** ms a server stays in BUILD before ACTIVE (default 200). */
  bootMs?: number;
  /** Keystone token lifetime in seconds (default 3600). */
  tokenTtlSeconds?: number;
  /** ms a deleted server shows task_state 'deleting' before it is gone (default: bootMs). */
  deleteMs?: number;
  /** ms stop/start/reboot take (default: bootMs / 2). */
  actionMs?: number;
  /**
   * os-interface attach of a port the emulator does not know: false (default) takes it as a port made
   * in Neutron elsewhere; true answers 404 "Port id ... could not be found." as Nova does for a port
   * Neutron does not have.
   */
  strictPorts?: boolean;
  /**
   * A Neutron to mount at /network (test/emulators/neutron): it answers the catalog's network
   * endpoint, and Nova asks it about networks and ports (attach rewrites, ports of booted servers).
   */
  network?: NetworkBackend;
}

export interface ForcedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface NovaEmulator {
  /** Keystone v3 base, e.g. http://127.0.0.1:PORT/identity/v3 — what OS_AUTH_URL points at. */
  authUrl: string;
  /** The compute endpoint as published in the catalog, e.g. http://127.0.0.1:PORT/compute/v2.1 */
  computeUrl: string;
  /** The image (Glance) endpoint as published in the catalog, e.g. http://127.0.0.1:PORT/image */
  imageUrl: string;
  /** The network (Neutron) endpoint as published in the catalog, e.g. http://127.0.0.1:PORT/network, when one is mounted. */
  networkUrl?: string;
  /** Credentials the emulator accepts (service account): user 'octavia', password 'octavia-pass', project 'service', user/project domain 'Default', region 'RegionOne'; plus a member-role user 'demo'/'demo-pass' in project 'demo' for 403 cases. */
  credentials: {
    username: string;
    password: string;
    projectName: string;
    userDomainName: string;
    projectDomainName: string;
    regionName: string;
  };
  /** The member-role user (also a member of 'service', to read its servers as 50-*.json does). */
  memberCredentials: { username: string; password: string; projectName: string; userDomainName: string; projectDomainName: string };
  /** What the emulator starts with. */
  seed: {
    serviceProjectId: string;
    demoProjectId: string;
    octaviaUserId: string;
    /** Glance image tagged 'amphora' (private to 'service'). */
    amphoraImageId: string;
    /** The public image of the recordings ('novaref-tiny'). */
    tinyImageId: string;
    /** Private flavor 'm1.amphora' (1 vCPU, 1024 MB, 3 GB). */
    amphoraFlavorId: string;
    /** Public flavor 'm1.tiny' ("1"). */
    tinyFlavorId: string;
    /** 'lb-mgmt-net', 192.168.0.0/24. */
    mgmtNetworkId: string;
    /** Security group 'lb-mgmt-sec-grp'. */
    mgmtSecurityGroupId: string;
    /** Key pair of user octavia. */
    keyName: string;
    /** The one compute host. */
    host: string;
    availabilityZone: string;
  };
  faults: {
    /** Forced responses for the next compute (not identity) requests, consumed in order: e.g. {status: 503}, {status: 429, headers: {'Retry-After': '2'}}. Bodies default to Nova's format for the status. */
    next: ForcedResponse[];
    /** The next POST /servers creates the server but destroys the connection without replying (a lost response). */
    dropNextCreateResponse: boolean;
    /** Added delay on every compute request, ms. */
    latencyMs: number;
    /**
     * One-shot hangs: the next compute requests are each held this many ms (consumed in order), then
     * handled as usual. Longer than the client's timeout, the work is done after the caller gave up
     * (a server created that nobody heard of).
     */
    hangNextMs: number[];
    /** Servers created from now on go to ERROR with a NoValidHost fault (as 34-server-get-ERROR-novalidhost.json). */
    buildFailsNoValidHost: boolean;
    /**
     * An identity request that comes on a kept-alive connection (not the connection's first) has the
     * connection closed before any answer: a Keystone (or its proxy) closing idle connections as the
     * client reuses them.
     */
    identityDropsReusedConnections: boolean;
    /** Every identity request has its connection closed before any answer: Keystone cannot be reached. */
    identityDown: boolean;
    /** How many identity connections were closed so, for tests to know the fault happened. */
    identityConnectionsDropped: number;
  };
  /** Every request received (method, path, headers with X-Auth-Token redacted, body) for assertions. */
  requests: RecordedRequest[];
  /** Makes every issued token invalid at once (the next call with one gets 401), to test refresh. */
  expireTokens(): void;
  /** Publishes our API in the catalog as the 'load-balancer' service (for clients that find it there, as gophercloud). */
  publishLoadBalancer(url: string): void;
  /** Server records (not deleted) for leak checks. A server being deleted is listed until it is gone. */
  liveServers(): Array<{ id: string; name: string; status: string; taskState: string | null }>;
  /** Registers a network ("in Neutron") for `networks: [{uuid}]`; returns its id. */
  addNetwork(name: string, id?: string): string;
  /** Registers an unbound port ("in Neutron") on a network (default lb-mgmt-net); returns its id. */
  addPort(networkId?: string, id?: string): string;
  /** Registers a security group ("in Neutron"); returns its id. */
  addSecurityGroup(name: string, id?: string): string;
  stop(): Promise<void>;
}

const REDACTED = '<redacted>';

function redactBody(path: string, body: unknown): unknown {
  if (!path.startsWith('/identity') || typeof body !== 'object' || body === null) return body;
  const copy = JSON.parse(JSON.stringify(body)) as { auth?: { identity?: { password?: { user?: { password?: unknown } } } } };
  const user = copy.auth?.identity?.password?.user;
  if (user && 'password' in user) user.password = REDACTED;
  return copy;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let payload: Buffer;
  if (reply.body === undefined) payload = Buffer.alloc(0);
  else if (typeof reply.body === 'string') payload = Buffer.from(reply.body);
  else payload = Buffer.from(JSON.stringify(reply.body));
  headers['Content-Length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  res.end(payload);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startNovaEmulator(opts: NovaEmulatorOptions = {}): Promise<NovaEmulator> {
  const bootMs = opts.bootMs ?? 200;
  const state = new CloudState({
    bootMs,
    deleteMs: opts.deleteMs ?? bootMs,
    actionMs: opts.actionMs ?? Math.max(1, Math.floor(bootMs / 2)),
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    strictPorts: opts.strictPorts ?? false,
    ...(opts.network ? { network: opts.network } : {}),
  });
  const faults: NovaEmulator['faults'] = {
    next: [],
    dropNextCreateResponse: false,
    latencyMs: 0,
    hangNextMs: [],
    buildFailsNoValidHost: false,
    identityDropsReusedConnections: false,
    identityDown: false,
    identityConnectionsDropped: 0,
  };
  /** Requests seen per connection, to tell a kept-alive connection's reuse. */
  const requestsOnSocket = new WeakMap<Socket, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  let ep: Endpoints | undefined;
  let identity: Identity | undefined;
  let glance: Glance | undefined;
  let compute: Compute | undefined;

  const forced = (f: ForcedResponse, req: Req): Reply => {
    const requestId = newRequestId();
    const headers: Record<string, string> = {
      'Content-Type': f.status < 400 ? 'application/json' : FAULT_CONTENT_TYPE,
      'X-OpenStack-Request-Id': requestId,
      'X-Compute-Request-Id': requestId,
    };
    try {
      Object.assign(headers, versionHeaders(negotiate(req.headers)));
    } catch {
      // no version headers for an unparseable version
    }
    if (f.status === 401 && f.body === undefined && ep) {
      return computeUnauthorized(ep, { 'X-OpenStack-Request-Id': requestId, 'X-Compute-Request-Id': requestId });
    }
    const retryAfter = Object.entries(f.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
    const body = f.body !== undefined ? f.body : f.status >= 400 ? novaFaultBody(f.status, undefined, retryAfter) : undefined;
    return { status: f.status, body, headers: { ...headers, ...(f.headers ?? {}) } };
  };

  const server = createServer((req, res) => {
    requestsOnSocket.set(req.socket, (requestsOnSocket.get(req.socket) ?? 0) + 1);
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let parsed: unknown;
      let malformed = false;
      if (raw.length > 0) {
        try {
          parsed = JSON.parse(raw);
        } catch {
          malformed = true;
        }
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined) continue;
        headers[k] = k === 'x-auth-token' || k === 'x-subject-token' ? REDACTED : Array.isArray(v) ? v.join(', ') : v;
      }
      const fullPath = url.pathname + url.search;
      requests.push({ method: req.method ?? 'GET', path: fullPath, headers, body: malformed ? raw : redactBody(url.pathname, parsed) });

      const prefix = /^\/(identity|compute|image|network)(\/.*)?$/.exec(url.pathname);
      const service = prefix?.[1];
      const r: Req = {
        method: req.method ?? 'GET',
        path: prefix?.[2] ?? '',
        query: url.searchParams,
        headers: req.headers,
        rawBody: raw,
        body: parsed,
        bodyMalformed: malformed,
      };
      if (!ep || !identity || !glance || !compute) throw new Error('emulator not started');

      if (service === 'identity') {
        const reused = (requestsOnSocket.get(req.socket) ?? 0) > 1;
        if (faults.identityDown || (faults.identityDropsReusedConnections && reused)) {
          faults.identityConnectionsDropped++;
          req.socket.destroy();
          return;
        }
        send(res, identity.handle(r));
        return;
      }
      if (service === 'image') {
        send(res, glance.handle(r));
        return;
      }
      if (service === 'network' && opts.network) {
        if (opts.network.latencyMs) await sleep(opts.network.latencyMs);
        // What Nova has due (a server's delete releasing its ports) shows in Neutron too.
        state.tick();
        const token = state.validToken(header(r, 'x-auth-token'));
        const caller = token ? { userId: token.userId, projectId: token.projectId, roles: [...token.roles] } : undefined;
        send(res, opts.network.handle(r, caller, ep.origin));
        return;
      }
      if (service !== 'compute') {
        send(res, { status: 404, body: keystoneError(404, 'Not Found', 'The resource could not be found.'), headers: { 'Content-Type': 'application/json' } });
        return;
      }

      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      const hang = faults.hangNextMs.shift();
      if (hang) await sleep(hang);
      const f = faults.next.shift();
      if (f) {
        send(res, forced(f, r));
        return;
      }
      state.buildFailsNoValidHost = faults.buildFailsNoValidHost;
      let reply: Reply;
      try {
        reply = compute.handle(r);
      } catch (e) {
        const requestId = newRequestId();
        reply = {
          status: 500,
          body: novaFaultBody(500, `Unexpected API Error. ${e instanceof HttpError ? e.message : String(e)}`),
          headers: { 'Content-Type': FAULT_CONTENT_TYPE, 'X-OpenStack-Request-Id': requestId, 'X-Compute-Request-Id': requestId },
        };
      }
      if (faults.dropNextCreateResponse && Compute.isServerCreate(r) && reply.status === 202) {
        faults.dropNextCreateResponse = false;
        req.socket.destroy();
        return;
      }
      send(res, reply);
    })().catch((e: unknown) => {
      if (!res.headersSent) {
        send(res, { status: 500, body: novaFaultBody(500, String(e)), headers: { 'Content-Type': FAULT_CONTENT_TYPE } });
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  ep = {
    origin,
    authUrl: `${origin}/identity/v3`,
    computeRoot: `${origin}/compute`,
    computeUrl: `${origin}/compute/v2.1`,
    imageUrl: `${origin}/image`,
    ...(opts.network ? { networkUrl: `${origin}/network` } : {}),
  };
  identity = new Identity(state, ep);
  glance = new Glance(state, ep);
  compute = new Compute(state, ep, opts.strictPorts ?? false);

  return {
    authUrl: ep.authUrl,
    computeUrl: ep.computeUrl,
    imageUrl: ep.imageUrl,
    ...(ep.networkUrl ? { networkUrl: ep.networkUrl } : {}),
    credentials: {
      username: 'octavia',
      password: 'octavia-pass',
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
      regionName: REGION,
    },
    memberCredentials: {
      username: 'demo',
      password: 'demo-pass',
      projectName: 'demo',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    },
    seed: {
      serviceProjectId: IDS.serviceProject,
      demoProjectId: IDS.demoProject,
      octaviaUserId: IDS.octaviaUser,
      amphoraImageId: IDS.amphoraImage,
      tinyImageId: IDS.tinyImage,
      amphoraFlavorId: IDS.amphoraFlavor,
      tinyFlavorId: IDS.tinyFlavor,
      mgmtNetworkId: IDS.mgmtNetwork,
      mgmtSecurityGroupId: IDS.mgmtSecurityGroup,
      keyName: OCTAVIA_KEY_NAME,
      host: 'novaref-compute',
      availabilityZone: 'nova',
    },
    faults,
    requests,
    expireTokens: () => state.expireTokens(),
    publishLoadBalancer: (url: string) => {
      ep.loadBalancerUrl = url;
    },
    liveServers: () => {
      state.tick();
      return [...state.servers.values()]
        .filter((s) => !s.deleted)
        .map((s) => ({ id: s.id, name: s.name, status: serverStatus(s), taskState: s.taskState }));
    },
    addNetwork: (name, id) => state.addNetwork(name, id).id,
    addPort: (networkId, id) => state.addPort(networkId, id).id,
    addSecurityGroup: (name, id) => state.addSecurityGroup(name, id).id,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}


