/**
 * platform/migrate.ts and platform/database.ts against real, throw-away PostgreSQL databases: each
 * test database is created here from the configured server URL and dropped at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { config } from '../../config';
import { databaseUrlFor, dropDatabase, ensureDatabase } from '../../platform/database';
import { MIGRATION_LOCK_KEY, MIGRATIONS_TABLE, MigrationError, migrate, readMigrations, sha256Hex } from '../../platform/migrate';
import { eventually } from '../support/system';

const scratchUrls: string[] = [];
const tmpDirs: string[] = [];

function scratchUrl(tag: string): string {
  const url = databaseUrlFor(config.database.url, `octavia_test_${tag}_${process.pid}_${randomBytes(4).toString('hex')}`);
  scratchUrls.push(url);
  return url;
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function historyRows(url: string) {
  return withClient(url, async (c) => {
    const res = await c.query<{
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      started_at: Date;
      rolled_back_at: Date | null;
      logs: string | null;
      applied_steps_count: number;
    }>('SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');
    return res.rows;
  });
}

/** A copy of the project's migrations, to edit without touching the real ones. */
async function copyOfMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'octavia-migrations-'));
  tmpDirs.push(dir);
  await fs.cp(path.join(__dirname, '..', '..', 'prisma', 'migrations'), dir, { recursive: true });
  return dir;
}

/** `npm run migrate` as a process of its own, against `url`: its exit code and its log lines. */
function migrateProcess(url: string): Promise<{ code: number | null; lines: { msg: string; applied?: string[] }[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bin', 'migrate.ts')], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      if (code !== 0) console.error(`bin/migrate.ts exited ${code}:\n${out}`);
      resolve({ code, lines });
    });
  });
}

/** What a migrated schema is made of: columns, constraints, indexes, enum labels (to compare two databases). */
async function schemaOf(url: string) {
  return withClient(url, async (c) => {
    const rows = async (sql: string) => (await c.query(sql)).rows;
    return {
      columns: await rows(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
                             FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`),
      constraints: await rows(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def
                                 FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
      indexes: await rows(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
      enums: await rows(`SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid ORDER BY 1, e.enumsortorder`),
    };
  });
}

afterAll(async () => {
  for (const url of scratchUrls) await dropDatabase(url);
  for (const dir of tmpDirs) await fs.rm(dir, { recursive: true, force: true });
});

describe('ensureDatabase', () => {
  test('creates a missing database exactly once, even when called concurrently', async () => {
    const url = scratchUrl('ensure');
    const created = await Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)]);
    expect(created.filter(Boolean)).toHaveLength(1);
    await expect(ensureDatabase(url)).resolves.toBe(false);
    await expect(withClient(url, (c) => c.query('SELECT 1 AS ok'))).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  test('quotes the name: a database name with capitals, quotes and spaces is created as is', async () => {
    const name = `octavia_test "Quoted" Name_${process.pid}_${randomBytes(3).toString('hex')}`;
    const url = databaseUrlFor(config.database.url, name);
    scratchUrls.push(url);
    await expect(ensureDatabase(url)).resolves.toBe(true);
    const found = await withClient(url, (c) => c.query<{ db: string }>('SELECT current_database() AS db'));
    expect(found.rows[0]?.db).toBe(name);
  });
});

describe('migrate', () => {
  let url: string;

  beforeAll(async () => {
    url = scratchUrl('migrate');
    await ensureDatabase(url);
  });

  test('applies every migration in prisma/migrations, in name order', async () => {
    const local = await readMigrations();
    expect(local.length).toBeGreaterThan(0);
    const { applied } = await migrate(url);
    expect(applied).toEqual(local.map((m) => m.name));
    expect([...applied].sort()).toEqual(applied);
    const tables = await withClient(url, (c) =>
      c.query<{ t: string }>(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
      ),
    );
    expect(tables.rows.map((r) => r.t)).toEqual(expect.arrayContaining(['_prisma_migrations', 'load_balancer', 'listener']));
  });

  test('a second run applies nothing', async () => {
    await expect(migrate(url)).resolves.toEqual({ applied: [] });
  });

  test("records each migration in Prisma's _prisma_migrations exactly as Prisma does", async () => {
    const local = await readMigrations();
    const rows = await historyRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
    for (const m of local) {
      const row = rows.find((r) => r.migration_name === m.name);
      const fileBytes = await fs.readFile(m.file);
      expect(row).toMatchObject({
        checksum: sha256Hex(fileBytes),
        applied_steps_count: 1,
        rolled_back_at: null,
        logs: null,
      });
      expect(row?.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row?.finished_at).toBeInstanceOf(Date);
      expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(row!.started_at.getTime());
    }
    // The table itself, column for column as Prisma's schema engine creates it.
    const columns = await withClient(url, (c) =>
      c.query(
        `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
           FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
      ),
    );
    expect(columns.rows).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, is_nullable: 'NO', column_default: '0' },
    ]);
  });

  test('refuses to run when an applied migration was modified (its checksum changed)', async () => {
    const [first] = await readMigrations();
    const original = (await historyRows(url)).find((r) => r.migration_name === first!.name)!.checksum;
    await withClient(url, (c) =>
      c.query(`UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`, ['0'.repeat(64), first!.name]),
    );
    try {
      const err = await migrate(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as Error).message).toContain('modified after they were applied');
      expect((err as Error).message).toContain(first!.name);
    } finally {
      await withClient(url, (c) =>
        c.query(`UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`, [original, first!.name]),
      );
    }
    await expect(migrate(url)).resolves.toEqual({ applied: [] });
  });

  test('refuses to run when a migration file was edited after it was applied', async () => {
    const dir = await copyOfMigrations();
    const [first] = await readMigrations(dir);
    await fs.appendFile(first!.file, '\n-- an innocent-looking edit\n');
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(/modified after they were applied: .*_init/);
  });

  test('accepts a migration file whose only change is CRLF line endings (as Prisma does)', async () => {
    const dir = await copyOfMigrations();
    const [first] = await readMigrations(dir);
    await fs.writeFile(first!.file, first!.sql.replace(/\n/g, '\r\n'));
    await expect(migrate(url, { migrationsDir: dir })).resolves.toEqual({ applied: [] });
  });

  test('refuses migrations written for another provider (migration_lock.toml)', async () => {
    const dir = await copyOfMigrations();
    await fs.writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');
    await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(/written for mysql \(migration_lock\.toml\), not postgresql/);
  });

  test('a failed migration in the history blocks every run, with a clear error', async () => {
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES ('00000000-0000-4000-8000-000000000001', $1, '29991231000000_half_done', 'boom', now(), 0)`,
        ['f'.repeat(64)],
      ),
    );
    try {
      await expect(migrate(url)).rejects.toThrow(/failed migration\(s\): 29991231000000_half_done\. Nothing was applied/);
    } finally {
      await withClient(url, (c) =>
        c.query(`DELETE FROM "_prisma_migrations" WHERE id = '00000000-0000-4000-8000-000000000001'`),
      );
    }
  });

  test('a migration that fails is rolled back, recorded as rolled back, and applied once fixed', async () => {
    const dir = await copyOfMigrations();
    const name = '29991231000000_broken';
    await fs.mkdir(path.join(dir, name));
    const file = path.join(dir, name, 'migration.sql');
    await fs.writeFile(file, 'CREATE TABLE "half_made" ("id" INTEGER);\nSELECT no_such_function();\n');

    const err = await migrate(url, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/Migration 29991231000000_broken failed and was rolled back: .*no_such_function/);

    const exists = await withClient(url, (c) => c.query<{ t: string | null }>(`SELECT to_regclass('half_made')::text AS t`));
    expect(exists.rows[0]?.t).toBeNull(); // the transaction took the CREATE TABLE with it
    const attempt = (await historyRows(url)).filter((r) => r.migration_name === name);
    expect(attempt).toHaveLength(1);
    expect(attempt[0]).toMatchObject({ finished_at: null, applied_steps_count: 0 });
    expect(attempt[0]?.rolled_back_at).toBeInstanceOf(Date);
    expect(attempt[0]?.logs).toContain('no_such_function');

    await fs.writeFile(file, 'CREATE TABLE "half_made" ("id" INTEGER);\n');
    await expect(migrate(url, { migrationsDir: dir })).resolves.toEqual({ applied: [name] });
    const rows = (await historyRows(url)).filter((r) => r.migration_name === name);
    expect(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null)).toHaveLength(1);
    await withClient(url, async (c) => {
      await c.query('DROP TABLE "half_made"');
      await c.query(`DELETE FROM "_prisma_migrations" WHERE migration_name = $1`, [name]);
    });
  });
});

describe('migrate, concurrently', () => {
  test('two (or three) processes starting at once apply each migration exactly once', async () => {
    const url = scratchUrl('concurrent');
    await ensureDatabase(url);
    const local = (await readMigrations()).map((m) => m.name);

    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    // One run applied everything; the others waited for the lock, then found nothing pending.
    expect(results.map((r) => r.applied).flat().sort()).toEqual([...local].sort());
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);

    const counts = await withClient(url, (c) =>
      c.query<{ migration_name: string; n: number }>(
        `SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY 1 ORDER BY 1`,
      ),
    );
    expect(counts.rows).toEqual(local.map((name) => ({ migration_name: name, n: 1 })));
  });

  test('four `npm run migrate` processes started at once on a fresh database all succeed; each migration is applied once, the schema complete', async () => {
    const local = (await readMigrations()).map((m) => m.name);
    const reference = scratchUrl('reference');
    await ensureDatabase(reference);
    await migrate(reference);
    const url = scratchUrl('processes');
    await ensureDatabase(url);

    // A starting gate, so the four really run at once however their start-up times differ: every run
    // first creates the history table, and this open transaction holds that name until all four are
    // waiting on a PostgreSQL lock (the first behind this transaction, the others behind the first).
    const gate = new Client({ connectionString: url });
    await gate.connect();
    let runs: ReturnType<typeof migrateProcess>[] = [];
    try {
      await gate.query('BEGIN');
      await gate.query(`CREATE TABLE "${MIGRATIONS_TABLE}" (id integer)`);
      runs = Array.from({ length: 4 }, () => migrateProcess(url));
      // Watched from outside the gate's transaction, which sees pg_stat_activity as it was when it began.
      await eventually(async () => {
        const waiting = await withClient(url, (c) =>
          c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`),
        );
        return waiting.rows[0]!.n >= 4 ? true : undefined;
      }, 60_000, 'the four runs waiting at the gate');
    } finally {
      await gate.query('ROLLBACK');
      await gate.end();
    }
    const results = await Promise.all(runs);

    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const line = (r: (typeof results)[number], msg: string) => r.lines.find((l) => l.msg === msg);
    const said = (msg: string) => results.filter((r) => line(r, msg));
    // One run applied everything; the three others said they were waiting, then found nothing pending.
    const applying = `applied ${local.length} migration(s)`;
    expect(said(applying).map((r) => line(r, applying)?.applied)).toEqual([local]);
    expect(said('database schema is up to date')).toHaveLength(3);
    expect(said('waiting for the migration lock: another process is migrating this database')).toHaveLength(3);

    const history = await historyRows(url);
    expect(history.map((r) => r.migration_name).sort()).toEqual([...local].sort());
    expect(history.every((r) => r.finished_at !== null && r.rolled_back_at === null && r.applied_steps_count === 1)).toBe(true);
    expect(await schemaOf(url)).toEqual(await schemaOf(reference));
  });

  test('a run waits for the lock held by another, and gives up with a clear error after lockTimeoutMs', async () => {
    const url = scratchUrl('lock');
    await ensureDatabase(url);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      await expect(migrate(url, { lockTimeoutMs: 300 })).rejects.toThrow(/Timed out after 300 ms waiting for the migration lock/);

      const waiting = migrate(url);
      let settled = false;
      void waiting.finally(() => (settled = true)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 400));
      expect(settled).toBe(false); // still waiting for the lock
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      const { applied } = await waiting;
      expect(applied).toEqual((await readMigrations()).map((m) => m.name));
    } finally {
      await holder.end();
    }
  });
});
