/**
 * The health manager's UDP receiver (Octavia's UDPStatusGetter): binds [health_manager] bind_ip:bind_port
 * (HEALTH_MANAGER_BIND_IP / HEALTH_MANAGER_BIND_PORT), unwraps each datagram with HEARTBEAT_KEY
 * (drivers/amphora/heartbeat.ts) and hands what it means to `record` (db/heartbeats.ts).
 *
 * A datagram that is not a heartbeat (oversized, wrong HMAC, not zlib, not JSON, wrong shape), a
 * heartbeat from an amphora the database does not know, and one that finds the queue full are dropped
 * and counted in octavia_heartbeats_dropped_total{reason} (the others in octavia_heartbeats_received_total);
 * nothing a sender does stops the receiver.
 *
 * A slow database cannot make anything grow without bound. The socket is read as fast as datagrams
 * arrive (unwrapping is synchronous and bounded: 64 KiB in, 1 MiB inflated), so the kernel's buffer
 * does not fill behind a slow write. Writes are serialised per amphora, at most `concurrency` amphorae at
 * a time; a heartbeat that arrives while its amphora's previous one is still waiting or being written is
 * folded into the waiting one: the newer statuses win and the statistics' deltas add up, so nothing is
 * lost and one amphora holds at most one waiting entry. At most `maxPendingAmphorae` amphorae wait;
 * beyond that a new amphora's heartbeat is dropped (`queue_full`), and its next one, an interval later,
 * tries again. A write that fails (the database is down) is kept, folded into the amphora's next
 * heartbeat and written with it, so a database outage costs no statistics and no retry loop.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { counter } from '../common/metrics';
import type { Logger } from '../common/logger';
import type { HeartbeatRecord, RecordOutcome } from '../db/heartbeats';
import { combineReports, statsFromHeartbeat } from '../domain/listener-statistics';
import { normaliseReport } from '../domain/operating-status';
import { decodeHeartbeat, type DecodedHeartbeat, type HeartbeatRejection, type HeartbeatTarget } from '../drivers/amphora/heartbeat';

export type DropReason = HeartbeatRejection | 'unknown_amphora' | 'queue_full';

export const heartbeatsReceived = counter({
  name: 'octavia_heartbeats_received_total',
  help: 'Datagrams the health manager accepted as heartbeats (signed, well formed).',
});
export const heartbeatsDropped = counter({
  name: 'octavia_heartbeats_dropped_total',
  help: 'Datagrams and heartbeats the health manager dropped, by reason (oversized, hmac, not_zlib, not_json, shape, unknown_amphora, queue_full).',
  labelNames: ['reason'] as const,
});

/** One warning per reason per minute: a flood of bad datagrams must not flood the log too. */
const WARN_EVERY_MS = 60_000;

export interface HeartbeatReceiverOptions {
  bindIp: string;
  /** 0: any free port (tests). */
  bindPort: number;
  key: string;
  log: Logger;
  record(beat: HeartbeatRecord): Promise<RecordOutcome>;
  /** Amphorae written at the same time (each takes a database connection). */
  concurrency: number;
  maxPendingAmphorae?: number;
}

export interface HeartbeatReceiver {
  /** Where amphorae send to (a wildcard bind answers on loopback). */
  readonly address: HeartbeatTarget;
  /** Stops reading, then writes what is waiting. */
  stop(): Promise<void>;
}

/** A decoded heartbeat as the database step takes it. */
export function heartbeatRecord(message: DecodedHeartbeat): HeartbeatRecord {
  return { amphoraId: message.id, report: normaliseReport(message), stats: statsFromHeartbeat(message) };
}

/** Two heartbeats of one amphora as one: the newer statuses, the statistics of both. */
function fold(older: HeartbeatRecord, newer: HeartbeatRecord): HeartbeatRecord {
  return { ...newer, stats: combineReports(older.stats, newer.stats) };
}

export async function startHeartbeatReceiver(opts: HeartbeatReceiverOptions): Promise<HeartbeatReceiver> {
  const { log, key, record, concurrency } = opts;
  const maxPending = opts.maxPendingAmphorae ?? 10_000;
  /** Waiting to be written, one entry per amphora, oldest first. */
  const waiting = new Map<string, HeartbeatRecord>();
  /** Written now. */
  const writing = new Set<string>();
  /** Failed to write: folded into the amphora's next heartbeat. */
  const kept = new Map<string, HeartbeatRecord>();
  let stopping = false;
  let idle: (() => void) | undefined;

  const lastWarned = new Map<string, { at: number; suppressed: number }>();
  const warn = (topic: string, fields: Record<string, unknown>, msg: string) => {
    const seen = lastWarned.get(topic);
    const now = Date.now();
    if (seen && now - seen.at < WARN_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    lastWarned.set(topic, { at: now, suppressed: 0 });
    log.warn({ ...fields, ...(seen?.suppressed ? { suppressedSinceLastWarning: seen.suppressed } : {}) }, msg);
  };
  const drop = (reason: DropReason, fields: Record<string, unknown>, msg: string) => {
    heartbeatsDropped.inc({ reason });
    warn(reason, { ...fields, reason }, msg);
  };

  const pump = () => {
    for (const [amphoraId, beat] of waiting) {
      if (writing.size >= concurrency) break;
      if (writing.has(amphoraId)) continue;
      waiting.delete(amphoraId);
      writing.add(amphoraId);
      void write(beat).finally(() => {
        writing.delete(amphoraId);
        pump();
      });
    }
    if (stopping && writing.size === 0 && waiting.size === 0) idle?.();
  };

  const write = async (beat: HeartbeatRecord) => {
    try {
      if ((await record(beat)) === 'unknown_amphora') {
        drop('unknown_amphora', { amphoraId: beat.amphoraId }, 'Heartbeat from an amphora the database does not know (purged?): its compute instance, if any, must be deleted by hand');
      }
    } catch (err) {
      warn('record_failed', { err, amphoraId: beat.amphoraId }, 'A heartbeat could not be written; it is kept for the next one');
      if (stopping) return;
      const newer = waiting.get(beat.amphoraId);
      if (newer) waiting.set(beat.amphoraId, fold(beat, newer));
      else kept.set(beat.amphoraId, beat);
    }
  };

  const accept = (beat: HeartbeatRecord) => {
    const { amphoraId } = beat;
    const earlier = waiting.get(amphoraId) ?? kept.get(amphoraId);
    kept.delete(amphoraId);
    if (!earlier && waiting.size >= maxPending) {
      drop('queue_full', { amphoraId, waiting: waiting.size }, 'Heartbeat dropped: too many amphorae wait for the database');
      return;
    }
    waiting.set(amphoraId, earlier ? fold(earlier, beat) : beat);
    pump();
  };

  const socket = dgram.createSocket({ type: isIPv6(opts.bindIp) ? 'udp6' : 'udp4' });
  socket.on('message', (packet, from) => {
    const decoded = decodeHeartbeat(packet, key);
    if (!decoded.ok) {
      drop(decoded.reason, { from: `${from.address}:${from.port}`, detail: decoded.detail }, 'Dropped a datagram that is not a valid heartbeat');
      return;
    }
    heartbeatsReceived.inc();
    accept(heartbeatRecord(decoded.message));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.bindPort, opts.bindIp, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // After the bind, a socket error (rare for UDP: the kernel refusing a read) is logged, never thrown.
  socket.on('error', (err) => log.error({ err }, 'Heartbeat socket error'));

  const bound = socket.address();
  const wildcard = bound.address === '0.0.0.0' || bound.address === '::';
  const address = { host: wildcard ? (bound.family === 'IPv6' ? '::1' : '127.0.0.1') : bound.address, port: bound.port };
  log.info({ address: `${bound.address}:${bound.port}` }, 'Health manager listening for heartbeats');

  return {
    address,
    async stop() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      stopping = true;
      kept.clear();
      await new Promise<void>((resolve) => {
        idle = resolve;
        pump();
      });
    },
  };
}
