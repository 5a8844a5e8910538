/**
 * clouds.yaml, read the way openstacksdk and the openstack CLI read it, so one file serves them and us.
 *
 *   - The file is `OS_CLIENT_CONFIG_FILE` when set, else the first of ./clouds.yaml,
 *     ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml (`.yml` accepted too).
 *   - secure.yaml (`OS_CLIENT_SECURE_FILE`, else the same three folders) holds the secrets of the same
 *     clouds; its entries are merged over clouds.yaml's, key by key (nested maps merged, not replaced).
 *   - The entry is the one named by `OS_CLOUD`; a name that no file has is an error, never a silent
 *     fallback to other credentials.
 *
 * Only what the Nova driver uses is interpreted (see config/openstack.ts); everything else in the entry
 * is kept but ignored. Pure file reading: nothing here logs, so secrets cannot leak from here.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export type CloudEntry = Record<string, unknown>;

export interface CloudsSearch {
  /** Environment (for OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE). */
  env: NodeJS.ProcessEnv;
  /** Defaults: process.cwd(), os.homedir(), '/etc/openstack'. Tests point them at temp folders. */
  cwd?: string;
  home?: string;
  etcDir?: string;
}

export class CloudsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudsConfigError';
  }
}

function searchDirs(s: CloudsSearch): string[] {
  const home = s.home ?? os.homedir();
  return [s.cwd ?? process.cwd(), path.join(home, '.config', 'openstack'), s.etcDir ?? '/etc/openstack'];
}

function firstExisting(dirs: string[], base: string): string | undefined {
  for (const dir of dirs) {
    for (const ext of ['yaml', 'yml']) {
      const file = path.join(dir, `${base}.${ext}`);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/** The clouds.yaml (and secure.yaml) openstacksdk would read, in its search order. */
export function findCloudsFiles(s: CloudsSearch): { clouds: string | undefined; secure: string | undefined } {
  const dirs = searchDirs(s);
  const clouds = s.env.OS_CLIENT_CONFIG_FILE || firstExisting(dirs, 'clouds');
  const secure = s.env.OS_CLIENT_SECURE_FILE || firstExisting(dirs, 'secure');
  return { clouds, secure };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain maps; `over` wins; lists and scalars are replaced (as openstacksdk merges). */
export function mergeMaps(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMap(b) && isMap(v) ? mergeMaps(b, v) : v;
  }
  return out;
}

function readClouds(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CloudsConfigError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    // The YAML parser's message quotes the offending line, which may hold a password: say where only.
    const line = (err as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new CloudsConfigError(`${file} is not valid YAML${line ? ` (line ${line})` : ''}.`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMap(doc) || (doc.clouds !== undefined && !isMap(doc.clouds))) {
    throw new CloudsConfigError(`${file} must be a map with a "clouds" map.`);
  }
  return (doc.clouds as Record<string, unknown> | undefined) ?? {};
}

/**
 * The entry of cloud `name` (clouds.yaml merged with secure.yaml), and the file it came from.
 * Throws CloudsConfigError when no file has it.
 */
export function readCloud(name: string, s: CloudsSearch): { entry: CloudEntry; file: string } {
  const files = findCloudsFiles(s);
  if (!files.clouds) {
    throw new CloudsConfigError(
      `OS_CLOUD=${name} but no clouds.yaml was found (OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ` +
        `~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml).`,
    );
  }
  const clouds = readClouds(files.clouds);
  const secure = files.secure && existsSync(files.secure) ? readClouds(files.secure) : {};
  const base = clouds[name];
  const extra = secure[name];
  if (base === undefined && extra === undefined) {
    const known = Object.keys(clouds);
    throw new CloudsConfigError(
      `Cloud "${name}" (OS_CLOUD) is not in ${files.clouds}` + (known.length ? ` (it has: ${known.join(', ')}).` : '.'),
    );
  }
  if ((base !== undefined && !isMap(base)) || (extra !== undefined && !isMap(extra))) {
    throw new CloudsConfigError(`Cloud "${name}" in ${files.clouds} must be a map.`);
  }
  return { entry: mergeMaps(base ?? {}, extra ?? {}), file: files.clouds };
}
