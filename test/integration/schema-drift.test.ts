/**
 * Proves that the database the migrations build is the database prisma/schema.prisma describes, so a
 * hand-written migration that drifts from the schema fails CI (we cannot run `prisma migrate diff`: its
 * native schema engine cannot be downloaded here).
 *
 * The expected shape comes from Prisma's own reading of schema.prisma: the full DMMF (native types,
 * defaults, indexes, referential actions), produced by the prisma-schema WebAssembly module the Prisma
 * CLI ships (node_modules/prisma/build/prisma_schema_build_bg.wasm, the `get_dmmf` that @prisma/internals'
 * getDMMF calls). @prisma/internals is not installed, and the generated client only carries a reduced
 * runtime data model (no native types, defaults, indexes or referential actions), so the module is
 * loaded here directly. Prisma's rules for what a field becomes in PostgreSQL (types, NOT NULL, DEFAULT,
 * constraint names, ON DELETE/ON UPDATE defaults) are then applied to that DMMF, exactly as
 * `prisma migrate diff` applies them, and compared with what the migrated database reports in
 * information_schema, pg_indexes, pg_constraint and pg_enum.
 *
 * The last test breaks a migrated database in every way checked (inside a transaction it rolls back)
 * and asserts that each break is reported, so this test cannot pass vacuously.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { config, projectRoot } from '../../config';
import { databaseUrlFor, dropDatabase, ensureDatabase } from '../../platform/database';
import { MIGRATIONS_TABLE, migrate } from '../../platform/migrate';

// ---------------------------------------------------------------------------------------------------
// Prisma's DMMF, from the prisma-schema WebAssembly module

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  type: string;
  nativeType?: [string, string[]] | null;
  relationName?: string;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  schema: string | null;
  fields: DmmfField[];
  primaryKey: { name: string | null; fields: string[] } | null;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  algorithm?: string;
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}
interface DmmfEnum {
  name: string;
  dbName: string | null;
  values: { name: string; dbName: string | null }[];
}
export interface Datamodel {
  enums: DmmfEnum[];
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

// The few WebAssembly declarations used here (the project's TypeScript libs do not include them).
interface WasmModule {
  readonly __brand?: 'WasmModule';
}
interface WasmTable {
  grow(delta: number): number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}
declare const WebAssembly: {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
};

interface SchemaWasm {
  memory: { buffer: ArrayBuffer };
  get_dmmf(ptr: number, len: number): [number, number, number, number];
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  __wbindgen_externrefs: WasmTable;
  __externref_table_dealloc(idx: number): void;
  __wbindgen_start(): void;
}

/**
 * Prisma's DMMF of a schema. A minimal wasm-bindgen host for prisma_schema_build_bg.wasm, the module
 * behind @prisma/internals' getDMMF: it needs only four imports, matched by name prefix because their
 * hash suffixes change between Prisma releases.
 */
export function getDmmf(schemaText: string, fileName = 'schema.prisma'): { datamodel: Datamodel } {
  const wasmFile = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'prisma_schema_build_bg.wasm');
  const module = new WebAssembly.Module(readFileSync(wasmFile));
  let wasm: SchemaWasm | undefined;
  let memory: Uint8Array | undefined;
  let panicMessage = '';
  const bytes = () => {
    if (!wasm) throw new Error('prisma-schema wasm used before it was instantiated');
    if (!memory || memory.byteLength === 0) memory = new Uint8Array(wasm.memory.buffer);
    return memory;
  };
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  const text = (ptr: number, len: number) => decoder.decode(bytes().subarray(ptr >>> 0, (ptr >>> 0) + len));

  const host: Record<string, (...args: number[]) => unknown> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const n = imp.name;
    if (n.startsWith('__wbg_set_message')) host[n] = (p: number, l: number) => (panicMessage = text(p, l));
    else if (n.startsWith('__wbg_Error')) host[n] = (p: number, l: number) => new Error(text(p, l));
    else if (n.includes('__wbindgen_throw')) {
      host[n] = (p: number, l: number) => {
        throw new Error(text(p, l));
      };
    } else if (n === '__wbindgen_init_externref_table') {
      host[n] = () => {
        const table = wasm!.__wbindgen_externrefs;
        const offset = table.grow(4);
        table.set(0, undefined);
        table.set(offset + 0, undefined);
        table.set(offset + 1, null);
        table.set(offset + 2, true);
        table.set(offset + 3, false);
      };
    } else {
      throw new Error(`${wasmFile} needs an import this loader does not provide (${imp.module}.${n}): update getDmmf`);
    }
  }
  wasm = new WebAssembly.Instance(module, { __wbindgen_placeholder__: host }).exports as unknown as SchemaWasm;
  wasm.__wbindgen_start();

  const input = new TextEncoder().encode(JSON.stringify({ prismaSchema: [[fileName, schemaText]], noColor: true }));
  const ptr = wasm.__wbindgen_malloc(input.length, 1) >>> 0;
  bytes().subarray(ptr, ptr + input.length).set(input);
  let result: [number, number, number, number];
  try {
    result = wasm.get_dmmf(ptr, input.length);
  } catch (err) {
    throw new Error(`prisma-schema wasm panicked in get_dmmf: ${panicMessage || (err as Error).message}`);
  }
  const [outPtr, outLen, errRef, isErr] = result;
  if (isErr) {
    const err = wasm.__wbindgen_externrefs.get(errRef) as Error;
    wasm.__externref_table_dealloc(errRef);
    let message = err.message;
    try {
      message = (JSON.parse(message) as { message: string }).message;
    } catch {
      // not JSON: keep it as is
    }
    throw new Error(`schema.prisma is invalid:\n${message}`);
  }
  try {
    return JSON.parse(text(outPtr, outLen)) as { datamodel: Datamodel };
  } finally {
    wasm.__wbindgen_free(outPtr, outLen, 1);
  }
}

// ---------------------------------------------------------------------------------------------------
// What `prisma migrate diff` makes of the DMMF in PostgreSQL

const PG_IDENTIFIER_MAX = 63;

/** Prisma's default constraint names (ConstraintNames in prisma-engines), truncated as Prisma truncates. */
const names = {
  primaryKey: (table: string) => `${table.length >= PG_IDENTIFIER_MAX - 5 ? table.slice(0, PG_IDENTIFIER_MAX - 5) : table}_pkey`,
  index: (table: string, columns: string[], unique: boolean) => {
    const joined = `${table}_${columns.join('_')}`;
    return `${joined.length >= PG_IDENTIFIER_MAX - 4 ? joined.slice(0, PG_IDENTIFIER_MAX - 4) : joined}${unique ? '_key' : '_idx'}`;
  },
  foreignKey: (table: string, columns: string[]) => {
    const joined = `${table}_${columns.join('_')}`;
    return `${joined.length >= PG_IDENTIFIER_MAX - 5 ? joined.slice(0, PG_IDENTIFIER_MAX - 5) : joined}_fkey`;
  },
};

const REFERENTIAL_ACTION: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/** Column types as PostgreSQL's format_type() prints them. */
const NATIVE_TYPE: Record<string, (args: string[]) => string> = {
  Text: () => 'text',
  VarChar: ([n]) => (n ? `character varying(${n})` : 'character varying'),
  Char: ([n]) => `character(${n ?? 1})`,
  Uuid: () => 'uuid',
  Integer: () => 'integer',
  SmallInt: () => 'smallint',
  BigInt: () => 'bigint',
  Decimal: ([p, s]) => (p ? `numeric(${p},${s ?? 0})` : 'numeric'),
  Real: () => 'real',
  DoublePrecision: () => 'double precision',
  Boolean: () => 'boolean',
  Timestamp: ([p]) => `timestamp(${p ?? 3}) without time zone`,
  Timestamptz: ([p]) => `timestamp(${p ?? 3}) with time zone`,
  Date: () => 'date',
  Time: ([p]) => `time(${p ?? 3}) without time zone`,
  Timetz: ([p]) => `time(${p ?? 3}) with time zone`,
  Json: () => 'json',
  JsonB: () => 'jsonb',
  ByteA: () => 'bytea',
  Inet: () => 'inet',
  Citext: () => 'citext',
  Xml: () => 'xml',
};
/** Prisma's PostgreSQL type for a scalar without a native type attribute. */
const DEFAULT_TYPE: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** What a DEFAULT must be: none, a literal (as a SQL expression of the column's type), or a function. */
type ExpectedDefault =
  | { kind: 'none' }
  | { kind: 'literal'; sql: string; shown: string }
  | { kind: 'now' }
  | { kind: 'sequence' }
  | { kind: 'generated'; sql: string };

interface ExpectedColumn {
  name: string;
  type: string;
  nullable: boolean;
  default: ExpectedDefault;
}
interface ExpectedIndex {
  name: string;
  unique: boolean;
  columns: string[];
  desc: boolean[];
  method: string;
}
interface ExpectedForeignKey {
  name: string;
  columns: string[];
  target: string;
  targetColumns: string[];
  onDelete: string;
  onUpdate: string;
}
interface ExpectedTable {
  model: string;
  name: string;
  columns: ExpectedColumn[];
  primaryKey: { name: string; columns: string[] } | null;
  indexes: ExpectedIndex[];
  foreignKeys: ExpectedForeignKey[];
}
export interface ExpectedSchema {
  tables: ExpectedTable[];
  enums: { name: string; values: string[] }[];
}

/**
 * The `map:` argument of an attribute in the schema text, for the names the DMMF does not carry
 * (a foreign key's @relation(map: ...), a single-field @id(map: ...)).
 */
function mappedNameInSource(source: string, model: string, field: string, attribute: '@relation' | '@id'): string | null {
  const block = new RegExp(`^\\s*model\\s+${model}\\s*\\{([\\s\\S]*?)^\\}`, 'm').exec(source)?.[1] ?? '';
  const line = block.split('\n').find((l) => new RegExp(`^\\s*${field}\\s`).test(l)) ?? '';
  const at = line.indexOf(`${attribute}(`);
  if (at < 0) return null;
  return /\bmap\s*:\s*"([^"]*)"/.exec(line.slice(at))?.[1] ?? null;
}

export function expectedSchema(dm: Datamodel, source: string): ExpectedSchema {
  const enumsByName = new Map(dm.enums.map((e) => [e.name, e]));
  const modelsByName = new Map(dm.models.map((m) => [m.name, m]));
  const tableName = (m: DmmfModel) => m.dbName ?? m.name;
  const columnName = (m: DmmfModel, fieldName: string) => {
    const f = m.fields.find((x) => x.name === fieldName);
    if (!f) throw new Error(`DMMF: ${m.name} has no field ${fieldName}`);
    return f.dbName ?? f.name;
  };

  function columnType(m: DmmfModel, f: DmmfField): string {
    let t: string;
    if (f.kind === 'enum') {
      const e = enumsByName.get(f.type);
      t = quoteIdent(e?.dbName ?? f.type);
    } else if (f.nativeType) {
      const [nt, args] = f.nativeType;
      const render = NATIVE_TYPE[nt];
      if (!render) throw new Error(`${m.name}.${f.name}: native type @db.${nt} is not known to this test: add it to NATIVE_TYPE`);
      t = render(args);
    } else {
      const dt = DEFAULT_TYPE[f.type];
      if (!dt) throw new Error(`${m.name}.${f.name}: type ${f.type} is not known to this test: add it to DEFAULT_TYPE`);
      t = dt;
    }
    return f.isList ? `${t}[]` : t;
  }

  function literal(f: DmmfField, v: unknown): string {
    if (f.kind === 'enum') {
      const value = enumsByName.get(f.type)?.values.find((x) => x.name === v);
      return sqlString(value?.dbName ?? String(v));
    }
    if (typeof v === 'string') return sqlString(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new Error(`unsupported default literal ${JSON.stringify(v)}`);
  }

  function expectedDefault(m: DmmfModel, f: DmmfField, type: string): ExpectedDefault {
    if (!f.hasDefaultValue || f.default === undefined) return { kind: 'none' };
    const d = f.default;
    if (Array.isArray(d)) {
      const sql = `ARRAY[${d.map((v) => literal(f, v)).join(', ')}]::${type}`;
      return { kind: 'literal', sql, shown: sql };
    }
    if (d !== null && typeof d === 'object' && 'name' in d) {
      const fn = d as { name: string; args: unknown[] };
      switch (fn.name) {
        case 'now':
          return { kind: 'now' };
        case 'autoincrement':
          return { kind: 'sequence' };
        case 'dbgenerated':
          return typeof fn.args[0] === 'string' ? { kind: 'generated', sql: fn.args[0] } : { kind: 'none' };
        case 'uuid':
        case 'cuid':
        case 'nanoid':
        case 'ulid':
          return { kind: 'none' }; // generated by the client, not the database
        default:
          throw new Error(`${m.name}.${f.name}: default function ${fn.name}() is not known to this test`);
      }
    }
    const sql = literal(f, d);
    return { kind: 'literal', sql: `${sql}::${type}`, shown: sql };
  }

  const tables = dm.models.map((m): ExpectedTable => {
    const table = tableName(m);
    const columns = m.fields
      .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
      .map((f): ExpectedColumn => {
        const type = columnType(m, f);
        return { name: f.dbName ?? f.name, type, nullable: f.isList || !f.isRequired, default: expectedDefault(m, f, type) };
      });

    const indexes = dm.indexes.filter((i) => i.model === m.name);
    const id = indexes.find((i) => i.type === 'id');
    let primaryKey: ExpectedTable['primaryKey'] = null;
    if (id) {
      const cols = id.fields.map((x) => columnName(m, x.name));
      const idField = id.fields.length === 1 ? id.fields[0]!.name : null;
      const mapped = id.dbName ?? (idField ? mappedNameInSource(source, m.name, idField, '@id') : null);
      primaryKey = { name: mapped ?? names.primaryKey(table), columns: cols };
    }

    const expectedIndexes = indexes
      .filter((i) => i.type === 'unique' || i.type === 'normal')
      .map((i): ExpectedIndex => {
        const cols = i.fields.map((x) => columnName(m, x.name));
        return {
          name: i.dbName ?? names.index(table, cols, i.type === 'unique'),
          unique: i.type === 'unique',
          columns: cols,
          desc: i.fields.map((x) => x.sortOrder === 'desc'),
          method: (i.algorithm ?? 'BTree').toLowerCase(),
        };
      });

    const foreignKeys = m.fields
      .filter((f) => f.kind === 'object' && (f.relationFromFields?.length ?? 0) > 0)
      .map((f): ExpectedForeignKey => {
        const target = modelsByName.get(f.type);
        if (!target) throw new Error(`DMMF: ${m.name}.${f.name} points at unknown model ${f.type}`);
        const cols = f.relationFromFields!.map((n) => columnName(m, n));
        // Prisma's defaults: a required relation restricts deletes, an optional one nulls the key;
        // updates cascade. An explicit onDelete/onUpdate wins.
        const onDelete = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
        const onUpdate = f.relationOnUpdate ?? 'Cascade';
        return {
          name: mappedNameInSource(source, m.name, f.name, '@relation') ?? names.foreignKey(table, cols),
          columns: cols,
          target: tableName(target),
          targetColumns: (f.relationToFields ?? []).map((n) => columnName(target, n)),
          onDelete: REFERENTIAL_ACTION[onDelete] ?? onDelete,
          onUpdate: REFERENTIAL_ACTION[onUpdate] ?? onUpdate,
        };
      });

    return { model: m.name, name: table, columns, primaryKey, indexes: expectedIndexes, foreignKeys };
  });

  const enums = dm.enums.map((e) => ({ name: e.dbName ?? e.name, values: e.values.map((v) => v.dbName ?? v.name) }));
  return { tables, enums };
}

// ---------------------------------------------------------------------------------------------------
// What the database has, and the differences

export interface Drift {
  tables: string[];
  columns: string[];
  primaryKeys: string[];
  indexes: string[];
  foreignKeys: string[];
  enums: string[];
}

const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const list = (a: readonly unknown[]) => `(${a.join(', ')})`;

export async function diffDatabase(db: Client, expected: ExpectedSchema): Promise<Drift> {
  const drift: Drift = { tables: [], columns: [], primaryKeys: [], indexes: [], foreignKeys: [], enums: [] };
  const expectedTables = new Map(expected.tables.map((t) => [t.name, t]));

  // --- tables
  const tables = (
    await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
    )
  ).rows.map((r) => r.name);
  for (const t of expected.tables) {
    if (!tables.includes(t.name)) drift.tables.push(`table ${t.name} (model ${t.model}) is missing`);
  }
  for (const name of tables) {
    if (!expectedTables.has(name) && name !== MIGRATIONS_TABLE) {
      drift.tables.push(`table ${name} exists but no model maps to it`);
    }
  }
  if (!tables.includes(MIGRATIONS_TABLE)) drift.tables.push(`table ${MIGRATIONS_TABLE} is missing`);

  // --- columns: type, nullability, default
  const columns = (
    await db.query<{ table: string; column: string; type: string; is_nullable: string; column_default: string | null }>(
      `SELECT c.table_name AS table, c.column_name AS column, c.is_nullable, c.column_default,
              format_type(a.atttypid, a.atttypmod) AS type
         FROM information_schema.columns c
         JOIN pg_attribute a
           ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
        WHERE c.table_schema = current_schema()
        ORDER BY c.table_name, c.ordinal_position`,
    )
  ).rows;
  for (const t of expected.tables) {
    if (!tables.includes(t.name)) continue;
    const actual = columns.filter((c) => c.table === t.name);
    for (const col of t.columns) {
      const where = `${t.name}.${col.name}`;
      const a = actual.find((c) => c.column === col.name);
      if (!a) {
        drift.columns.push(`column ${where} is missing (expected ${col.type}${col.nullable ? '' : ' NOT NULL'})`);
        continue;
      }
      if (a.type !== col.type) drift.columns.push(`column ${where} has type ${a.type}, schema.prisma says ${col.type}`);
      const nullable = a.is_nullable === 'YES';
      if (nullable !== col.nullable) {
        drift.columns.push(`column ${where} is ${nullable ? 'nullable' : 'NOT NULL'}, schema.prisma says ${col.nullable ? 'nullable' : 'NOT NULL'}`);
      }
      const problem = await defaultProblem(db, a.column_default, col.default, a.type);
      if (problem) drift.columns.push(`column ${where} ${problem}`);
    }
    for (const a of actual) {
      if (!t.columns.some((c) => c.name === a.column)) {
        drift.columns.push(`column ${t.name}.${a.column} (${a.type}) exists but model ${t.model} has no field for it`);
      }
    }
  }

  // --- indexes (primary key included) from pg_indexes, with their structure from pg_index
  const indexes = (
    await db.query<{ table: string; name: string; def: string; unique: boolean; primary: boolean; method: string; columns: string[]; desc: boolean[] }>(
      `SELECT i.tablename AS table, i.indexname AS name, i.indexdef AS def,
              x.indisunique AS unique, x.indisprimary AS primary, am.amname AS method,
              array(SELECT coalesce(a.attname::text, '(expression)')
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                      LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                     ORDER BY k.ord) AS columns,
              array(SELECT coalesce(pg_index_column_has_property(x.indexrelid, k.ord::int, 'desc'), false)
                      FROM generate_series(1, x.indnkeyatts) AS k(ord) ORDER BY k.ord) AS desc
         FROM pg_indexes i
         JOIN pg_class ic ON ic.relname = i.indexname
         JOIN pg_namespace n ON n.oid = ic.relnamespace AND n.nspname = i.schemaname
         JOIN pg_index x ON x.indexrelid = ic.oid
         JOIN pg_am am ON am.oid = ic.relam
        WHERE i.schemaname = current_schema()
        ORDER BY i.tablename, i.indexname`,
    )
  ).rows;
  const constraints = (
    await db.query<{ table: string; name: string; type: string }>(
      `SELECT table_name AS table, constraint_name AS name, constraint_type AS type
         FROM information_schema.table_constraints
        WHERE table_schema = current_schema() AND constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')`,
    )
  ).rows;
  for (const t of expected.tables) {
    if (!tables.includes(t.name)) continue;
    const actualPk = indexes.find((i) => i.table === t.name && i.primary);
    if (t.primaryKey && !actualPk) {
      drift.primaryKeys.push(`table ${t.name} has no primary key, expected ${t.primaryKey.name} ${list(t.primaryKey.columns)}`);
    } else if (!t.primaryKey && actualPk) {
      drift.primaryKeys.push(`table ${t.name} has primary key ${actualPk.name} but model ${t.model} has no @id`);
    } else if (t.primaryKey && actualPk) {
      if (actualPk.name !== t.primaryKey.name) {
        drift.primaryKeys.push(`primary key of ${t.name} is named ${actualPk.name}, expected ${t.primaryKey.name}`);
      }
      if (!same(actualPk.columns, t.primaryKey.columns)) {
        drift.primaryKeys.push(`primary key of ${t.name} is on ${list(actualPk.columns)}, expected ${list(t.primaryKey.columns)}`);
      }
    }

    const actual = indexes.filter((i) => i.table === t.name && !i.primary);
    for (const want of t.indexes) {
      const kind = want.unique ? 'unique index' : 'index';
      const a = actual.find((i) => i.name === want.name);
      if (!a) {
        const lookalike = actual.find((i) => same(i.columns, want.columns) && i.unique === want.unique);
        drift.indexes.push(
          `${kind} ${want.name} on ${t.name} ${list(want.columns)} is missing` +
            (lookalike ? ` (an index on the same columns is named ${lookalike.name})` : ''),
        );
        continue;
      }
      if (a.unique !== want.unique) drift.indexes.push(`index ${want.name} on ${t.name} is ${a.unique ? '' : 'not '}unique, expected ${want.unique ? '' : 'not '}unique`);
      if (!same(a.columns, want.columns)) drift.indexes.push(`${kind} ${want.name} is on ${list(a.columns)}, expected ${list(want.columns)}`);
      if (!same(a.desc, want.desc)) {
        drift.indexes.push(`${kind} ${want.name} has sort orders ${list(a.desc.map((d) => (d ? 'DESC' : 'ASC')))}, expected ${list(want.desc.map((d) => (d ? 'DESC' : 'ASC')))}`);
      }
      if (a.method !== want.method) drift.indexes.push(`${kind} ${want.name} uses ${a.method}, expected ${want.method}`);
    }
    for (const a of actual) {
      if (!t.indexes.some((i) => i.name === a.name)) drift.indexes.push(`index ${a.name} exists but schema.prisma does not declare it: ${a.def}`);
    }
    for (const c of constraints.filter((x) => x.table === t.name && x.type === 'UNIQUE')) {
      drift.indexes.push(`${t.name} has UNIQUE constraint ${c.name}; Prisma makes unique indexes (CREATE UNIQUE INDEX), not constraints`);
    }
  }

  // --- foreign keys: columns and targets from pg_constraint, actions from referential_constraints
  const foreignKeys = (
    await db.query<{ table: string; name: string; target: string; columns: string[]; target_columns: string[]; delete_rule: string; update_rule: string }>(
      `SELECT cl.relname AS table, con.conname AS name, tcl.relname AS target,
              array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
              array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS target_columns,
              rc.delete_rule, rc.update_rule
         FROM pg_constraint con
         JOIN pg_class cl ON cl.oid = con.conrelid
         JOIN pg_class tcl ON tcl.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = con.connamespace
         JOIN information_schema.referential_constraints rc
           ON rc.constraint_schema = n.nspname AND rc.constraint_name = con.conname
        WHERE con.contype = 'f' AND n.nspname = current_schema()
        ORDER BY 1, 2`,
    )
  ).rows;
  for (const t of expected.tables) {
    if (!tables.includes(t.name)) continue;
    const actual = foreignKeys.filter((f) => f.table === t.name);
    for (const want of t.foreignKeys) {
      const shown = `${t.name} ${list(want.columns)} -> ${want.target} ${list(want.targetColumns)}`;
      const a = actual.find((f) => f.name === want.name);
      if (!a) {
        drift.foreignKeys.push(`foreign key ${want.name}: ${shown} ON DELETE ${want.onDelete} ON UPDATE ${want.onUpdate} is missing`);
        continue;
      }
      if (!same(a.columns, want.columns) || a.target !== want.target || !same(a.target_columns, want.targetColumns)) {
        drift.foreignKeys.push(`foreign key ${want.name} is ${t.name} ${list(a.columns)} -> ${a.target} ${list(a.target_columns)}, expected ${shown}`);
      }
      if (a.delete_rule !== want.onDelete) drift.foreignKeys.push(`foreign key ${want.name} has ON DELETE ${a.delete_rule}, expected ON DELETE ${want.onDelete}`);
      if (a.update_rule !== want.onUpdate) drift.foreignKeys.push(`foreign key ${want.name} has ON UPDATE ${a.update_rule}, expected ON UPDATE ${want.onUpdate}`);
    }
    for (const a of actual) {
      if (!t.foreignKeys.some((f) => f.name === a.name)) {
        drift.foreignKeys.push(`foreign key ${a.name}: ${t.name} ${list(a.columns)} -> ${a.target} ${list(a.target_columns)} exists but no relation in schema.prisma makes it`);
      }
    }
  }

  // --- enums: every one, with exactly its values, in order
  const enums = (
    await db.query<{ name: string; values: string[] }>(
      `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
         FROM pg_type t
         JOIN pg_enum e ON e.enumtypid = t.oid
         JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema()
        GROUP BY t.typname ORDER BY 1`,
    )
  ).rows;
  for (const want of expected.enums) {
    const a = enums.find((e) => e.name === want.name);
    if (!a) drift.enums.push(`enum ${want.name} ${list(want.values)} is missing`);
    else if (!same(a.values, want.values)) drift.enums.push(`enum ${want.name} has values ${list(a.values)}, schema.prisma says ${list(want.values)}`);
  }
  for (const a of enums) {
    if (!expected.enums.some((e) => e.name === a.name)) drift.enums.push(`enum ${a.name} ${list(a.values)} exists but schema.prisma does not declare it`);
  }

  return drift;
}

/** Why a column's DEFAULT is not the expected one, or null when it is. */
async function defaultProblem(db: Client, actual: string | null, want: ExpectedDefault, type: string): Promise<string | null> {
  switch (want.kind) {
    case 'none':
      return actual === null ? null : `has DEFAULT ${actual}, schema.prisma declares no database default`;
    case 'now':
      return actual !== null && /^(CURRENT_TIMESTAMP|now\(\))$/i.test(actual)
        ? null
        : `has ${actual === null ? 'no DEFAULT' : `DEFAULT ${actual}`}, expected DEFAULT CURRENT_TIMESTAMP (@default(now()))`;
    case 'sequence':
      return actual !== null && /^nextval\(/i.test(actual)
        ? null
        : `has ${actual === null ? 'no DEFAULT' : `DEFAULT ${actual}`}, expected a sequence (@default(autoincrement()))`;
    case 'generated':
      return actual !== null ? null : `has no DEFAULT, expected DEFAULT ${want.sql} (@default(dbgenerated()))`;
    case 'literal': {
      if (actual === null) return `has no DEFAULT, expected DEFAULT ${want.shown}`;
      // Compare values, not spellings: PostgreSQL stores `DEFAULT -1` as '-1'::integer, 'x' as
      // 'x'::character varying, and so on. Both sides are evaluated as the column's type.
      const { rows } = await db.query<{ actual: string | null; expected: string | null }>(
        `SELECT ((${actual})::${type})::text AS actual, (${want.sql})::text AS expected`,
      );
      const r = rows[0];
      return r && r.actual === r.expected ? null : `has DEFAULT ${actual} (= ${r?.actual}), expected DEFAULT ${want.shown} (= ${r?.expected})`;
    }
  }
}

// ---------------------------------------------------------------------------------------------------

const schemaFile = path.join(projectRoot, 'prisma', 'schema.prisma');

describe('the migrated database matches prisma/schema.prisma', () => {
  const url = databaseUrlFor(config.database.url, `octavia_test_drift_${process.pid}_${randomBytes(4).toString('hex')}`);
  let db: Client;
  let expected: ExpectedSchema;
  let drift: Drift;

  beforeAll(async () => {
    const source = readFileSync(schemaFile, 'utf8');
    expected = expectedSchema(getDmmf(source).datamodel, source);
    await ensureDatabase(url);
    await migrate(url);
    db = new Client({ connectionString: url });
    await db.connect();
    drift = await diffDatabase(db, expected);
  });

  afterAll(async () => {
    await db?.end();
    await dropDatabase(url);
  });

  test('the DMMF was read (sanity: the schema has models and enums)', () => {
    expect(expected.tables.length).toBeGreaterThan(0);
    expect(expected.enums.length).toBeGreaterThan(0);
    expect(expected.tables.map((t) => t.name)).toContain('load_balancer');
  });

  test('every model has its table, and there is no other table but _prisma_migrations', () => {
    expect(drift.tables).toEqual([]);
  });

  test('every table has exactly its fields as columns, with their types, nullability and defaults', () => {
    expect(drift.columns).toEqual([]);
  });

  test('every table has its primary key', () => {
    expect(drift.primaryKeys).toEqual([]);
  });

  test('unique and plain indexes are exactly the declared ones (names, columns, order, method)', () => {
    expect(drift.indexes).toEqual([]);
  });

  test('foreign keys are exactly the relations (columns, target, ON DELETE / ON UPDATE)', () => {
    expect(drift.foreignKeys).toEqual([]);
  });

  test('every enum exists with exactly its values, in order', () => {
    expect(drift.enums).toEqual([]);
  });

  test('the comparison catches drift (a deliberately broken copy is reported on every count)', async () => {
    await db.query('BEGIN');
    try {
      await db.query(`
        ALTER TABLE listener ALTER COLUMN name TYPE VARCHAR(100);
        ALTER TABLE pool ALTER COLUMN project_id DROP NOT NULL;
        ALTER TABLE listener ALTER COLUMN connection_limit SET DEFAULT 0;
        ALTER TABLE member ALTER COLUMN weight DROP DEFAULT;
        ALTER TABLE amphora ALTER COLUMN compute_id SET DEFAULT 'x';
        ALTER TABLE flavor ADD COLUMN extra INTEGER;
        ALTER TABLE flavor_profile DROP COLUMN flavor_data;
        ALTER TABLE amphora_health DROP CONSTRAINT amphora_health_pkey;
        DROP INDEX amphora_status_idx;
        CREATE INDEX member_name_idx ON member (name);
        DROP INDEX pool_project_id_idx;
        CREATE INDEX pool_project_id_idx ON pool (project_id DESC);
        ALTER TABLE member DROP CONSTRAINT member_pool_id_fkey;
        ALTER TABLE member ADD CONSTRAINT member_pool_id_fkey FOREIGN KEY (pool_id) REFERENCES pool(id) ON DELETE RESTRICT ON UPDATE CASCADE;
        ALTER TABLE listener DROP CONSTRAINT listener_default_pool_id_fkey;
        ALTER TYPE "Topology" ADD VALUE 'MESH';
        CREATE TYPE "Leftover" AS ENUM ('A');
        CREATE TABLE stray (id INTEGER);
      `);
      const broken = await diffDatabase(db, expected);
      const all = Object.values(broken).flat().join('\n');
      const reported = [
        /column listener\.name has type character varying\(100\), schema\.prisma says character varying\(255\)/,
        /column pool\.project_id is nullable, schema\.prisma says NOT NULL/,
        /column listener\.connection_limit has DEFAULT 0 .*expected DEFAULT -1/,
        /column member\.weight has no DEFAULT, expected DEFAULT 1/,
        /column amphora\.compute_id has DEFAULT 'x'.*declares no database default/,
        /column flavor\.extra \(integer\) exists but model Flavor has no field for it/,
        /column flavor_profile\.flavor_data is missing/,
        /table amphora_health has no primary key, expected amphora_health_pkey \(amphora_id\)/,
        /index amphora_status_idx on amphora \(status\) is missing/,
        /index member_name_idx exists but schema\.prisma does not declare it/,
        /index pool_project_id_idx has sort orders \(DESC\), expected \(ASC\)/,
        /foreign key member_pool_id_fkey has ON DELETE RESTRICT, expected ON DELETE CASCADE/,
        /foreign key listener_default_pool_id_fkey: listener \(default_pool_id\) -> pool \(id\) ON DELETE SET NULL ON UPDATE CASCADE is missing/,
        /enum Topology has values \(SINGLE, ACTIVE_STANDBY, MESH\), schema\.prisma says \(SINGLE, ACTIVE_STANDBY\)/,
        /enum Leftover \(A\) exists but schema\.prisma does not declare it/,
        /table stray exists but no model maps to it/,
      ];
      for (const pattern of reported) expect(all).toMatch(pattern);
      expect(Object.values(broken).flat()).toHaveLength(reported.length);
    } finally {
      await db.query('ROLLBACK');
    }
    // And the rollback left the database as the migrations made it.
    expect(await diffDatabase(db, expected)).toEqual(drift);
  });
});
