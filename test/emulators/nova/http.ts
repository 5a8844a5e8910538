/**
 * Response plumbing shared by the Keystone, Nova and Glance handlers: what an answer is, Nova's fault
 * bodies, Keystone's error bodies, request ids.
 */
import { randomUUID } from 'node:crypto';

export interface Reply {
  status: number;
  /** undefined: no body (Content-Length 0). A string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Nova's fault names per status (nova.api.openstack.wsgi.Fault._fault_names); anything else is computeFault. */
const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** webob's default explanations, which Nova uses when a fault carries no message of its own. */
const DEFAULT_EXPLANATIONS: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  405: 'The method is not allowed for this resource.',
  409: 'There was a conflict when trying to complete your request.',
  413: 'The request is larger than the server is willing or able to process.',
  415: 'The request media type is not supported by this server.',
  429: 'This request was rate-limited.',
  500:
    'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n' +
    "<class 'keystoneauth1.exceptions.connection.ConnectFailure'>",
  501: 'The server has either erred or is incapable of performing the requested operation.',
  502: 'Bad gateway.',
  503: 'The server is currently unavailable. Please try again at a later time.',
  504: 'The gateway has timed out.',
};

export function novaFaultName(status: number): string {
  return NOVA_FAULT_NAMES[status] ?? 'computeFault';
}

export function defaultExplanation(status: number): string {
  return DEFAULT_EXPLANATIONS[status] ?? 'Unexpected error.';
}

/** Nova's error body: `{"<faultName>": {"code": N, "message": "..."}}`. */
export function novaFaultBody(status: number, message?: string, retryAfter?: string): Record<string, unknown> {
  const inner: Record<string, unknown> = { code: status, message: message ?? defaultExplanation(status) };
  if ((status === 413 || status === 429) && retryAfter !== undefined) inner.retryAfter = retryAfter;
  return { [novaFaultName(status)]: inner };
}

/** An error that becomes a Nova fault (or any other prepared reply) when thrown out of a handler. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

export const fault = (status: number, message?: string): HttpError =>
  new HttpError(status, novaFaultBody(status, message));
export const badRequest = (message: string): HttpError => fault(400, message);
export const forbidden = (message: string): HttpError => fault(403, message);
export const notFound = (message: string): HttpError => fault(404, message);
export const conflict = (message: string): HttpError => fault(409, message);
export const policyForbidden = (rule: string): HttpError =>
  forbidden(`Policy doesn't allow ${rule} to be performed.`);

/** Keystone's (and keystonemiddleware's) error body. */
export function keystoneError(status: number, title: string, message: string): Record<string, unknown> {
  return { error: { code: status, message, title } };
}

export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';

/** webob's JSON rendering of an HTTP exception that is not a Nova fault (router-level 404, Glance errors). */
export function webobJson(status: number, title: string, explanation: string): Record<string, unknown> {
  return { message: `${explanation}<br /><br />\n\n\n`, code: `${status} ${title}`, title };
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** A parsed incoming request, as the handlers see it. */
export interface Req {
  method: string;
  /** The path below the service prefix (e.g. "/v2.1/servers/x" below "/compute"), without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** The body parsed as JSON; undefined when empty or not JSON (see bodyMalformed). */
  body: unknown;
  bodyMalformed: boolean;
}

export function header(req: Req, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Where the emulator is reachable. */
export interface Endpoints {
  origin: string;
  authUrl: string;
  computeRoot: string;
  computeUrl: string;
  imageUrl: string;
  /** The catalog's network endpoint, when a Neutron is mounted (network.ts). */
  networkUrl?: string;
  /** The catalog's load-balancer endpoint (our API), once a test publishes it. */
  loadBalancerUrl?: string;
}
