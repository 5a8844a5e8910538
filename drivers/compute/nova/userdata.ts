/**
 * Config-drive files as cloud-init user data.
 *
 * Nova dropped personality files (the "files" Octavia used to inject) at microversion 2.57, so the
 * files an amphora needs (agent configuration, certificates) travel as cloud-init `write_files` in the
 * server's user data, which Nova places on the config drive (`config_drive: true`). Every file is
 * written with `encoding: b64` (so bytes and text are alike, and nothing needs YAML quoting),
 * `permissions: '0644'`, owner root.
 *
 * How the files are combined with the caller's user data:
 *   - no files                       the caller's user data as it is;
 *   - files, no user data            `#cloud-config` with `write_files`;
 *   - files + a cloud-config         one `#cloud-config`: the caller's document with our entries
 *     (text starting `#cloud-config`  appended to its `write_files` (cloud-init would otherwise let one
 *     that parses to a YAML map)      document's list replace the other's; comments are not kept);
 *   - files + anything else          a MIME multipart/mixed document (cloud-init's own format for
 *     (a script, a boothook, an       several parts): first our `text/cloud-config` part, then the
 *     #include, a MIME document,      caller's data as one part, its type found as cloud-init finds it
 *     bytes)                          (`#!` -> text/x-shellscript, ...; a MIME document nested as it is;
 *                                     gzip -> application/x-gzip; other bytes -> octet-stream, base64).
 *
 * Nova limits user_data to 65,535 characters of base64. When the result is larger, it is gzipped
 * (cloud-init unpacks gzipped user data); when even that is too large, the build is rejected
 * (not retryable). Five 10 KiB files, the most the driver port allows, can be over the limit unzipped.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';

export const NOVA_USER_DATA_MAX_BASE64 = 65535;

export class UserDataTooLargeError extends Error {
  constructor(readonly base64Length: number) {
    super(`User data with config-drive files is ${base64Length} characters of base64 even gzipped; Nova accepts at most ${NOVA_USER_DATA_MAX_BASE64}.`);
    this.name = 'UserDataTooLargeError';
  }
}

export interface WriteFile {
  path: string;
  encoding: 'b64';
  content: string;
  owner: string;
  permissions: string;
}

function toBuffer(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function writeFilesOf(files: Record<string, string | Uint8Array>): WriteFile[] {
  return Object.entries(files).map(([path, contents]) => ({
    path,
    encoding: 'b64',
    content: toBuffer(contents).toString('base64'),
    owner: 'root:root',
    permissions: '0644',
  }));
}

/** Text if the bytes are valid UTF-8, else undefined. */
function asText(b: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

const CLOUD_CONFIG = /^#cloud-config[ \t]*(\r?\n|$)/;

/** cloud-init's "starts with" table (cloudinit/handlers/__init__.py), longest prefix first. */
const STARTS_WITH: Array<[string, string]> = [
  ['#cloud-config-archive', 'text/cloud-config-archive'],
  ['#cloud-config-jsonp', 'text/cloud-config-jsonp'],
  ['#cloud-config', 'text/cloud-config'],
  ['#include-once', 'text/x-include-once-url'],
  ['#include', 'text/x-include-url'],
  ['#cloud-boothook', 'text/cloud-boothook'],
  ['#part-handler', 'text/part-handler'],
  ['#upstart-job', 'text/upstart-job'],
  ['## template: jinja', 'text/jinja2'],
  ['#!', 'text/x-shellscript'],
];

function isAscii(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s);
}

function mimePart(contentType: string, body: Buffer, filename: string): string {
  const text = asText(body);
  const headers = [`Content-Type: ${contentType}${text !== undefined ? '; charset="utf-8"' : ''}`, 'MIME-Version: 1.0'];
  let encoded: string;
  if (text !== undefined && isAscii(text)) {
    headers.push('Content-Transfer-Encoding: 7bit');
    encoded = text;
  } else {
    headers.push('Content-Transfer-Encoding: base64');
    encoded = (body.toString('base64').match(/.{1,76}/g) ?? []).join('\n');
  }
  headers.push(`Content-Disposition: attachment; filename="${filename}"`);
  return `${headers.join('\n')}\n\n${encoded}`;
}

/** The caller's user data as one MIME part (a MIME document as it is: its headers are the part's). */
function callerPart(data: Buffer): string {
  if (data[0] === 0x1f && data[1] === 0x8b) return mimePart('application/x-gzip', data, 'user-data.gz');
  const text = asText(data);
  if (text === undefined) return mimePart('application/octet-stream', data, 'user-data');
  if (/^content-type:/i.test(text)) return text.replace(/\r\n/g, '\n');
  const type = STARTS_WITH.find(([prefix]) => text.startsWith(prefix))?.[1] ?? 'text/plain';
  return mimePart(type, data, 'user-data');
}

/** Appends our write_files to a cloud-config document; undefined if it is not a cloud-config map. */
function mergeCloudConfig(text: string, ours: WriteFile[]): string | undefined {
  if (!CLOUD_CONFIG.test(text)) return undefined;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const map = doc as Record<string, unknown>;
  const existing = map.write_files ?? [];
  if (!Array.isArray(existing)) return undefined;
  map.write_files = [...existing, ...ours];
  return `#cloud-config\n${stringify(map, { lineWidth: 0 })}`;
}

/**
 * The user data to send (bytes, before base64), or undefined when there is none. `boundary` is for
 * tests; a random one is drawn otherwise.
 */
export function composeUserData(
  userData: string | Uint8Array | undefined,
  files: Record<string, string | Uint8Array> | undefined,
  boundary = `===============octavia-${randomBytes(12).toString('hex')}==`,
): Buffer | undefined {
  const caller = userData === undefined ? undefined : toBuffer(userData);
  const entries = writeFilesOf(files ?? {});
  if (entries.length === 0) return caller;
  const ours = `#cloud-config\n${stringify({ write_files: entries }, { lineWidth: 0 })}`;
  if (caller === undefined || caller.byteLength === 0) return Buffer.from(ours, 'utf8');

  const callerText = asText(caller);
  const merged = callerText === undefined ? undefined : mergeCloudConfig(callerText, entries);
  if (merged !== undefined) return Buffer.from(merged, 'utf8');

  // Our part asks cloud-init to append list entries, so a cloud-config inside the caller's part keeps
  // its own write_files instead of having ours replace them (or the reverse).
  const oursWithMerge = `${ours}merge_how:\n  - name: list\n    settings: [append]\n  - name: dict\n    settings: [no_replace, recurse_list]\n`;
  const doc = [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    mimePart('text/cloud-config', Buffer.from(oursWithMerge, 'utf8'), 'octavia-config-drive-files.cfg'),
    `--${boundary}`,
    callerPart(caller),
    `--${boundary}--`,
    '',
  ].join('\n');
  return Buffer.from(doc, 'utf8');
}

/** Base64 for Nova's `user_data`: gzipped when too large as it is; throws when too large even so. */
export function encodeUserData(data: Buffer | undefined): string | undefined {
  if (data === undefined) return undefined;
  const plain = data.toString('base64');
  if (plain.length <= NOVA_USER_DATA_MAX_BASE64) return plain;
  const zipped = gzipSync(data, { level: 9 }).toString('base64');
  if (zipped.length <= NOVA_USER_DATA_MAX_BASE64) return zipped;
  throw new UserDataTooLargeError(zipped.length);
}
