/**
 * `npm run migrate`: creates the database if it is missing, then applies the pending migrations of
 * prisma/migrations (see platform/migrate.ts). Safe to run from several processes at once.
 * Exits 0 when the schema is up to date, 1 with a message saying why otherwise.
 */
import { logger } from '../common/logger';
import { config } from '../config';
import { databaseName, ensureDatabase } from '../platform/database';
import { migrate } from '../platform/migrate';

/** Where the database is, without the credentials the URL may carry. */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}${u.port ? `:${u.port}` : ''}/${databaseName(url)}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

async function main(): Promise<void> {
  const url = config.database.url;
  const where = describe(url);
  if (await ensureDatabase(url)) logger.info({ database: where }, 'created database');
  const { applied } = await migrate(url);
  logger.info(
    { database: where, applied },
    applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date',
  );
}

main().catch((err: unknown) => {
  const where = describe(config.database.url);
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const hint =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '28000'
      ? ` (is PostgreSQL running and DATABASE_URL right? it points at ${where})`
      : '';
  logger.fatal({ err, database: where }, `migration failed: ${message}${hint}`);
  // Not process.exit(): let the logger flush and the connections close, then exit non-zero.
  process.exitCode = 1;
});
