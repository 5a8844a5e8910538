/**
 * The amphora agent's heartbeat on the wire (Octavia's health_daemon and status_message): one UDP
 * datagram every heartbeat_interval to the health manager's [health_manager] bind_ip:bind_port.
 *
 *   envelope = zlib.compress(json(message), 9) + HMAC-SHA256(heartbeat_key, <compressed bytes>)
 *
 * The HMAC is the 64 ASCII hex characters of the digest; agents older than the hex form append the 32
 * raw digest bytes, which the receiver still accepts (Octavia's unwrap_envelope tries hex first).
 * The message (version 3):
 *
 *   {"id": <amphora id>, "seq": <counter since agent start>, "ver": 3,
 *    "listeners": {<listener id>: {"status": "OPEN"|"FULL"|"STOP",
 *                                  "stats": {"tx", "rx", "totconns", "ereq": deltas since the previous
 *                                            heartbeat, "conns": the current count}}},
 *    "pools": {"<pool id>:<listener id>": {"status": "UP"|"DOWN", "members": {<member id>: "UP"|...}}}}
 *
 * Versions 1 and 2 (pools inside listeners, stats absolute) decode too: the health manager handles them
 * as Octavia does (domain/operating-status.ts, domain/listener-statistics.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';

/** The largest datagram read (Octavia's UDP_MAX_SIZE): a longer one is not a heartbeat. */
export const HEARTBEAT_MAX_BYTES = 64 * 1024;
/**
 * The largest message a datagram may inflate to. Octavia inflates without a bound; a real heartbeat is
 * a few KiB even with hundreds of members, and the bound keeps a compressed bomb from filling memory.
 */
export const HEARTBEAT_MAX_JSON_BYTES = 1024 * 1024;

const HEX_DIGEST_BYTES = 64;
const RAW_DIGEST_BYTES = 32;

const count = z.number().int().nonnegative();
const statsSchema = z.looseObject({ tx: count, rx: count, conns: count, totconns: count, ereq: count });
const poolSchema = z.looseObject({ status: z.string().optional(), members: z.record(z.string(), z.string()).default({}) });
/** Listener ids are keys the database is searched by: anything else is a malformed message. */
const listenerSchema = z.looseObject({
  status: z.string(),
  stats: statsSchema.optional(),
  /** Versions 1 and 2 only. */
  pools: z.record(z.string(), poolSchema).optional(),
});

export const heartbeatSchema = z.looseObject({
  id: z.guid(),
  seq: z.number().int().optional(),
  ver: z.number().int().optional(),
  listeners: z.record(z.guid(), listenerSchema),
  pools: z.record(z.string(), poolSchema).default({}),
});

/** What the receiver accepts (every version). */
export type DecodedHeartbeat = z.output<typeof heartbeatSchema>;
export type HeartbeatStats = z.output<typeof statsSchema>;

/** Member states as haproxy reports them (Octavia's UP, DOWN, DRAIN, MAINT, "no check"). */
export type HeartbeatMemberStatus = 'UP' | 'DOWN' | 'DRAIN' | 'MAINT' | 'no check';

/** What an agent of Octavia 11 sends (version 3). */
export interface HeartbeatMessage {
  id: string;
  seq: number;
  ver: 3;
  listeners: Record<string, { status: 'OPEN' | 'FULL' | 'STOP'; stats: HeartbeatStats }>;
  /** Keyed `<pool id>:<listener id>` (haproxy's backend name). */
  pools: Record<string, { status: 'UP' | 'DOWN'; members: Record<string, HeartbeatMemberStatus> }>;
}

/** Why a datagram is not a heartbeat (the receiver's drop counter is labelled with these). */
export type HeartbeatRejection = 'oversized' | 'hmac' | 'not_zlib' | 'not_json' | 'shape';

export type HeartbeatDecoding =
  | { ok: true; message: DecodedHeartbeat; digest: 'hex' | 'raw' }
  | { ok: false; reason: HeartbeatRejection; detail: string };

function hmac(key: string, payload: Buffer, form: 'hex' | 'raw'): Buffer {
  const mac = createHmac('sha256', key).update(payload);
  return form === 'hex' ? Buffer.from(mac.digest('hex'), 'ascii') : mac.digest();
}

/**
 * Wraps a message as the agent does (`rawDigest`: the older form). Any JSON value: tests of the
 * receiver wrap malformed messages too.
 */
export function encodeHeartbeat(message: unknown, key: string, opts: { rawDigest?: boolean } = {}): Buffer {
  const payload = deflateSync(Buffer.from(JSON.stringify(message), 'utf8'), { level: 9 });
  return Buffer.concat([payload, hmac(key, payload, opts.rawDigest ? 'raw' : 'hex')]);
}

/** The compressed payload whose HMAC matches, hex form first; compared in constant time. */
function signedPayload(packet: Buffer, key: string): { payload: Buffer; digest: 'hex' | 'raw' } | undefined {
  for (const [digest, length] of [
    ['hex', HEX_DIGEST_BYTES],
    ['raw', RAW_DIGEST_BYTES],
  ] as const) {
    if (packet.length <= length) continue;
    const payload = packet.subarray(0, packet.length - length);
    if (timingSafeEqual(packet.subarray(packet.length - length), hmac(key, payload, digest))) return { payload, digest };
  }
  return undefined;
}

export function decodeHeartbeat(packet: Buffer, key: string): HeartbeatDecoding {
  const reject = (reason: HeartbeatRejection, detail: string): HeartbeatDecoding => ({ ok: false, reason, detail });
  if (packet.length > HEARTBEAT_MAX_BYTES) return reject('oversized', `${packet.length} bytes, more than ${HEARTBEAT_MAX_BYTES}`);
  const signed = signedPayload(packet, key);
  // Neither digest form matches: a wrong key, a damaged or truncated datagram, or not a heartbeat at all.
  if (!signed) return reject('hmac', 'the HMAC does not match heartbeat_key');
  let text: string;
  try {
    text = inflateSync(signed.payload, { maxOutputLength: HEARTBEAT_MAX_JSON_BYTES }).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return reject('oversized', `inflates to more than ${HEARTBEAT_MAX_JSON_BYTES} bytes`);
    }
    return reject('not_zlib', (err as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return reject('not_json', (err as Error).message);
  }
  const checked = heartbeatSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return reject('shape', issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'malformed');
  }
  return { ok: true, message: checked.data, digest: signed.digest };
}

export interface HeartbeatTarget {
  host: string;
  port: number;
}

/** Sends heartbeats to one health manager, as the agent does (one datagram each, no answer). */
export class HeartbeatSender {
  private readonly socket: dgram.Socket;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly key: string,
  ) {
    this.socket = dgram.createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
    // A sender never keeps the process alive: the agent's timer does, or nothing.
    this.socket.unref();
  }

  send(message: HeartbeatMessage): Promise<void> {
    return this.sendPacket(encodeHeartbeat(message, this.key));
  }

  /** Any datagram (tests send damaged ones). */
  sendPacket(packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(packet, this.target.port, this.target.host, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
