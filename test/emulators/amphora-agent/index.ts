/**
 * An emulator of Octavia 11's amphora agent (API 1.0, gunicorn + Flask) for tests: HTTPS with mutual
 * TLS pinned to TLS 1.2, on a loopback address, answering as the recorded agent answered
 * (test/fixtures/reference/amphora-agent/NN-*.json, copied from shared/reference/amphora-agent; the
 * replay in test/integration/amphora-agent-emulator.test.ts keeps the two equal). README.md beside
 * this file says what is modelled.
 *
 * It keeps an amphora's state as the agent does: NICs waiting to be plugged (by MAC), the VIP plugged
 * on eth1, one haproxy configuration per load balancer and whether it runs, certificates, the agent
 * configuration, keepalived's. Tests can inject faults (a status, a dropped connection, a slow answer)
 * and read every request as it arrived (raw headers, body, SNI, TLS version, client certificate CN).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { splitCertAndKey } from '../../../drivers/amphora/rest/pem';
import { haproxyCheck } from './haproxy-check';

export const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'reference', 'amphora-agent');

/** One recorded exchange (NN-*.json). */
export interface Sample {
  step: string;
  method: string;
  path: string;
  request_headers: Record<string, string>;
  request_body: unknown;
  status: number;
  response_headers: Record<string, string>;
  response_body: unknown;
}

export function loadSample(name: string): Sample {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Sample;
}

export interface AgentEmulatorOptions {
  amphoraId: string;
  /** The agent's agent_server_cert: its certificate and key in one PEM. */
  serverPem: string;
  /** Its agent_server_ca: the CA client certificates must chain to. */
  clientCaPem: string;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** MACs of NICs present but not yet plugged (a hot-plugged VIP port). */
  nics?: string[];
  /** [controller_worker] loadbalancer_topology of the amphora (reported by /details). */
  topology?: 'SINGLE' | 'ACTIVE_STANDBY';
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** As sent: names in their case, in their order. */
  headers: Array<[string, string]>;
  body: string;
  /** SNI the client sent. */
  servername: string | false;
  tlsVersion: string | null;
  /** CN of the client certificate. */
  clientCn: string | undefined;
}

/** A fault for the next matching request(s): an answer of our choosing, a dropped connection, a delay. */
export interface Fault {
  method?: string;
  /** Matches when the path starts with this. */
  path?: string;
  status?: number;
  body?: unknown;
  /** Default application/json; anything else sends `body` as text. */
  contentType?: string;
  /** Close the connection without an answer. */
  drop?: boolean;
  /** Wait this long first (then answer as injected, or as the agent would). */
  delayMs?: number;
}

interface LoadBalancerState {
  config: string;
  running: boolean;
  certificates: Map<string, string>;
}

interface PluggedVip {
  vip: string;
  vrrpIp: string | null;
  mac: string;
  subnetCidr: string;
  gateway: string | null;
  mtu: number | null;
  hostRoutes: unknown;
}

interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  etag?: string;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const json = (status: number, body: unknown, etag?: string): Reply => ({ status, body, etag });
/** Flask's own errors (octavia's make_json_error): werkzeug's text. */
const flaskError = (status: number, text: string): Reply => json(status, { error: `${status} ${text}`, http_code: status });
const NOT_FOUND = flaskError(404, 'Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.');
const lbNotFound = (lb: string) => json(404, { message: 'Loadbalancer Not Found', details: `No loadbalancer with UUID: ${lb}` });

export class AmphoraAgentEmulator {
  readonly requests: RecordedRequest[] = [];
  /** TLS handshakes the agent refused (no client certificate, an untrusted one, another protocol). */
  tlsRejections = 0;
  readonly loadBalancers = new Map<string, LoadBalancerState>();
  readonly vips: PluggedVip[] = [];
  /** Member NICs plugged (POST /1.0/plug/network), in the haproxy namespace as eth2, eth3, ... */
  readonly networks: Array<{ mac: string; interface: string; fixedIps: unknown; mtu: number | null }> = [];
  agentConfig: string | undefined;
  keepalived: { config: string | undefined; running: boolean } = { config: undefined, running: false };
  private readonly nics: Set<string>;
  private readonly faults: Array<{ fault: Fault; times: number }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly info: Record<string, unknown>;
  private readonly detailsTemplate: Record<string, unknown>;
  private server!: Server;
  host!: string;
  port!: number;

  private constructor(private readonly options: AgentEmulatorOptions) {
    this.nics = new Set((options.nics ?? []).map((m) => m.toLowerCase()));
    this.info = { ...(loadSample('02-get-info.json').response_body as Record<string, unknown>), hostname: `amphora-${options.amphoraId}` };
    this.detailsTemplate = loadSample('03-get-details-empty.json').response_body as Record<string, unknown>;
  }

  static async start(options: AgentEmulatorOptions): Promise<AmphoraAgentEmulator> {
    const emu = new AmphoraAgentEmulator(options);
    await emu.listen();
    return emu;
  }

  get amphoraId(): string {
    return this.options.amphoraId;
  }

  /** The VIP NIC appears (Nova finished hot-plugging it). */
  addNic(mac: string): void {
    this.nics.add(mac.toLowerCase());
  }

  inject(fault: Fault, times = 1): void {
    this.faults.push({ fault, times });
  }

  /** Requests under /1.0/... and /, as "METHOD path". */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const { cert, key } = splitCertAndKey(this.options.serverPem, 'the emulator server certificate');
    this.server = createServer(
      {
        cert,
        key,
        ca: this.options.clientCaPem,
        requestCert: true,
        rejectUnauthorized: true,
        // gunicorn's ssl_version=PROTOCOL_TLSv1_2 (agent_tls_protocol).
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
      },
      (req, res) => void this.handle(req, res),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('tlsClientError', () => this.tlsRejections++);
    await new Promise<void>((resolve) => this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    this.host = address.address;
    this.port = address.port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const socket = req.socket as TLSSocket;
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const peer = socket.getPeerCertificate();
    this.requests.push({
      method,
      path: url,
      headers,
      body,
      servername: (socket as TLSSocket & { servername?: string | false }).servername ?? false,
      tlsVersion: socket.getProtocol(),
      clientCn: typeof peer?.subject?.CN === 'string' ? peer.subject.CN : undefined,
    });

    const fault = this.takeFault(method, url);
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.drop) {
      socket.destroy();
      return;
    }
    const reply = fault?.status !== undefined ? { status: fault.status, body: fault.body ?? {}, contentType: fault.contentType } : this.route(method, url, body);
    this.send(res, reply);
  }

  private takeFault(method: string, url: string): Fault | undefined {
    const i = this.faults.findIndex(({ fault }) => (!fault.method || fault.method === method) && (!fault.path || url.startsWith(fault.path)));
    if (i < 0) return undefined;
    const entry = this.faults[i]!;
    if (--entry.times <= 0) this.faults.splice(i, 1);
    return entry.fault;
  }

  private send(res: ServerResponse, reply: Reply): void {
    const contentType = reply.contentType ?? 'application/json';
    const text = contentType === 'application/json' ? JSON.stringify(reply.body) : String(reply.body);
    res.statusCode = reply.status;
    res.setHeader('Server', 'gunicorn');
    res.setHeader('Connection', 'close');
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    if (reply.etag) res.setHeader('ETag', reply.etag);
    res.end(text);
  }

  private route(method: string, url: string, body: string): Reply {
    if (url === '/' && method === 'GET') return json(200, { api_version: '1.0' });
    const m = /^\/1\.0\/(.*)$/.exec(url);
    if (!m) return NOT_FOUND;
    const parts = m[1]!.split('/').map(decodeURIComponent);
    const [head, ...rest] = parts;
    switch (`${method} ${head}/${rest.length}`) {
      case 'GET info/0':
        return json(200, this.info);
      case 'GET details/0':
        return json(200, this.details());
      case 'GET listeners/0':
        return json(200, this.listeners());
      case 'POST plug/2':
        return rest[0] === 'vip' ? this.plugVip(rest[1]!, body) : NOT_FOUND;
      case 'POST plug/1':
        return rest[0] === 'network' ? this.plugNetwork(body) : NOT_FOUND;
      case 'GET interface/1':
        return this.interfaceOf(rest[0]!);
      case 'PUT loadbalancer/3':
        return rest[2] === 'haproxy' ? this.uploadHaproxy(rest[1]!, body) : this.certificate(method, rest, body);
      case 'GET loadbalancer/2':
        return rest[1] === 'haproxy' ? this.getHaproxy(rest[0]!) : NOT_FOUND;
      case 'PUT loadbalancer/2':
        return this.lbAction(rest[0]!, rest[1]!);
      case 'GET loadbalancer/3':
      case 'DELETE loadbalancer/3':
        return this.certificate(method, rest, body);
      case 'DELETE listeners/1':
        this.loadBalancers.delete(rest[0]!);
        return json(200, { message: 'OK' });
      case 'PUT config/0':
        this.agentConfig = body;
        return json(202, { message: 'OK' });
      case 'PUT vrrp/1':
        return this.vrrp(rest[0]!, body);
      default:
        return NOT_FOUND;
    }
  }

  private details(): Record<string, unknown> {
    const networks = Object.fromEntries(this.vips.map(() => ['eth1', { network_tx: 0, network_rx: 0 }]));
    return {
      ...this.detailsTemplate,
      hostname: `amphora-${this.amphoraId}`,
      networks,
      topology: this.options.topology ?? 'SINGLE',
      listeners: this.listeners().map((l) => l.uuid),
    };
  }

  /** As the agent parses them from the configuration files: every frontend with its mode. */
  private listeners(): Array<{ status: string; uuid: string; type: string }> {
    const out: Array<{ status: string; uuid: string; type: string }> = [];
    for (const lb of this.loadBalancers.values()) {
      let current: string | undefined;
      for (const line of lb.config.split('\n')) {
        const frontend = /^frontend\s+(\S+)/.exec(line);
        if (frontend) current = frontend[1];
        const mode = /^\s+mode\s+(\S+)/.exec(line);
        if (current && mode) {
          out.push({ status: 'ACTIVE', uuid: current, type: mode[1]!.toUpperCase() });
          current = undefined;
        }
      }
    }
    return out;
  }

  private plugVip(vip: string, body: string): Reply {
    let net: Record<string, unknown>;
    try {
      net = JSON.parse(body) as Record<string, unknown>;
      if (typeof net !== 'object' || net === null || Array.isArray(net) || !('subnet_cidr' in net) || !('gateway' in net) || !('mac_address' in net)) {
        throw new Error('missing');
      }
    } catch {
      return flaskError(400, 'Bad Request: Invalid subnet information');
    }
    if (!isIP(vip)) return json(400, { message: `Invalid VIP: '${vip}' does not appear to be an IPv4 or IPv6 address` });
    const mac = String(net.mac_address).toLowerCase();
    if (this.vips.some((v) => v.mac === mac)) return json(409, { message: 'Interface already exists' });
    if (!this.nics.has(mac)) return json(404, { details: 'No suitable network interface found' });
    this.nics.delete(mac);
    this.vips.push({
      vip,
      vrrpIp: (net.vrrp_ip as string | undefined) ?? null,
      mac,
      subnetCidr: String(net.subnet_cidr),
      gateway: (net.gateway as string | null) ?? null,
      mtu: (net.mtu as number | undefined) ?? null,
      hostRoutes: net.host_routes ?? [],
    });
    return json(202, { message: 'OK', details: `VIPs plugged on interface eth1: ${vip}` });
  }

  /**
   * The agent's plug_network (api_server/plug.py): the NIC by MAC moved into the namespace as the next
   * ethN and configured (202 "Plugged on interface ethN"); one there already is rewritten (202 "Updated
   * existing interface ethN"); no such NIC is 404 "No suitable network interface found".
   */
  private plugNetwork(body: string): Reply {
    let port: Record<string, unknown>;
    try {
      port = JSON.parse(body) as Record<string, unknown>;
      if (typeof port !== 'object' || port === null || Array.isArray(port) || !('mac_address' in port)) throw new Error('missing');
    } catch {
      return flaskError(400, 'Bad Request: Invalid port information');
    }
    const mac = String(port.mac_address).toLowerCase();
    const mtu = (port.mtu as number | undefined) ?? null;
    const existing = this.networks.find((n) => n.mac === mac);
    if (existing) {
      Object.assign(existing, { fixedIps: port.fixed_ips ?? [], mtu });
      return json(202, { message: 'OK', details: `Updated existing interface ${existing.interface}` });
    }
    if (!this.nics.has(mac)) return json(404, { details: 'No suitable network interface found' });
    this.nics.delete(mac);
    // lo and the VIP's eth1 are the namespace's first links.
    const iface = `eth${2 + this.networks.length}`;
    this.networks.push({ mac, interface: iface, fixedIps: port.fixed_ips ?? [], mtu });
    return json(202, { message: 'OK', details: `Plugged on interface ${iface}` });
  }

  private interfaceOf(ip: string): Reply {
    if (!isIP(ip)) return json(400, { message: 'Invalid IP address' });
    if (this.vips.some((v) => v.vip === ip || v.vrrpIp === ip)) return json(200, { message: 'OK', interface: 'eth1' });
    return json(404, { message: 'Error interface not found for IP address' });
  }

  private uploadHaproxy(lbId: string, config: string): Reply {
    // The agent strips `group` lines (it adds its own user-group file), then runs haproxy -c.
    const cleaned = config.replace(/\s+group\s.+/g, '');
    const failure = haproxyCheck(cleaned, `/var/lib/octavia/${lbId}/haproxy.cfg.new`);
    if (failure) return json(400, { message: 'Invalid request', details: failure });
    const lb = this.loadBalancers.get(lbId);
    this.loadBalancers.set(lbId, { config: cleaned, running: lb?.running ?? false, certificates: lb?.certificates ?? new Map() });
    return json(202, { message: 'OK' }, md5(config));
  }

  private getHaproxy(lbId: string): Reply {
    const lb = this.loadBalancers.get(lbId);
    if (!lb) return lbNotFound(lbId);
    return { status: 200, body: lb.config, contentType: 'text/plain; charset=UTF-8', etag: md5(lb.config) };
  }

  /** The agent's start_stop_lb: the action is checked first, then that the load balancer exists. */
  private lbAction(lbId: string, requested: string): Reply {
    let action = requested.toLowerCase();
    if (!['start', 'stop', 'reload'].includes(action)) return json(400, { message: 'Invalid Request', details: `Unknown action: ${action}` });
    const lb = this.loadBalancers.get(lbId);
    if (!lb) return lbNotFound(lbId);
    // HAProxy does not start on a reload: the agent turns a reload of a stopped one into a start.
    if (action === 'reload' && !lb.running) action = 'start';
    lb.running = action !== 'stop';
    if (action === 'stop' || action === 'reload') return json(202, { message: 'OK', details: `Listener ${lbId} ${action}ed` });
    return json(202, { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lbId} started` });
  }

  private certificate(method: string, rest: string[], body: string): Reply {
    const [lbId, kind, filename] = rest as [string, string, string];
    if (kind !== 'certificates') return NOT_FOUND;
    if (!filename.endsWith('.pem')) return json(400, { message: 'Filename has wrong extension', details: `${filename} is not a valid filename` });
    const lb = this.loadBalancers.get(lbId) ?? { config: '', running: false, certificates: new Map<string, string>() };
    const pem = lb.certificates.get(filename);
    switch (method) {
      case 'PUT':
        lb.certificates.set(filename, body);
        if (!this.loadBalancers.has(lbId)) this.loadBalancers.set(lbId, lb);
        return json(200, { message: 'OK' }, md5(body));
      case 'GET':
        return pem === undefined
          ? json(404, { message: 'Certificate Not Found', details: `No certificate with filename: ${filename}` })
          : json(200, { md5sum: md5(pem) }, md5(pem));
      default:
        lb.certificates.delete(filename);
        return json(200, { message: 'OK' });
    }
  }

  private vrrp(action: string, body: string): Reply {
    if (action === 'upload') {
      this.keepalived.config = body;
      return json(200, { message: 'OK' });
    }
    if (!['start', 'stop', 'reload'].includes(action)) return json(400, { message: 'Invalid Request', details: `Unknown action: ${action}` });
    if (!this.keepalived.config) {
      return json(500, { message: `Failed to ${action} octavia-keepalived service`, details: 'Job for octavia-keepalived.service failed.' });
    }
    this.keepalived.running = action !== 'stop';
    return json(202, { message: 'OK', details: `keepalived ${action}ed` });
  }
}
