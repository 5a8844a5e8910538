/**
 * The API's faults, as Octavia's exceptions module has them: each class carries its HTTP code and its
 * message template, and the one error handler renders every one in Octavia's body format
 * `{"faultcode": "Client"|"Server", "faultstring": "...", "debuginfo": null}`.
 */
import type { ErrorRequestHandler } from 'express';
import { DomainError, NotFoundError } from '../common/errors';
import type { Logger } from '../common/logger';

export class ApiFault extends DomainError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class InvalidInput extends ApiFault {
  constructor(field: string, value: unknown, reason: string) {
    super(400, `Invalid input for field/attribute ${field}. Value: '${pyStr(value)}'. ${reason}`);
  }
}

export class UnknownAttributes extends ApiFault {
  constructor(argument: string, attributes: string[]) {
    const noun = attributes.length === 1 ? 'attribute' : 'attributes';
    super(400, `Unknown ${noun} for argument ${argument}: ${attributes.join(', ')}`);
  }
}

export class ValidationFailure extends ApiFault {
  constructor(detail: string) {
    super(400, `Validation failure: ${detail}`);
  }
}

export class InvalidFilter extends ApiFault {
  constructor() {
    super(400, 'One or more arguments are either duplicate or invalid');
  }
}

export class MalformedJson extends ApiFault {
  constructor() {
    super(400, 'Request is not in valid JSON format');
  }
}

export class UnsupportedMediaType extends ApiFault {
  constructor(mimetype: string) {
    super(415, `Unknown mimetype: ${mimetype}`);
  }
}

export class PayloadTooLarge extends ApiFault {
  constructor() {
    super(413, 'Request body is too large');
  }
}

export class NotFound extends ApiFault {
  constructor(resource: string, id: string) {
    super(404, `${resource} ${id} not found.`);
  }
}

/** PUT/DELETE of an object whose own state forbids it. */
export class InvalidState extends ApiFault {
  constructor(resourceType: string, id: string, state: string) {
    super(409, `Invalid state ${state} of ${resourceType} resource ${id}`);
  }
}

/** A child operation while its load balancer is PENDING_*. */
export class ImmutableObject extends ApiFault {
  constructor(resource: string, id: string) {
    super(409, `${resource} ${id} is immutable and cannot be updated.`);
  }
}

export class ServiceUnavailable extends ApiFault {
  constructor(what: string) {
    super(503, `${what} is temporarily unavailable; nothing was changed. Try again.`);
  }
}

/** How Octavia (Python) prints a value in its messages. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function faultBody(status: number, message: string) {
  return { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null };
}

/** Express's body parser reports its own failures with a `type`. */
function bodyParserFault(err: { type?: string }): ApiFault | undefined {
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
    let fault: ApiFault | undefined =
      err instanceof ApiFault ? err : err instanceof NotFoundError ? new NotFound(err.resource, err.id) : bodyParserFault(err);
    if (!fault) {
      // Never a stack trace or an internal message to the client: they go to the log only.
      log.error({ err, method: req.method, path: req.path }, 'Unhandled error in API request');
      fault = new ApiFault(500, 'An unknown exception occurred.');
    }
    res.status(fault.status).json(faultBody(fault.status, fault.message));
  };
}
