/**
 * The amphora driver's errors. Each says whether trying again can help (`retryable`), so Temporal's
 * retry decision comes from the error (common/failures.ts), decided once, here, where the agent's
 * answer is understood:
 *
 *   AmphoraDriverError              base class; carries the amphora id and the agent's HTTP status
 *     AmphoraUnreachableError       connection retries exhausted (Octavia's TimeOutException)   retryable
 *     AmphoraTlsError               the agent's certificate (or ours) was refused: wrong CA, wrong
 *                                   host name (not this amphora), expired, no client certificate  final
 *     AmphoraAgentServerError       5xx from the agent, still failing after the client's retries  retryable
 *     AmphoraConfigRejectedError    400 on a configuration upload: HAProxy (or keepalived) refused it;
 *                                   the message carries the agent's details (haproxy -c output)   final
 *     AmphoraAgentRequestError      any other 4xx (bad request, not found, conflict, unauthorized)  final
 *     AmphoraDriverNotSupported     what this driver or this agent cannot do                       final
 *
 * Messages never carry request bodies: a configuration can hold the heartbeat key.
 */
import { DomainError } from '../../common/errors';

export interface AmphoraErrorOptions {
  amphoraId?: string;
  /** The agent's HTTP status, when it answered. */
  status?: number;
  cause?: unknown;
  retryable?: boolean;
}

export class AmphoraDriverError extends DomainError {
  readonly amphoraId: string | undefined;
  readonly status: number | undefined;

  constructor(message: string, opts: AmphoraErrorOptions = {}) {
    super(message, opts);
    this.amphoraId = opts.amphoraId;
    this.status = opts.status;
  }
}

export class AmphoraUnreachableError extends AmphoraDriverError {
  static override readonly retryableByDefault = true;
}

export class AmphoraTlsError extends AmphoraDriverError {}

export class AmphoraAgentServerError extends AmphoraDriverError {
  static override readonly retryableByDefault = true;
}

export class AmphoraConfigRejectedError extends AmphoraDriverError {
  /** What the agent said (haproxy's output for a configuration it refused). */
  readonly details: string;

  constructor(message: string, details: string, opts: AmphoraErrorOptions = {}) {
    super(details ? `${message}: ${details}` : message, opts);
    this.details = details;
  }
}

export class AmphoraAgentRequestError extends AmphoraDriverError {}

export class AmphoraDriverNotSupported extends AmphoraDriverError {}
