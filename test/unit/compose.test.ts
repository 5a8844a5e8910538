/**
 * temporal-compose.yml must agree with the app's defaults (config/index.ts) and with the search
 * attributes the app sets (common/search-attributes.ts): a user who runs
 * `docker compose -f temporal-compose.yml up -d` and then `TEMPORAL_ADDRESS=127.0.0.1:7233 npm start`
 * gets a working system without touching any other setting. Expected values come from the config
 * and the attribute list, never from copies of them.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { SearchAttributeType } from '@temporalio/common';
import { loadConfig, projectRoot } from '../../config';
import { allSearchAttributes } from '../../common/search-attributes';

const composePath = path.join(projectRoot, 'temporal-compose.yml');
const composeText = fs.readFileSync(composePath, 'utf8');

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const serviceSchema = z.looseObject({
  image: z.string().optional(),
  build: z.unknown().optional(),
  environment: z.union([z.record(z.string(), scalar), z.array(z.string())]).optional(),
  ports: z
    .array(
      z.union([
        z.string(),
        z.number(),
        z.looseObject({
          target: z.coerce.number(),
          published: z.union([z.string(), z.number()]).optional(),
          host_ip: z.string().optional(),
        }),
      ]),
    )
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }).nullable())])
    .optional(),
  healthcheck: z.looseObject({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
  volumes: z.array(z.union([z.string(), z.looseObject({ source: z.string().optional() })])).optional(),
  entrypoint: z.union([z.string(), z.array(z.string())]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
});
type Service = z.infer<typeof serviceSchema>;

const composeSchema = z.looseObject({
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown().nullable()).optional(),
});
const compose = composeSchema.parse(YAML.parse(composeText));

/** The app's defaults: what `npm start` uses when no environment variable is set. */
const config = loadConfig({});

// Service names: the layout the file documents; the test fails loudly if one is renamed.
const TEMPORAL = 'temporal';
const TEMPORAL_DB = 'temporal-postgresql';
const ADMIN_TOOLS = 'temporal-admin-tools';
const UI = 'temporal-ui';
const APP_DB = 'octavia-postgresql';
const REGISTER = 'temporal-register-search-attributes';

/** PostgreSQL's port inside its container unless PGPORT moves it. */
const PG_DEFAULT_PORT = 5432;
/** The Temporal UI image's listen port unless TEMPORAL_UI_PORT moves it. */
const UI_DEFAULT_PORT = 8080;

function service(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`temporal-compose.yml has no service '${name}'`);
  return s;
}

function env(s: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(s.environment)) {
    for (const entry of s.environment) {
      const eq = entry.indexOf('=');
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (s.environment) {
    for (const [k, v] of Object.entries(s.environment)) if (v !== null) out[k] = String(v);
  }
  return out;
}

function envOf(name: string, key: string): string {
  const value = env(service(name))[key];
  if (value === undefined) throw new Error(`service '${name}' does not set ${key}`);
  return value;
}

interface Published {
  hostIp: string | undefined;
  hostPort: number | undefined;
  containerPort: number;
}

function ports(s: Service): Published[] {
  return (s.ports ?? []).map((p): Published => {
    if (typeof p === 'number') return { hostIp: undefined, hostPort: undefined, containerPort: p };
    if (typeof p === 'string') {
      const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
      const containerPort = Number(parts.pop());
      const hostPort = parts.length ? Number(parts.pop()) : undefined;
      const hostIp = parts.length ? parts.join(':') : undefined;
      return { hostIp, hostPort, containerPort };
    }
    return {
      hostIp: p.host_ip,
      hostPort: p.published === undefined ? undefined : Number(p.published),
      containerPort: p.target,
    };
  });
}

function dependsOn(s: Service): Record<string, string | undefined> {
  if (!s.depends_on) return {};
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(s.depends_on).map(([d, v]) => [d, v?.condition]));
}

function commandText(s: Service): string {
  const parts = [s.entrypoint, s.command].flatMap((c) => (c === undefined ? [] : Array.isArray(c) ? c : [c]));
  return parts.join('\n');
}

/** The comment block at the top of the file, without the leading '#'. */
const header = composeText
  .split('\n')
  .filter((_line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('#') || l.trim() === ''))
  .map((l) => l.replace(/^#\s?/, ''))
  .join('\n');

/** `temporal operator search-attribute create --type` spells the SDK's types like this. */
const cliType: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

describe('temporal-compose.yml', () => {
  test('publishes the Temporal frontend where the app looks for it by default', () => {
    const { ip, port } = config.temporal.devServer;
    const frontend = ports(service(TEMPORAL)).find((p) => p.hostPort === port);
    expect(frontend).toEqual({ hostIp: ip, hostPort: port, containerPort: expect.any(Number) });
    // Everything inside the stack dials the server on the container port that is published.
    for (const name of [ADMIN_TOOLS, UI, REGISTER]) {
      expect(envOf(name, 'TEMPORAL_ADDRESS')).toBe(`${TEMPORAL}:${frontend?.containerPort}`);
    }
    // And the header tells the user the address to give the app.
    expect(header).toContain('docker compose -f temporal-compose.yml up -d');
    expect(header).toContain(`TEMPORAL_ADDRESS=${ip}:${port} npm start`);
    expect(header).toContain('config/index.ts');
  });

  test('publishes the Web UI on the dev server UI port', () => {
    const { ip, uiPort } = config.temporal.devServer;
    const uiContainerPort = Number(env(service(UI)).TEMPORAL_UI_PORT ?? UI_DEFAULT_PORT);
    expect(ports(service(UI))).toContainEqual({ hostIp: ip, hostPort: uiPort, containerPort: uiContainerPort });
    expect(envOf(UI, 'TEMPORAL_CORS_ORIGINS')).toBeTruthy();
  });

  test('creates the namespace the app uses', () => {
    expect(envOf(TEMPORAL, 'DEFAULT_NAMESPACE')).toBe(config.temporal.namespace);
    expect(envOf(REGISTER, 'NAMESPACE')).toBe(config.temporal.namespace);
    expect(header).toContain(`namespace \`${config.temporal.namespace}\``);
  });

  test("runs the app's database where the default DATABASE_URL points", () => {
    const url = new URL(config.database.url);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    const dbEnv = env(service(APP_DB));

    expect(service(APP_DB).image).toMatch(/^postgres:/);
    expect(dbEnv.POSTGRES_DB).toBe(database);
    expect(dbEnv.POSTGRES_USER ?? 'postgres').toBe(user || 'postgres');
    if (password) expect(dbEnv.POSTGRES_PASSWORD).toBe(password);
    else expect(dbEnv.POSTGRES_HOST_AUTH_METHOD).toBe('trust');

    const hostPort = Number(url.port || PG_DEFAULT_PORT);
    const hostIp = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    expect(ports(service(APP_DB))).toContainEqual({
      hostIp,
      hostPort,
      containerPort: Number(dbEnv.PGPORT ?? PG_DEFAULT_PORT),
    });
    expect(service(APP_DB).healthcheck).toBeDefined();
  });

  test("points the Temporal server at its own PostgreSQL with that database's credentials", () => {
    const server = service(TEMPORAL);
    const db = service(TEMPORAL_DB);
    const dbEnv = env(db);

    expect(server.image).toMatch(/^temporalio\/auto-setup:1\.2\d\.\d+/);
    expect(db.image).toMatch(/^postgres:16(\.|$)/);
    expect(envOf(TEMPORAL, 'DB')).toBe('postgres12');
    expect(envOf(TEMPORAL, 'POSTGRES_SEEDS')).toBe(TEMPORAL_DB);
    expect(Number(envOf(TEMPORAL, 'DB_PORT'))).toBe(Number(dbEnv.PGPORT ?? PG_DEFAULT_PORT));
    expect(envOf(TEMPORAL, 'POSTGRES_USER')).toBe(dbEnv.POSTGRES_USER ?? 'postgres');
    expect(envOf(TEMPORAL, 'POSTGRES_PWD')).toBe(envOf(TEMPORAL_DB, 'POSTGRES_PASSWORD'));

    expect(dependsOn(server)[TEMPORAL_DB]).toBe('service_healthy');
    expect(db.healthcheck).toBeDefined();
    // Its data lives in a named volume that the file declares.
    const named = (db.volumes ?? [])
      .map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source))
      .filter((v): v is string => !!v && !v.startsWith('.') && !v.startsWith('/'));
    expect(named.length).toBeGreaterThan(0);
    for (const v of named) expect(Object.keys(compose.volumes ?? {})).toContain(v);
  });

  test('has interactive admin tools pointed at the server', () => {
    const tools = service(ADMIN_TOOLS);
    expect(tools.image).toMatch(/^temporalio\/admin-tools:/);
    expect(tools.stdin_open).toBe(true);
    expect(tools.tty).toBe(true);
  });

  test('pins every image to a version tag', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, image: s.image }).toEqual({ name, image: expect.any(String) });
      const image = s.image ?? '';
      const [ref] = image.split('@');
      const lastSlash = (ref ?? '').lastIndexOf('/');
      const colon = (ref ?? '').lastIndexOf(':');
      const tag = colon > lastSlash ? (ref ?? '').slice(colon + 1) : '';
      expect({ name, tag }).toEqual({ name, tag: expect.stringMatching(/^v?\d+(\.\d+)*([-.+][\w.-]+)?$/) });
    }
  });

  test('depends only on services that exist', () => {
    const names = Object.keys(compose.services);
    for (const [name, s] of Object.entries(compose.services)) {
      for (const target of Object.keys(dependsOn(s))) {
        expect({ name, dependsOn: target, exists: names.includes(target) && target !== name }).toEqual({
          name,
          dependsOn: target,
          exists: true,
        });
      }
    }
  });

  test('publishes no host port twice', () => {
    const published = Object.values(compose.services)
      .flatMap((s) => ports(s))
      .filter((p) => p.hostPort !== undefined)
      .map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}`);
    expect(new Set(published).size).toBe(published.length);
  });

  test("registers exactly the app's search attributes", () => {
    const expected = allSearchAttributes.map((a) => `${a.name}=${cliType[a.type]}`).sort();
    const registered = envOf(REGISTER, 'SEARCH_ATTRIBUTES').trim().split(/\s+/).sort();
    expect(registered).toEqual(expected);

    const register = service(REGISTER);
    expect(register.image).toMatch(/^temporalio\/admin-tools:/);
    expect(register.image).toBe(service(ADMIN_TOOLS).image);
    expect(Object.keys(dependsOn(register))).toContain(TEMPORAL);
    expect(register.restart).toBe('no');
    // The script registers what the variable lists, in the namespace the variable names
    // (`$$` is compose's escape for a literal `$`).
    const script = commandText(register);
    expect(script).toContain('temporal operator search-attribute create');
    expect(script).toContain('$$SEARCH_ATTRIBUTES');
    expect(script).toMatch(/--namespace "\$\$NAMESPACE"/);
    expect(script).toMatch(/--type "\$\$type"/);

    // The header names them for a reader too.
    for (const a of allSearchAttributes) {
      expect(header).toMatch(new RegExp(`^\\s*${a.name}\\s+${cliType[a.type]}\\s*$`, 'm'));
    }
  });
});
