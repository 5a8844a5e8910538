/**
 * The root of every error the system raises on purpose. A DomainError knows whether retrying the
 * operation can help; common/failures.ts turns that into Temporal's retry semantics and
 * api/errors.ts into Octavia's HTTP faults, each in one place.
 */
export class DomainError extends Error {
  readonly retryable: boolean;

  constructor(message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retryable = opts.retryable ?? false;
  }
}

/** An object a flow must act on does not exist (the seed's LBNotFound, AmphoraNotFound, ...). */
export class NotFoundError extends DomainError {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found.`);
  }
}
