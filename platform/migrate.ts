/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native schema
 * engine (which cannot be downloaded where this runs).
 *
 * The history is kept in Prisma's own `_prisma_migrations` table, created exactly as Prisma creates
 * it and filled exactly as Prisma fills it (checksum = hex SHA-256 of the migration.sql bytes), so the
 * Prisma CLI, where it is available, reads our history as its own and vice versa.
 *
 * - Pending migrations are applied in directory-name order, each in its own transaction together with
 *   the row that records it: a migration is either applied and recorded, or neither.
 * - Everything happens under a PostgreSQL advisory lock (the same key Prisma uses), so two processes
 *   starting at once cannot race: the second waits, then finds nothing pending.
 * - An applied migration whose file has since changed is refused (Prisma calls it a modified migration),
 *   as is a history holding a failed migration (finished_at and rolled_back_at both NULL).
 * - A migration that fails is rolled back with its transaction and recorded as such (rolled_back_at set,
 *   the error in logs), so fixing the file and running again is all it takes.
 *
 * A migration is run inside a transaction, so it must not contain statements PostgreSQL refuses in
 * one (CREATE INDEX CONCURRENTLY, ALTER SYSTEM, ...) nor its own BEGIN/COMMIT.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../config';
import { logger } from '../common/logger';
import { isPgError, quoteIdentifier } from './database';

/** Prisma's own advisory lock key, so our migrator and the Prisma CLI also exclude each other. */
export const MIGRATION_LOCK_KEY = 72707369;

export const MIGRATIONS_TABLE = '_prisma_migrations';

export const defaultMigrationsDir = path.join(projectRoot, 'prisma', 'migrations');

/** Exactly the table Prisma's schema engine creates for PostgreSQL. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE "_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export interface MigrateOptions {
  /** Directory holding `<name>/migration.sql` (default: prisma/migrations of this project). */
  migrationsDir?: string;
  /** How long to wait for another process's migration run to finish (default: 10 minutes). */
  lockTimeoutMs?: number;
}

export interface LocalMigration {
  name: string;
  file: string;
  sql: string;
  /** Hex SHA-256 of the file's bytes: Prisma's checksum. */
  checksum: string;
}

interface HistoryRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The migrations in `dir`, in the order they apply. */
export async function readMigrations(dir: string = defaultMigrationsDir): Promise<LocalMigration[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new MigrationError(`Cannot read the migrations directory ${dir}: ${(err as Error).message}`);
  }
  // Like Prisma: migrations written for another database provider are refused (a missing lock is fine).
  const lock = await fs.readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  const provider = lock && /^\s*provider\s*=\s*"([^"]*)"/m.exec(lock)?.[1];
  if (provider && provider !== 'postgresql') {
    throw new MigrationError(`The migrations in ${dir} were written for ${provider} (migration_lock.toml), not postgresql`);
  }
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const file = path.join(dir, name, 'migration.sql');
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch {
      throw new MigrationError(`Migration ${name} has no migration.sql (expected ${file})`);
    }
    migrations.push({ name, file, sql: bytes.toString('utf8'), checksum: sha256Hex(bytes) });
  }
  return migrations;
}

/**
 * Whether a recorded checksum is this migration's. Like Prisma, a file that differs only in its line
 * endings (a checkout with CRLF where the migration was applied with LF, or the reverse) still matches.
 */
export function checksumMatches(m: LocalMigration, checksum: string): boolean {
  if (checksum === m.checksum) return true;
  const lf = m.sql.replace(/\r\n/g, '\n');
  return checksum === sha256Hex(lf) || checksum === sha256Hex(lf.replace(/\n/g, '\r\n'));
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Applies the pending migrations to the database `url` names (which must exist: see ensureDatabase). */
export async function migrate(url: string, opts: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const migrations = await readMigrations(opts.migrationsDir ?? defaultMigrationsDir);
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  const client = new Client({ connectionString: url });
  // An idle client can emit 'error' (e.g. the server shuts down); without a listener that crashes.
  client.on('error', (err) => logger.warn({ err }, 'migration connection error'));
  await client.connect();
  try {
    await acquireLock(client, opts.lockTimeoutMs ?? 10 * 60_000);
    try {
      if (schema) {
        // Prisma's `?schema=` URL parameter: the tables and their history live in that schema.
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
        await client.query(`SET search_path TO ${quoteIdentifier(schema)}`);
      }
      return await applyPending(client, migrations);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function acquireLock(client: Client, timeoutMs: number): Promise<void> {
  const free = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
  if (free.rows[0]?.locked) return;
  // Another run holds it: say so, or a process starting beside another looks hung for as long as that
  // run lasts. (A one-argument advisory lock is classid 0, objid the key, objsubid 1 in pg_locks.)
  const holder = await client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1 AND objsubid = 1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [MIGRATION_LOCK_KEY],
  );
  logger.info(
    { lock: MIGRATION_LOCK_KEY, holderPid: holder.rows[0]?.pid, timeoutMs },
    'waiting for the migration lock: another process is migrating this database',
  );
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  } catch (err) {
    if (isPgError(err, '55P03')) {
      throw new MigrationError(
        `Timed out after ${timeoutMs} ms waiting for the migration lock (advisory lock ${MIGRATION_LOCK_KEY}): ` +
          'another process is migrating this database, or holds the lock without releasing it',
      );
    }
    throw err;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

async function applyPending(client: Client, migrations: LocalMigration[]): Promise<{ applied: string[] }> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('"${MIGRATIONS_TABLE}"')::text AS t`);
  if (!exists.rows[0]?.t) await client.query(CREATE_MIGRATIONS_TABLE);

  const history = (
    await client.query<HistoryRow>(
      `SELECT id, checksum, migration_name, finished_at, rolled_back_at, logs
         FROM "${MIGRATIONS_TABLE}" ORDER BY started_at, migration_name`,
    )
  ).rows;

  const failed = history.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed.length) {
    throw new MigrationError(
      `The database's migration history holds failed migration(s): ${failed.map((r) => r.migration_name).join(', ')}. ` +
        'Nothing was applied. Repair the database by hand, then mark each one as rolled back ' +
        `(UPDATE "${MIGRATIONS_TABLE}" SET rolled_back_at = now() WHERE id = '<id>') to retry it, ` +
        `or as applied (SET finished_at = now(), applied_steps_count = 1). Failed row(s): ` +
        failed.map((r) => `${r.migration_name} (id ${r.id})${r.logs ? `: ${firstLine(r.logs)}` : ''}`).join('; '),
    );
  }

  const applied = new Map<string, HistoryRow>();
  for (const row of history) if (row.finished_at !== null && row.rolled_back_at === null) applied.set(row.migration_name, row);

  const local = new Map(migrations.map((m) => [m.name, m]));
  const modified = migrations.filter((m) => {
    const row = applied.get(m.name);
    return row !== undefined && !checksumMatches(m, row.checksum);
  });
  if (modified.length) {
    throw new MigrationError(
      `Migration(s) modified after they were applied: ${modified.map((m) => m.name).join(', ')}. ` +
        'Nothing was applied. An applied migration must never change: restore the file (its checksum must be ' +
        `${modified.map((m) => `${applied.get(m.name)?.checksum} for ${m.name}`).join(', ')}) and put the change ` +
        'in a new migration.',
    );
  }
  const unknown = [...applied.keys()].filter((name) => !local.has(name));
  if (unknown.length) {
    logger.warn({ migrations: unknown }, 'the database has applied migrations missing from the migrations directory');
  }

  const appliedNow: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    await applyOne(client, m);
    appliedNow.push(m.name);
  }
  if (!appliedNow.length) logger.debug({ migrations: migrations.length }, 'database schema is up to date');
  return { applied: appliedNow };
}

async function applyOne(client: Client, m: LocalMigration): Promise<void> {
  const id = randomUUID();
  const startedAt = Date.now();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "${MIGRATIONS_TABLE}" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, m.checksum, m.name],
    );
    await client.query(m.sql);
    await client.query(
      `UPDATE "${MIGRATIONS_TABLE}" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = (err as Error).message;
    // Keep a trace of the attempt. Its transaction rolled back, so it is recorded as rolled back and
    // blocks nothing: the next run tries the (fixed) migration again.
    await client
      .query(
        `INSERT INTO "${MIGRATIONS_TABLE}" (id, checksum, migration_name, logs, started_at, rolled_back_at, applied_steps_count)
         VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), clock_timestamp(), 0)`,
        [id, m.checksum, m.name, pgErrorLog(err), startedAt],
      )
      .catch((e) => logger.warn({ err: e }, 'could not record the failed migration'));
    throw new MigrationError(`Migration ${m.name} failed and was rolled back: ${message}`, { cause: err });
  }
  logger.info({ migration: m.name, durationMs: Date.now() - startedAt }, 'applied migration');
}

function pgErrorLog(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: string; detail?: string; hint?: string };
  return [
    e.message ?? String(err),
    e.code && `code: ${e.code}`,
    e.position && `position: ${e.position}`,
    e.detail && `detail: ${e.detail}`,
    e.hint && `hint: ${e.hint}`,
  ]
    .filter(Boolean)
    .join('\n');
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? '';
}
