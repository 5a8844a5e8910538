/**
 * OpenStack failures -> the compute driver's exception model (../errors.ts), in one place.
 *
 *   no answer (timeout, connection)     retryable (the request may have been acted on: builds are
 *                                       found again by name, deletes are idempotent)
 *   circuit open                        retryable, retryAfterSeconds = time left to the probe
 *   5xx                                 retryable (with Retry-After when the service gave one)
 *   429, 408                            retryable, retryAfterSeconds from Retry-After
 *   413 with Retry-After                retryable (older Nova's rate limit)
 *   409                                 not retryable, unless Nova says the instance is still building
 *                                       ("Cannot '...' instance ... while it is in vm_state building")
 *   404                                 InstanceNotFoundError / ComputeValidationError where the caller
 *                                       says what must exist; otherwise not retryable
 *   400, 401 (after one renewal), 403   not retryable: bad flavor/image/keypair/network, bad
 *   (quota: Nova answers 403), 4xx      credentials, quota exceeded
 *
 * The service's own message is kept in ours; the original error is the cause.
 */
import {
  AmphoraComputeError,
  ComputeValidationError,
  InstanceNotFoundError,
  type ComputeErrorOptions,
} from '../errors';
import { CircuitOpenError } from '../../openstack/breaker';
import { OpenStackHttpError, OpenStackTransportError, serviceName } from '../../openstack/http';

type ComputeErrorClass = new (message: string, opts?: ComputeErrorOptions) => AmphoraComputeError;

export interface ErrorContext {
  /** What we were doing, for the message: "Could not <action>". */
  action: string;
  /** The class of the operation's errors (AmphoraBuildError for build, DeleteFailed for delete...). */
  errorClass?: ComputeErrorClass;
  computeId?: string;
  /** What a 404 means here. */
  notFound?: 'instance' | 'validation';
}

const STILL_BUILDING = /\b(building|spawning|scheduling|networking|block_device_mapping)\b/i;

export function toComputeError(err: unknown, ctx: ErrorContext): AmphoraComputeError {
  if (err instanceof AmphoraComputeError) return err;
  const Cls = ctx.errorClass ?? AmphoraComputeError;
  const base = { computeId: ctx.computeId, cause: err };
  const say = (why: string) => `Could not ${ctx.action}: ${why}`;

  if (err instanceof CircuitOpenError) {
    return new Cls(say(err.message), { ...base, retryable: true, retryAfterSeconds: err.retryAfterSeconds });
  }
  if (err instanceof OpenStackTransportError) {
    return new Cls(say(err.message), { ...base, retryable: true });
  }
  if (err instanceof OpenStackHttpError) {
    const who = serviceName[err.service];
    const msg = say(`${who} answered ${err.status}: ${err.detail}`);
    const s = err.status;
    if (s === 404 && ctx.notFound === 'instance') return new InstanceNotFoundError(msg, base);
    if (s === 404 && ctx.notFound === 'validation') return new ComputeValidationError(msg, base);
    if (s >= 500 || s === 429 || s === 408 || (s === 413 && err.retryAfterSeconds !== undefined)) {
      return new Cls(msg, { ...base, retryable: true, retryAfterSeconds: err.retryAfterSeconds });
    }
    if (s === 409 && err.service === 'compute' && STILL_BUILDING.test(err.detail)) {
      return new Cls(msg, { ...base, retryable: true, retryAfterSeconds: err.retryAfterSeconds });
    }
    return new Cls(msg, { ...base, retryable: false });
  }
  // Not a fault we recognise (a bug, an unexpected answer): retryable, as Temporal's default.
  return new Cls(say(err instanceof Error ? err.message : String(err)), { ...base, retryable: true });
}
