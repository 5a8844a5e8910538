/**
 * One HTTP exchange with an OpenStack service (Keystone, Nova, Glance, Neutron) over Node's own fetch (undici):
 * a timeout on every request (AbortSignal.timeout, covering the body too), a global request id we
 * choose (`X-OpenStack-Request-ID`, which Nova and Glance adopt and log), the answer's JSON parsed, a
 * non-2xx answer turned into an OpenStackHttpError carrying the service's own message, a request that
 * got no answer into an OpenStackTransportError. Every request is counted (compute_requests_total) and
 * logged at debug with method, path, status, duration and request id; headers and bodies never are,
 * so neither the password (in Keystone's request body) nor a token (in X-Auth-Token / X-Subject-Token)
 * can reach a log line.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../common/logger';
import { computeRequestDuration, computeRequests } from '../../common/metrics';
import type { TlsDispatcher as Dispatcher } from './tls';

export type OpenStackService = 'identity' | 'compute' | 'image' | 'network';

export const serviceName: Record<OpenStackService, string> = { identity: 'Keystone', compute: 'Nova', image: 'Glance', network: 'Neutron' };

/** The service answered, with a status that is not 2xx. */
export class OpenStackHttpError extends Error {
  constructor(
    readonly service: OpenStackService,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The service's own message (Nova's `{"badRequest": {"message": ...}}`, Keystone's `{"error": ...}`). */
    readonly detail: string,
    readonly retryAfterSeconds: number | undefined,
    readonly requestId: string | undefined,
    /** The fault's name when the service gives one: Neutron's `NeutronError.type` (IpAddressAlreadyAllocated, ...). */
    readonly errorType?: string,
  ) {
    super(`${serviceName[service]} answered ${method} ${path} with ${status}: ${detail}`);
    this.name = 'OpenStackHttpError';
  }
}

/** No answer: the request timed out or the connection failed. The request may or may not have been acted on. */
export class OpenStackTransportError extends Error {
  constructor(
    readonly service: OpenStackService,
    readonly method: string,
    readonly path: string,
    readonly kind: 'timeout' | 'connection',
    cause: unknown,
  ) {
    super(
      kind === 'timeout'
        ? `${serviceName[service]} did not answer ${method} ${path} in time.`
        : `Could not reach ${serviceName[service]} for ${method} ${path}: ${describeCause(cause)}`,
      { cause },
    );
    this.name = 'OpenStackTransportError';
  }
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

export interface SendOptions {
  driver: string;
  service: OpenStackService;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Whether the request may be sent again when no answer came (default: GET, PUT and DELETE may). */
  idempotent?: boolean;
  timeoutMs: number;
  log: Logger;
  /** The client's TLS settings (drivers/openstack/tls.ts); fetch's default agent without. */
  dispatcher?: Dispatcher | undefined;
}

export interface SendResult {
  status: number;
  headers: Headers;
  body: unknown;
  requestId: string | undefined;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Math.ceil(Number(trimmed)));
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The message of an OpenStack error body: Nova's `{"itemNotFound": {"code": 404, "message": "..."}}`,
 * Keystone's `{"error": {"code": 401, "title": ..., "message": "..."}}`, a `{"message": ...}`, or text
 * (Glance answers some errors in plain text or HTML).
 */
/** webob's JSON errors (Glance's) end their message with `<br /><br />` and blank lines. */
function tidy(message: string): string {
  return message.replace(/<br\s*\/?>/gi, ' ').trim();
}

export function errorDetail(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (typeof o.message === 'string') return tidy(o.message);
    for (const v of Object.values(o)) {
      if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).message === 'string') {
        return tidy((v as { message: string }).message);
      }
    }
  }
  if (typeof body === 'string' && body.trim()) {
    const text = body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  }
  return `HTTP ${status}`;
}

/** Neutron names its faults (`{"NeutronError": {"type", "message", "detail"}}`): two 409s differ only by it. */
export function errorType(body: unknown): string | undefined {
  const inner = body && typeof body === 'object' ? (body as { NeutronError?: { type?: unknown } }).NeutronError : undefined;
  return typeof inner?.type === 'string' && inner.type ? inner.type : undefined;
}

/** The methods HTTP defines as idempotent: sent again when no answer came, they change nothing twice. */
const IDEMPOTENT = new Set<SendOptions['method']>(['GET', 'PUT', 'DELETE']);
const CONNECTION_RETRIES = 3;

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

export async function send(o: SendOptions): Promise<SendResult> {
  const url = new URL(o.url);
  const path = url.pathname + url.search;
  const ourRequestId = `req-${randomUUID()}`;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'User-Agent': 'octavia-temporal',
    'X-OpenStack-Request-ID': ourRequestId,
    ...o.headers,
  };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  const done = (status: string, extra: Record<string, unknown> = {}) => {
    const seconds = (performance.now() - started) / 1000;
    computeRequests.inc({ driver: o.driver, service: o.service, method: o.method, status });
    computeRequestDuration.observe({ driver: o.driver, service: o.service, method: o.method }, seconds);
    o.log.debug(
      { service: o.service, method: o.method, path, status, durationMs: Math.round(seconds * 1000), ...extra },
      `${serviceName[o.service]} ${o.method} ${path} ${status}`,
    );
  };

  let res: Response | undefined;
  let text: string;
  const deadline = AbortSignal.timeout(o.timeoutMs);
  for (let attempt = 0; ; attempt++) {
    try {
      res = undefined;
      res = await fetch(url, {
        method: o.method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: deadline,
        // Node's fetch is undici's: it takes a dispatcher (not in the DOM RequestInit type).
        ...(o.dispatcher ? ({ dispatcher: o.dispatcher } as object) : {}),
      });
      text = await res.text();
      break;
    } catch (err) {
      const kind = isTimeout(err) ? 'timeout' : 'connection';
      // A kept-alive connection the service (or a proxy) closed as we reused it fails the request
      // before any answer: an idempotent request is safe to send again. The pool may hold several
      // such connections, so up to CONNECTION_RETRIES times (keystonemiddleware's
      // http_request_max_retries), within the request's one timeout.
      if (kind === 'connection' && res === undefined && attempt < CONNECTION_RETRIES && (o.idempotent ?? IDEMPOTENT.has(o.method))) {
        o.log.debug({ service: o.service, method: o.method, path, requestId: ourRequestId, attempt }, `${serviceName[o.service]} closed the connection before answering; sending again`);
        continue;
      }
      done(kind === 'timeout' ? 'timeout' : 'error', { requestId: ourRequestId });
      throw new OpenStackTransportError(o.service, o.method, path, kind, err);
    }
  }
  const requestId = res.headers.get('x-openstack-request-id') ?? res.headers.get('x-compute-request-id') ?? ourRequestId;
  done(String(res.status), { requestId });

  let body: unknown = text;
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // Keep the text: errorDetail shows it.
    }
  }
  if (res.status < 200 || res.status > 299) {
    throw new OpenStackHttpError(
      o.service,
      o.method,
      path,
      res.status,
      errorDetail(body, res.status),
      parseRetryAfter(res.headers.get('retry-after')),
      requestId,
      errorType(body),
    );
  }
  return { status: res.status, headers: res.headers, body: text ? body : undefined, requestId };
}

/** `base` + `path`, keeping the base's path (`http://h/compute/v2.1` + `/servers`). */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
