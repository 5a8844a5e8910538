/**
 * The compute driver's exception model, from the compute-driver-interface spec:
 *
 *   NotImplementedError            functionality not implemented / not supported
 *   AmphoraComputeError            base class and catch-all
 *     AmphoraBuildError            an amphora of the requested type could not be built
 *     DeleteFailed                 the amphora could not be deleted
 *     InstanceNotFoundError        no instance matches the criteria
 *     NotSuspendedError            resume() on an instance that was not suspended
 *     ComputeValidationError       (ours) a flavor / image / zone that does not exist
 *     AmphoraBootTimeout           (ours) the instance did not become ACTIVE within the boot timeout
 *
 * Every error carries the compute id it concerns (when known) and its cause. `retryable` says whether
 * trying the same call again can succeed (a transient fault) or cannot (bad input, quota, not found);
 * common/failures.ts maps it once to Temporal's non-retryable failures.
 */
import { DomainError } from '../../common/errors';

export interface ComputeErrorOptions {
  computeId?: string;
  cause?: unknown;
  retryable?: boolean;
  /** Seconds the compute service asked us to wait (HTTP 429/503 Retry-After). */
  retryAfterSeconds?: number;
}

/** Retryable unless its raiser (or its class) says otherwise: most compute faults pass. */
export class AmphoraComputeError extends DomainError {
  static override readonly retryableByDefault: boolean = true;
  readonly computeId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, opts: ComputeErrorOptions = {}) {
    super(message, opts);
    this.computeId = opts.computeId;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export class AmphoraBuildError extends AmphoraComputeError {}

export class DeleteFailed extends AmphoraComputeError {}

/** Final: asking again will not make the instance appear. */
export class InstanceNotFoundError extends AmphoraComputeError {
  static override readonly retryableByDefault = false;
}

/**
 * The seed's error for resume() of an instance that was not suspended. The port has no suspend/resume
 * (no flow suspends an amphora, as in Octavia), so no driver raises it yet; it is part of the model a
 * driver that adds resume() raises. Final.
 */
export class NotSuspendedError extends AmphoraComputeError {
  static override readonly retryableByDefault = false;
}

/** A flavor, image or availability zone that does not exist (or is not usable): asking again will not help. */
export class ComputeValidationError extends AmphoraComputeError {
  static override readonly retryableByDefault = false;
}

/** The seed's NotImplementedError: the driver does not support this (e.g. an amphora type other than VM). Final. */
export class ComputeNotImplementedError extends AmphoraComputeError {
  static override readonly retryableByDefault = false;
}

/**
 * The boot wait gave up: the instance is still BUILD (or UNKNOWN) when AMP_BOOT_TIMEOUT_SECONDS is
 * nearly over. Final: the flow compensates (deletes the instance), and no poll may follow. The message
 * names the configured timeout, and how long the wait ran (a little less: it ends before its deadline).
 */
export class AmphoraBootTimeout extends AmphoraComputeError {
  static override readonly retryableByDefault = false;

  constructor(
    readonly amphoraId: string,
    readonly timeoutSeconds: number,
    readonly waitedSeconds: number,
    readonly status: string,
    opts: ComputeErrorOptions = {},
  ) {
    super(`amphora ${amphoraId} not ACTIVE within its boot timeout of ${timeoutSeconds} s (status ${status} after ${waitedSeconds} s)`, opts);
  }
}
