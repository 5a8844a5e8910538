/**
 * The heartbeat envelope (drivers/amphora/heartbeat.ts) against the datagram a real Octavia 11 amphora
 * agent sent (test/fixtures/reference/amphora-agent/), tampered copies of it, and, where Debian's
 * Octavia is installed, Octavia's own status_message module in both directions.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodeHeartbeat, encodeHeartbeat, HEARTBEAT_MAX_BYTES, type HeartbeatDecoding } from '../../drivers/amphora/heartbeat';

const FIXTURES = path.join(__dirname, '../fixtures/reference/amphora-agent');
const KEY = 'insecure-reference-heartbeat-key';
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const realPacket = () => Buffer.from(fixture('heartbeat-raw.hex').trim(), 'hex');
/** What the agent sent: the receiver's decoding without the `recv_time` Octavia's receiver adds. */
const sent = (name: string) => {
  const { recv_time: _, ...message } = JSON.parse(fixture(name));
  return message;
};

const rejection = (d: HeartbeatDecoding) => (d.ok ? 'accepted' : d.reason);
const sign = (payload: Buffer, key = KEY) => Buffer.concat([payload, Buffer.from(createHmac('sha256', key).update(payload).digest('hex'), 'ascii')]);

describe('the real agent\'s datagram', () => {
  it('is 173 bytes of zlib and 64 hex characters of HMAC, and decodes to what Octavia\'s receiver decoded', () => {
    const packet = realPacket();
    const recorded = JSON.parse(fixture('heartbeat-packet.json'));
    expect(packet.length).toBe(recorded.raw_len);
    expect(packet.subarray(-64).toString('ascii')).toMatch(/^[0-9a-f]{64}$/);
    const decoded = decodeHeartbeat(packet, KEY);
    expect(decoded).toEqual({ ok: true, digest: 'hex', message: sent('heartbeat-decoded.json') });
    const { recv_time: _, ...fromPacket } = recorded.decoded;
    expect(decoded.ok && decoded.message).toEqual(fromPacket);
  });

  it('is refused with another key', () => {
    expect(rejection(decodeHeartbeat(realPacket(), 'another-key'))).toBe('hmac');
    expect(rejection(decodeHeartbeat(realPacket(), ''))).toBe('hmac');
  });

  it('is refused with any byte flipped, in the compressed message or in the HMAC', () => {
    const packet = realPacket();
    for (let i = 0; i < packet.length; i++) {
      const tampered = Buffer.from(packet);
      tampered[i]! ^= 0x01;
      expect([i, rejection(decodeHeartbeat(tampered, KEY))]).toEqual([i, 'hmac']);
    }
  });

  it('is refused truncated, at either end, and extended', () => {
    const packet = realPacket();
    for (const cut of [1, 10, 64, 100, 236]) expect(rejection(decodeHeartbeat(packet.subarray(0, packet.length - cut), KEY))).toBe('hmac');
    expect(rejection(decodeHeartbeat(packet.subarray(1), KEY))).toBe('hmac');
    expect(rejection(decodeHeartbeat(Buffer.concat([packet, Buffer.from('0')]), KEY))).toBe('hmac');
    expect(rejection(decodeHeartbeat(Buffer.alloc(0), KEY))).toBe('hmac');
  });

  it('decodes in the older form, the same compressed bytes with the 32 raw digest bytes', () => {
    const payload = realPacket().subarray(0, -64);
    const older = Buffer.concat([payload, createHmac('sha256', KEY).update(payload).digest()]);
    expect(older.length).toBe(173 + 32);
    expect(decodeHeartbeat(older, KEY)).toEqual({ ok: true, digest: 'raw', message: sent('heartbeat-decoded.json') });
    const flipped = Buffer.from(older);
    flipped[older.length - 1]! ^= 0x80;
    expect(rejection(decodeHeartbeat(flipped, KEY))).toBe('hmac');
    expect(rejection(decodeHeartbeat(older, 'another-key'))).toBe('hmac');
  });
});

describe('our envelope', () => {
  it('round-trips every recorded heartbeat, in both digest forms', () => {
    for (const name of ['heartbeat-decoded.json', 'heartbeat-decoded-2-members.json', 'heartbeat-decoded-no-lb.json']) {
      const message = sent(name);
      expect(decodeHeartbeat(encodeHeartbeat(message, KEY), KEY)).toEqual({ ok: true, digest: 'hex', message });
      expect(decodeHeartbeat(encodeHeartbeat(message, KEY, { rawDigest: true }), KEY)).toEqual({ ok: true, digest: 'raw', message });
    }
  });

  it('is the agent\'s: zlib of the JSON, then the hex HMAC of the compressed bytes', () => {
    const packet = encodeHeartbeat({ id: 'x' }, KEY);
    const payload = packet.subarray(0, -64);
    expect(payload[0]).toBe(0x78); // a zlib header, not raw deflate or gzip
    expect(packet.subarray(-64).toString('ascii')).toBe(createHmac('sha256', KEY).update(payload).digest('hex'));
  });
});

describe('what is not a heartbeat', () => {
  it('a signed payload that is not zlib', () => {
    expect(decodeHeartbeat(sign(Buffer.from('{"id": "not compressed"}')), KEY)).toMatchObject({ ok: false, reason: 'not_zlib' });
  });

  it('signed zlib that is not JSON', () => {
    expect(decodeHeartbeat(sign(deflateSync('{"id": ')), KEY)).toMatchObject({ ok: false, reason: 'not_json' });
    expect(decodeHeartbeat(sign(deflateSync(Buffer.from([0xff, 0xfe, 0x00]))), KEY)).toMatchObject({ ok: false, reason: 'not_json' });
  });

  it('signed JSON of the wrong shape', () => {
    const good = sent('heartbeat-decoded.json');
    const listenerId = Object.keys(good.listeners)[0]!;
    const shapes: unknown[] = [
      [],
      'heartbeat',
      { ...good, id: undefined },
      { ...good, id: 'not-an-amphora-id' },
      { ...good, listeners: undefined },
      { ...good, listeners: { 'not-a-listener-id': good.listeners[listenerId] } },
      { ...good, listeners: { [listenerId]: { status: 'OPEN', stats: { tx: -1, rx: 0, conns: 0, totconns: 0, ereq: 0 } } } },
      { ...good, listeners: { [listenerId]: { status: 'OPEN', stats: { tx: '1840' } } } },
      { ...good, pools: { x: { members: { m: 1 } } } },
    ];
    for (const shape of shapes) expect([shape, rejection(decodeHeartbeat(encodeHeartbeat(shape, KEY), KEY))]).toEqual([shape, 'shape']);
  });

  it('a datagram longer than UDP_MAX_SIZE, and a small one that inflates past the bound', () => {
    expect(decodeHeartbeat(Buffer.alloc(HEARTBEAT_MAX_BYTES + 1), KEY)).toMatchObject({ ok: false, reason: 'oversized' });
    const bomb = sign(deflateSync(Buffer.alloc(8 * 1024 * 1024, 0x20), { level: 9 }));
    expect(bomb.length).toBeLessThan(HEARTBEAT_MAX_BYTES);
    expect(decodeHeartbeat(bomb, KEY)).toMatchObject({ ok: false, reason: 'oversized' });
  });
});

/** Octavia's own status_message module, where Debian's Octavia is installed (it is not everywhere CI runs). */
const PYTHON = '/usr/bin/python3';
const octavia = (script: string, input: string, ...args: string[]) =>
  execFileSync(PYTHON, ['-c', `import sys, json\nfrom octavia.amphorae.backends.health_daemon import status_message as sm\n${script}`, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const hasOctavia = (() => {
  if (!existsSync(PYTHON)) return false;
  try {
    octavia('', '');
    return true;
  } catch {
    return false;
  }
})();
if (!hasOctavia) console.log('heartbeat-envelope: Octavia\'s Python package is not installed; the cross-check with its status_message is skipped');

(hasOctavia ? describe : describe.skip)('Octavia\'s status_message module', () => {
  it('unwraps our envelope (both forms) to our message', () => {
    const message = sent('heartbeat-decoded-2-members.json');
    for (const rawDigest of [false, true]) {
      const out = octavia('print(json.dumps(sm.unwrap_envelope(bytes.fromhex(sys.stdin.read()), sys.argv[1])))', encodeHeartbeat(message, KEY, { rawDigest }).toString('hex'), KEY);
      expect(JSON.parse(out)).toEqual(message);
    }
  });

  it('wraps envelopes (both forms) that we unwrap', () => {
    const message = sent('heartbeat-decoded-2-members.json');
    for (const hex of [true, false]) {
      const out = octavia(`print(sm.wrap_envelope(json.loads(sys.stdin.read()), sys.argv[1], hex=${hex ? 'True' : 'False'}).hex())`, JSON.stringify(message), KEY);
      expect(decodeHeartbeat(Buffer.from(out.trim(), 'hex'), KEY)).toEqual({ ok: true, digest: hex ? 'hex' : 'raw', message });
    }
  });
});
