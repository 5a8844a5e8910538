/**
 * Creating and dropping the control plane's database itself (not its tables: see platform/migrate.ts).
 *
 * Both work through the server's `postgres` maintenance database, reached with the same host, port,
 * user and options as the target URL, because a database cannot be created from inside itself.
 */
import { Client } from 'pg';

/** The database a PostgreSQL URL names (its path, decoded as node-postgres decodes it). */
export function databaseName(url: string): string {
  const name = decodeURI(parseUrl(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`The database URL names no database (expected postgresql://user@host:port/<database>)`);
  return name;
}

/** The same URL (credentials, host, port, options) naming another database on the same server. */
export function databaseUrlFor(url: string, database: string): string {
  const u = parseUrl(url);
  u.pathname = `/${encodeURI(database)}`;
  const result = u.toString();
  if (databaseName(result) !== database) {
    throw new Error(`The database name ${JSON.stringify(database)} cannot be written in a PostgreSQL URL`);
  }
  return result;
}

/** A SQL identifier, double-quoted, with embedded quotes doubled: safe for any database name. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new Error('An identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates the database `url` names unless it exists. Returns whether this call created it.
 * Safe when several processes start at once: whoever loses the race sees the database as existing.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withMaintenanceClient(url, async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database: another process created it between our check and our CREATE.
      // 23505 unique_violation: the same race, lost on pg_database's unique index instead (both
      // creators passed the existence check and the second waited for the first to commit).
      if (isPgError(err, '42P04') || isPgError(err, '23505')) return false;
      throw err;
    }
  });
}

/** Drops the database `url` names, disconnecting its sessions (for tests and scratch databases). */
export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withMaintenanceClient(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  });
}

export function isPgError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

async function withMaintenanceClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrlFor(url, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('The database URL is not a valid URL (expected postgresql://user@host:port/database)');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new Error(`The database URL must start with postgresql:// (got ${u.protocol}//)`);
  }
  return u;
}
