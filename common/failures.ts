/**
 * The one mapping from our errors to Temporal failures. Activities throw domain errors; this turns
 * them into ApplicationFailures whose type is the error's class name and whose retryability comes from
 * the error itself, so retry behaviour is decided where the fault is understood (the driver), not in
 * every workflow. Errors we did not raise on purpose stay retryable (Temporal's default): an
 * unexpected fault is more often transient than not.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from './errors';

export function toApplicationFailure(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  const retryAfter = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !err.retryable,
    cause: err.cause instanceof Error ? err.cause : undefined,
    nextRetryDelay: retryAfter ? `${retryAfter}s` : undefined,
  });
}
