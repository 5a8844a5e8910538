/**
 * The one mapping of errors to HTTP: every DomainError (common/errors.ts) is answered with its code in
 * Octavia's fault body `{"faultcode": "Client"|"Server", "faultstring": "...", "debuginfo": null}`, or,
 * for the faults Octavia's web framework answers itself, in pecan's `{"code", "title", "description"}`,
 * and for what its middleware answers before the API (a WebobFault: Keystone unavailable) in webob's.
 * A 500 never shows its message: internal faults go to the log only.
 */
import type { ErrorRequestHandler } from 'express';
import { DomainError, FrameworkFault, MalformedJson, MethodNotAllowed, NoSuchRoute, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType, WebobFault } from '../common/errors';
import { isDatabaseBusy } from '../common/failures';
import type { Logger } from '../common/logger';

export function faultBody(status: number, message: string) {
  return { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null };
}

/**
 * Express's body parser reports its own failures with a `type`; its router, a path segment that is no
 * valid percent-encoding (`/amphorae/%zz`), as a URIError: such a path names nothing, as no route matches.
 */
function expressFault(err: { type?: string }): DomainError | undefined {
  if (err instanceof URIError) return new NoSuchRoute();
  switch (err.type) {
    case 'entity.parse.failed':
      return new MalformedJson();
    case 'entity.too.large':
      return new PayloadTooLarge();
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaType('charset');
    default:
      return undefined;
  }
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // A database too busy to serve the request in time wrote nothing: a 503 to retry, its cause logged.
    const busy = isDatabaseBusy(err);
    if (busy) log.warn({ err, method: req.method, path: req.path }, 'The database could not serve the request in time');
    const fault = err instanceof DomainError ? err : busy ? new ServiceUnavailable('The database') : expressFault(err);
    if (!fault || fault.code >= 500 && fault.code !== 501 && fault.code !== 503) {
      // Never a stack trace or an internal message to the client: they go to the log only.
      log.error({ err, method: req.method, path: req.path }, 'Unhandled error in API request');
      res.status(500).json(faultBody(500, 'An unknown exception occurred.'));
      return;
    }
    if (fault instanceof MethodNotAllowed) res.set('Allow', fault.allow.join(', '));
    if (fault instanceof FrameworkFault) {
      // pecan's body; a HEAD gets the headers only.
      if (req.method === 'HEAD') res.status(fault.code).type('application/json').end();
      else res.status(fault.code).json({ code: fault.code, title: fault.title, description: fault.message });
      return;
    }
    res.status(fault.code).json(fault instanceof WebobFault ? fault.body : faultBody(fault.code, fault.message));
  };
}
