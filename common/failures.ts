/**
 * The one mapping from our errors to Temporal failures. Activities throw domain errors; this turns
 * them into ApplicationFailures whose type is the error's class name and whose retryability comes from
 * the error itself, so retry behaviour is decided where the fault is understood (the driver), not in
 * every workflow. Database errors that no retry can change (a row that is not there, a unique or
 * foreign key violation) are final too. Errors we did not raise on purpose stay retryable (Temporal's
 * default): an unexpected fault is more often transient than not.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from './errors';

/** Prisma's known request errors whose cause is the data, not the connection: the same call fails the same way again. */
const permanentDatabaseErrors: Record<string, string> = {
  P2025: 'RecordNotFound',
  P2002: 'UniqueConstraintViolation',
  P2003: 'ForeignKeyConstraintViolation',
};

/** Recognised by shape, not class: the generated Prisma client is a room above this one. */
function databaseErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== 'PrismaClientKnownRequestError') return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The database could not give a request a connection (P2024) or a transaction (P2028) in time: the
 * transaction never committed, nothing was written, the same request may succeed later.
 */
export const isDatabaseBusy = (err: unknown) => ['P2024', 'P2028'].includes(databaseErrorCode(err) ?? '');

export function toApplicationFailure(err: unknown): unknown {
  const permanent = permanentDatabaseErrors[databaseErrorCode(err) ?? ''];
  if (permanent) {
    return ApplicationFailure.create({ type: permanent, message: (err as Error).message, nonRetryable: true, cause: err as Error });
  }
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
