/**
 * The emulator against the recording: every request the reference controller sent to the real agent
 * (samples 01-27, in order) is sent again, over mutual TLS, and the emulator must answer as the agent
 * did: status, Content-Type, ETag, Content-Length, body. /details carries machine counters (cpu,
 * memory, load, disk, traffic), which are compared by shape.
 */
import { readdirSync } from 'node:fs';
import { pythonJson } from '../../drivers/amphora/rest/python-json';
import { splitCertAndKey } from '../../drivers/amphora/rest/pem';
import { exchange, type AgentResponse } from '../../drivers/amphora/rest/transport';
import { AmphoraAgentEmulator, FIXTURES, loadSample, type Sample } from '../emulators/amphora-agent';
import { makeTestPki, type TestPki } from '../emulators/amphora-agent/pki';

const AMPHORA_ID = 'a5a5a5a5-0000-4000-8000-000000000001';
const samples = readdirSync(FIXTURES)
  .filter((f) => /^\d\d-.*\.json$/.test(f))
  .sort();

let pki: TestPki;
let emu: AmphoraAgentEmulator;

beforeAll(async () => {
  pki = await makeTestPki();
  emu = await AmphoraAgentEmulator.start({ amphoraId: AMPHORA_ID, serverPem: await pki.serverPem(AMPHORA_ID), clientCaPem: pki.clientCaPem, nics: ['fa:16:3e:a5:00:01'] });
});
afterAll(async () => {
  await emu?.stop();
  await pki?.remove();
});

function send(sample: Sample): Promise<AgentResponse> {
  const { cert, key } = splitCertAndKey(pki.tls.clientCertPem, 'client.pem');
  const body =
    sample.request_body === null ? undefined : Buffer.from(typeof sample.request_body === 'string' ? sample.request_body : pythonJson(sample.request_body));
  return exchange(
    { cert, key, ca: pki.tls.serverCaPem },
    {
      host: emu.host,
      port: emu.port,
      servername: AMPHORA_ID,
      method: sample.method,
      path: sample.path,
      headers: sample.request_headers,
      body,
      connectTimeoutMs: 5000,
      readTimeoutMs: 5000,
    },
  );
}

/** Same keys, same types, recursively: for the counters /details reports. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

describe('the amphora agent emulator replays the recording', () => {
  it('has all 27 recorded exchanges', () => {
    expect(samples).toHaveLength(27);
  });

  it.each(samples)('%s', async (file) => {
    const sample = loadSample(file);
    const res = await send(sample);
    expect(res.status).toBe(sample.status);
    const headers = sample.response_headers;
    expect(res.headers['content-type']).toBe(headers['Content-Type']);
    expect(res.headers.server).toBe('gunicorn');
    expect(res.headers.connection).toBe('close');
    expect(res.headers.etag).toBe(headers.ETag);
    const text = res.body.toString('utf8');
    if (typeof sample.response_body === 'string') {
      expect(text).toBe(sample.response_body);
    } else if (sample.path === '/1.0/details') {
      const body = JSON.parse(text) as Record<string, unknown>;
      const recorded = sample.response_body as Record<string, unknown>;
      expect(shape(body)).toEqual(shape(recorded));
      for (const k of ['hostname', 'haproxy_version', 'api_version', 'active', 'haproxy_count', 'topology', 'topology_status', 'listeners', 'packages']) {
        expect(body[k]).toEqual(recorded[k]);
      }
    } else {
      expect(JSON.parse(text)).toEqual(sample.response_body);
      expect(res.headers['content-length']).toBe(headers['Content-Length']);
    }
  });
});
