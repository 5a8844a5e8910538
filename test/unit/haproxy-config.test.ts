/**
 * The haproxy.cfg renderer against Octavia 11's own renderer: byte for byte with the two configurations
 * the real amphora agent was given (test/fixtures/reference/amphora-agent/), and with what Octavia's
 * JinjaTemplater renders for every case of test/fixtures/haproxy/cases.ts (scripts/octavia-haproxy-oracle.py
 * wrote `<case>.json`, the input it rendered, and `<case>.cfg`, its output). Every rendering is then
 * checked by the real HAProxy (`haproxy -c`, as the agent checks an upload) where it is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoadBalancerConfig } from '../../drivers/amphora/port';
import { AmphoraDriverNotSupported } from '../../drivers/amphora/errors';
import {
  DEFAULT_HAPROXY_OPTIONS,
  haproxyFeatures,
  haproxyPeerName,
  renderHaproxyConfig,
  unsupportedFeatures,
  unsupportedListenerFeatures,
  unsupportedPoolFeatures,
  type HaproxyRenderContext,
} from '../../drivers/amphora/rest/haproxy';
import { lb, listener, member, monitor, pool } from '../fixtures/amphora-config';
import { cases, type HaproxyCase } from '../fixtures/haproxy/cases';

const HAPROXY = path.join(__dirname, '../fixtures/haproxy');
const REFERENCE = path.join(__dirname, '../fixtures/reference/amphora-agent');

interface ReferenceSpec {
  lb_id: string;
  project_id: string;
  amphora_id: string;
  vip: string;
  vrrp_ip: string;
  topology: 'SINGLE';
  haproxy_version: string;
  listeners: Array<{
    id: string;
    protocol: 'HTTP';
    port: number;
    pool: {
      id: string;
      protocol: 'HTTP';
      lb_algorithm: 'ROUND_ROBIN';
      health_monitor: {
        type: 'HTTP';
        delay: number;
        timeout: number;
        max_retries: number;
        max_retries_down: number;
        http_method: string;
        url_path: string;
        expected_codes: string;
      };
      members: Array<{ id: string; address: string; port: number; weight: number }>;
    };
  }>;
}

/** The reference spec as our configuration, with the API's defaults for what it does not say. */
function fromReference(spec: ReferenceSpec): LoadBalancerConfig {
  return lb({
    loadBalancerId: spec.lb_id,
    projectId: spec.project_id,
    vipAddress: spec.vip,
    topology: spec.topology,
    listeners: spec.listeners.map((l) => listener(0, { id: l.id, protocol: l.protocol, protocolPort: l.port, defaultPoolId: l.pool.id })),
    pools: spec.listeners.map(({ pool: p }) => pool(0, {
      id: p.id,
      protocol: p.protocol,
      lbAlgorithm: p.lb_algorithm,
      members: p.members.map((m) => member(0, { id: m.id, address: m.address, protocolPort: m.port, weight: m.weight })),
      healthMonitor: monitor({
        id: `${p.id}-hm`,
        type: p.health_monitor.type,
        delay: p.health_monitor.delay,
        timeout: p.health_monitor.timeout,
        maxRetries: p.health_monitor.max_retries,
        maxRetriesDown: p.health_monitor.max_retries_down,
        httpMethod: p.health_monitor.http_method,
        urlPath: p.health_monitor.url_path,
        expectedCodes: p.health_monitor.expected_codes,
      }),
    })),
  });
}

describe('haproxy.cfg renderer: the configurations the real amphora agent ran', () => {
  const spec = JSON.parse(readFileSync(path.join(REFERENCE, 'lb-spec-3-members.json'), 'utf8')) as ReferenceSpec;
  const context: HaproxyRenderContext = {
    // What the agent reported in GET /1.0/info (samples/02-get-info.json).
    haproxyVersion: '2.6.12-1+deb12u4',
    amphorae: [{ id: spec.amphora_id, vrrpIp: spec.vrrp_ip, status: 'ALLOCATED' }],
    options: { ...DEFAULT_HAPROXY_OPTIONS },
  };

  it('renders haproxy-3-members.cfg byte for byte', () => {
    const expected = readFileSync(path.join(REFERENCE, 'haproxy-3-members.cfg'), 'utf8');
    expect(renderHaproxyConfig(fromReference(spec), context)).toBe(expected);
  });

  it('renders haproxy-2-members.cfg byte for byte once the third member is gone', () => {
    const config = fromReference(spec);
    const pool = config.pools[0]!;
    pool.members = pool.members.filter((m) => m.id !== 'd0d0d0d0-0000-4000-8000-000000000003');
    expect(pool.members).toHaveLength(2);
    const expected = readFileSync(path.join(REFERENCE, 'haproxy-2-members.cfg'), 'utf8');
    expect(renderHaproxyConfig(config, context)).toBe(expected);
  });
});

describe('haproxy.cfg renderer: what Octavia renders, feature by feature', () => {
  const names = Object.keys(cases);

  it('has an Octavia rendering for every case, and no rendering of a case that is gone', () => {
    const recorded = readdirSync(HAPROXY)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));
    expect(recorded.sort()).toEqual([...names].sort());
  });

  it.each(names)('%s', (name) => {
    const current: HaproxyCase = cases[name]!;
    const recorded = JSON.parse(readFileSync(path.join(HAPROXY, `${name}.json`), 'utf8')) as HaproxyCase & { octavia: string };
    // Octavia rendered exactly this input (else: /usr/bin/python3 scripts/octavia-haproxy-oracle.py).
    expect({ config: recorded.config, context: recorded.context }).toEqual({ config: current.config, context: current.context });
    const rendered = renderHaproxyConfig(current.config, current.context);
    if (recorded.octavia === 'rendered') {
      expect(rendered).toBe(readFileSync(path.join(HAPROXY, `${name}.cfg`), 'utf8'));
    } else {
      expect(recorded.octavia).toBe('no configuration');
      expect(rendered).toBeNull();
    }
  });
});

/** Debian's haproxy (the amphora's), when installed: the agent's own check of an uploaded configuration. */
const haproxyBin = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((bin) => spawnSync(bin, ['-v']).status === 0);
if (!haproxyBin) console.warn('haproxy-config.test.ts: no haproxy binary (apt-get install haproxy): the haproxy -c checks are skipped.');

(haproxyBin ? describe : describe.skip)('haproxy.cfg renderer: HAProxy accepts what it renders', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'haproxy-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rendered = Object.entries(cases).flatMap(([name, c]) => {
    const cfg = renderHaproxyConfig(c.config, c.context);
    return cfg === null ? [] : [[name, cfg] as const];
  });

  it.each(rendered)('haproxy -c: %s', (name, cfg) => {
    const file = path.join(dir, `${name}.cfg`);
    writeFileSync(file, cfg);
    // Throws with HAProxy's output when it finds fatal errors (exit status 1).
    execFileSync(haproxyBin!, ['-c', '-f', file], { stdio: 'pipe' });
  });

  it('and refuses a broken one (the check can fail)', () => {
    const file = path.join(dir, 'broken.cfg');
    writeFileSync(file, rendered[0]![1].replace(/default_backend \S+/, 'default_backend nowhere'));
    expect(() => execFileSync(haproxyBin!, ['-c', '-f', file], { stdio: 'pipe' })).toThrow(/nowhere/);
  });
});

describe('haproxy.cfg renderer: context', () => {
  it('reads the HAProxy version as Octavia does (first two numbers)', () => {
    expect(haproxyFeatures('2.6.12-1+deb12u4')).toEqual({ httpReuse: true, poolAlpn: true, prometheus: true, insecureFork: true });
    expect(haproxyFeatures('2.0.13-2ubuntu0.1')).toEqual({ httpReuse: true, poolAlpn: true, prometheus: true, insecureFork: false });
    expect(haproxyFeatures('1.8.8')).toEqual({ httpReuse: true, poolAlpn: false, prometheus: false, insecureFork: false });
    expect(haproxyFeatures('1.5.18')).toEqual({ httpReuse: false, poolAlpn: false, prometheus: false, insecureFork: false });
    expect(() => haproxyFeatures('unknown')).toThrow(AmphoraDriverNotSupported);
  });

  it("names a peer as the agent's -L does: base64(sha1(amphora id)), no padding", () => {
    // The agent ran haproxy with -L J9XF6_vwLaLopSik7LVUQAChHno for this amphora (amphora-inside.txt).
    expect(haproxyPeerName('a5a5a5a5-0000-4000-8000-000000000001')).toBe('J9XF6_vwLaLopSik7LVUQAChHno');
    expect(haproxyPeerName('a5a5a5a5-0000-4000-8000-000000000047')).toBe('xgkUobsPMgDRtCx-1DWTkYzcaOs');
  });
});

describe('what the rest driver cannot serve', () => {
  const base = cases['algorithm-round-robin']!;
  const listener = base.config.listeners[0]!;
  const pool = base.config.pools[0]!;

  it('serves every feature case except SOURCE_IP_PORT and UDP', () => {
    const refused = Object.entries(cases)
      .filter(([, c]) => unsupportedFeatures(c.config).length > 0)
      .map(([name]) => name);
    expect(refused.sort()).toEqual(['algorithm-source-ip-port', 'listener-udp-and-http', 'listener-udp-only']);
  });

  it('refuses TLS termination and certificate references, which need a certificate manager', () => {
    const terminated = { ...listener, protocol: 'TERMINATED_HTTPS' as const, tls: { ...listener.tls, certificateRef: 'https://barbican/c1' } };
    expect(unsupportedListenerFeatures(terminated)).toEqual(['TERMINATED_HTTPS listeners: TLS certificates need a certificate manager, and none is configured.']);
    const clientCa = { ...listener, tls: { ...listener.tls, clientCaRef: 'ca' } };
    expect(unsupportedListenerFeatures(clientCa)).toHaveLength(1);
    const withCa = { ...pool, tls: { ...pool.tls, enabled: true, caCertificateRef: 'ca' } };
    expect(unsupportedPoolFeatures(withCa)).toEqual(['Pool TLS certificates need a certificate manager, and none is configured.']);
    const ciphers = { ...pool, tls: { ...pool.tls, enabled: true, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' } };
    expect(unsupportedPoolFeatures(ciphers)).toEqual(['Pool TLS cipher, TLS version and ALPN settings are not supported.']);
    // A pool encrypting to its members without certificates is served (pool-tls-enabled).
    expect(unsupportedPoolFeatures({ ...pool, tls: { ...pool.tls, enabled: true } })).toEqual([]);
  });

  it('refuses UDP and SCTP listeners and pools (keepalived/LVS), and SOURCE_IP_PORT as Octavia does', () => {
    expect(unsupportedListenerFeatures({ ...listener, protocol: 'SCTP' })).toEqual([
      'SCTP is served by keepalived/LVS, which this amphora driver does not configure yet.',
    ]);
    expect(unsupportedPoolFeatures({ ...pool, protocol: 'UDP', lbAlgorithm: 'SOURCE_IP_PORT' })).toEqual([
      'UDP is served by keepalived/LVS, which this amphora driver does not configure yet.',
      'Amphora provider does not support SOURCE_IP_PORT algorithm.',
    ]);
  });

  it('lists each problem of a load balancer once', () => {
    const config: LoadBalancerConfig = {
      ...base.config,
      listeners: [
        { ...listener, protocol: 'UDP' },
        { ...listener, id: 'l2', protocol: 'UDP', protocolPort: 54 },
      ],
    };
    expect(unsupportedFeatures(config)).toEqual(['UDP is served by keepalived/LVS, which this amphora driver does not configure yet.']);
  });

  it('the renderer refuses what would need certificates instead of rendering half of it', () => {
    const config: LoadBalancerConfig = {
      ...base.config,
      listeners: [{ ...listener, protocol: 'TERMINATED_HTTPS', tls: { ...listener.tls, certificateRef: 'c1' } }],
    };
    expect(() => renderHaproxyConfig(config, base.context)).toThrow(AmphoraDriverNotSupported);
    expect(() => renderHaproxyConfig(config, base.context)).toThrow(/certificate manager/);
  });
});
