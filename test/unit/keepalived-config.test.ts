/**
 * The keepalived renderers against Octavia 11's own templaters: for every case of
 * test/fixtures/keepalived/cases.ts, scripts/octavia-keepalived-oracle.py recorded the input
 * (`<kind>-<name>.json`) and what Octavia rendered from it (`<kind>-<name>.conf`), or that it failed.
 * Every rendering is then parsed by the real keepalived (`keepalived --config-test`) where it is
 * installed and the test runs as root (it needs a private network namespace).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoadBalancerConfig } from '../../drivers/amphora/port';
import { AmphoraDriverError } from '../../drivers/amphora/errors';
import {
  DEFAULT_KEEPALIVED_VRRP_OPTIONS,
  lvsListeners,
  newVrrpGroup,
  renderKeepalivedLvsConfig,
  renderKeepalivedVrrpConfig,
  unsupportedLvsFeatures,
  unsupportedLvsMemberFeatures,
} from '../../drivers/amphora/rest/keepalived';
import { lvsCases, vrrpCases, type LvsCase, type VrrpCase } from '../fixtures/keepalived/cases';

const FIXTURES = path.join(__dirname, '../fixtures/keepalived');

type Rendering = { kind: 'vrrp'; name: string; case: VrrpCase } | { kind: 'lvs'; name: string; case: LvsCase };

const renderings: Rendering[] = [
  ...Object.entries(vrrpCases).map(([name, c]) => ({ kind: 'vrrp' as const, name, case: c })),
  ...Object.entries(lvsCases).map(([name, c]) => ({ kind: 'lvs' as const, name, case: c })),
];

function render(r: Rendering): string {
  return r.kind === 'vrrp'
    ? renderKeepalivedVrrpConfig(r.case.input, r.case.options, r.case.basePath)
    : renderKeepalivedLvsConfig(r.case.config, r.case.listenerId, r.case.basePath);
}

/** The case as the oracle recorded it, and what Octavia did with it ("rendered" or "error: ..."). */
function recorded(r: Rendering): { octavia: string; input: unknown } {
  const { octavia, ...input } = JSON.parse(readFileSync(path.join(FIXTURES, `${r.kind}-${r.name}.json`), 'utf8')) as { octavia: string };
  return { octavia, input };
}

describe('keepalived renderers: what Octavia renders, case by case', () => {
  it('has an Octavia rendering for every case, and no rendering of a case that is gone', () => {
    const files = readdirSync(FIXTURES).filter((f) => f !== 'cases.ts');
    const expected = renderings.flatMap((r) => {
      const stem = `${r.kind}-${r.name}`;
      return recorded(r).octavia === 'rendered' ? [`${stem}.conf`, `${stem}.json`] : [`${stem}.json`];
    });
    expect(files.sort()).toEqual(expected.sort());
  });

  it.each(renderings.map((r) => [`${r.kind}-${r.name}`, r] as const))('%s', (_name, r) => {
    const { octavia, input } = recorded(r);
    // Octavia rendered exactly this input (else: /usr/bin/python3 scripts/octavia-keepalived-oracle.py).
    expect(input).toEqual(JSON.parse(JSON.stringify(r.case)));
    if (octavia === 'rendered') {
      expect(render(r)).toBe(readFileSync(path.join(FIXTURES, `${r.kind}-${r.name}.conf`), 'utf8'));
    } else {
      expect(octavia).toMatch(/^error: /);
      expect(() => render(r)).toThrow(AmphoraDriverError);
    }
  });
});

/**
 * What keepalived 2.2 says about every configuration Octavia 11 renders, on a machine that is not an
 * amphora. Anything else it says about one of ours is a defect.
 */
const OCTAVIA_DIAGNOSTICS = [
  // The check script is the agent's, written inside the amphora.
  /^Disabling track script check_script since not found\/accessible$/,
  // Octavia gives the MASTER `state MASTER` and `nopreempt` (AH authentication likewise clears it).
  /^\(\w+\) Warning - nopreempt will not work with initial state MASTER - clearing$/,
  /^\(\w+\) Initial state master is incompatible with AH authentication - clearing$/,
  // IPv6 VRRP is VRRPv3, which has no authentication.
  /^\(\w+\) VRRP version 3 does not support authentication\. Ignoring\.$/,
  // An IPv6 VIP over IPv4 VRRP is only in virtual_ipaddress_excluded.
  /^\(\w+\) No VIP specified; at least one is sensible$/,
  // During a failover the surviving amphora has no ALLOCATED peer.
  /^\(\w+\) A unicast keyword has been specified without any unicast peers\. Defaulting to multicast\. This usage is deprecated - please update your configuration\.$/,
  // Octavia 11 writes host routes with `gateway`, which keepalived 2.2 does not parse.
  /^\(.+: Line \d+\) VRRP parsed invalid IP gateway\. skipping IP\.\.\.$/,
  /^\(.+: Line \d+\) unknown route keyword gateway$/,
  // Octavia enables no script security; SCTP checks run amphora-health-checker.
  /^SECURITY VIOLATION - check scripts are being executed but script_security not enabled\.$/,
  // A pool without enabled members, or disabled.
  /^Virtual server \[ipv[46]-group\]:0 has no real servers - ignoring$/,
];

/** Cases that are about byte identity with an input keepalived itself refuses, and what it says. */
const REFUSED_BY_KEEPALIVED: Record<string, RegExp> = {
  'vrrp-peer-without-vrrp-ip': /malformed unicast peer address\[None\]/,
  'vrrp-ipv4-mapped-subnet': /Cannot mix IPv4 and IPv6 addresses for route/,
  'vrrp-escaping': /Truncating auth_pass to 8 characters/,
};

const keepalivedBin = ['/usr/sbin/keepalived', '/usr/local/sbin/keepalived'].find((bin) => spawnSync(bin, ['--version']).status === 0);
const isRoot = process.getuid?.() === 0;
if (!keepalivedBin) console.warn('keepalived-config.test.ts: no keepalived binary (apt-get install keepalived): the keepalived --config-test checks are skipped.');
else if (!isRoot) console.warn('keepalived-config.test.ts: not root (a private network namespace is needed): the keepalived --config-test checks are skipped.');

/**
 * keepalived --config-test, in private mount and network namespaces: the LVS configuration names the
 * agent's `amphora-haproxy` namespace (keepalived checks nothing when it is missing) and the VRRP one
 * an interface. Both are made there, and vanish with the process. Returns keepalived's diagnostics.
 */
function configTest(file: string, cfg: string): { status: number | null; diagnostics: string[] } {
  const intf = /^ {4}interface (\S+)$/m.exec(cfg)?.[1];
  const script = [
    'mount -t tmpfs tmpfs /run',
    'ip netns add amphora-haproxy',
    ...(intf ? ['ip link add "$1" type veth peer name "$1p"'] : []),
    'exec "$2" --config-test -f "$3"',
  ].join(' && ');
  const run = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script, 'sh', intf ?? '', keepalivedBin!, file], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  const diagnostics = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return { status: run.status, diagnostics };
}

(keepalivedBin && isRoot ? describe : describe.skip)('keepalived renderers: keepalived parses what they render', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'keepalived-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rendered = renderings.filter((r) => recorded(r).octavia === 'rendered').map((r) => [`${r.kind}-${r.name}`, render(r)] as const);

  it.each(rendered)('keepalived --config-test: %s', (name, cfg) => {
    const file = path.join(dir, `${name}.conf`);
    writeFileSync(file, cfg);
    const { status, diagnostics } = configTest(file, cfg);
    // 3 and 4: configuration errors (5 and 6: scripts without script security, as in every amphora).
    expect([0, 5, 6]).toContain(status);
    const refused = REFUSED_BY_KEEPALIVED[name];
    const unexpected = diagnostics.filter((d) => !OCTAVIA_DIAGNOSTICS.some((re) => re.test(d)) && !refused?.test(d));
    expect(unexpected).toEqual([]);
    if (refused) expect(diagnostics.some((d) => refused.test(d))).toBe(true);
  });

  it('and finds what is wrong in a broken one (the check can fail)', () => {
    const [name, cfg] = rendered.find(([n]) => n === 'lvs-monitor-tcp')!;
    const file = path.join(dir, `${name}-broken.conf`);
    const broken = cfg.replace('lb_kind NAT', 'lb_kind NATT').replace('connect_port 53', 'connect_prot 53');
    writeFileSync(file, broken);
    const { diagnostics } = configTest(file, broken);
    expect(diagnostics.join('\n')).toMatch(/unknown \[NATT\] routing method/);
    expect(diagnostics.join('\n')).toMatch(/Unknown keyword 'connect_prot'/);
  });
});

describe('the VRRP group of a load balancer', () => {
  const lbId = 'e0e0e0e0-0000-4000-8000-000000000001';

  it('is named after the load balancer, with a random 7-character password, as Octavia makes it', () => {
    const group = newVrrpGroup(lbId, DEFAULT_KEEPALIVED_VRRP_OPTIONS);
    expect(group).toEqual({ name: 'e0e0e0e0000040008000000000000001', authType: 'PASS', authPass: expect.stringMatching(/^[0-9a-f]{7}$/), advertInt: 1 });
    expect(newVrrpGroup(lbId, DEFAULT_KEEPALIVED_VRRP_OPTIONS).authPass).not.toBe(group.authPass);
    expect(newVrrpGroup(lbId, { vrrpAdvertInt: 3 }).advertInt).toBe(3);
  });
});

describe('UDP and SCTP listeners', () => {
  const base = lvsCases['algorithm-round-robin']!.config;

  it('are the ones keepalived serves', () => {
    expect(lvsListeners(lvsCases['second-listener']!.config).map((l) => l.protocolPort)).toEqual([5060]);
    expect(lvsListeners(lvsCases['sctp']!.config).map((l) => l.protocol)).toEqual(['SCTP']);
  });

  it('refuse a member of an IP version the VIP does not have, with Octavia’s amphora provider message', () => {
    expect(unsupportedLvsMemberFeatures('UDP', 'fd00::12', ['169.254.160.101'])).toEqual([
      "This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in UDP load balancers.",
    ]);
    expect(unsupportedLvsMemberFeatures('SCTP', '169.254.160.12', ['fd00::101'])).toHaveLength(1);
    expect(unsupportedLvsMemberFeatures('UDP', '169.254.160.12', ['169.254.160.101'])).toEqual([]);
    // Octavia checks UDP/SCTP pools only, and only those behind a listener (with a VIP).
    expect(unsupportedLvsMemberFeatures('TCP', 'fd00::12', ['169.254.160.101'])).toEqual([]);
    expect(unsupportedLvsMemberFeatures('UDP', 'fd00::12', [])).toEqual([]);
  });

  it('list each problem of a load balancer once, for pools that serve a listener', () => {
    expect(unsupportedLvsFeatures(lvsCases['members-other-family']!.config)).toHaveLength(1);
    const twoMixed: LoadBalancerConfig = {
      ...base,
      pools: [{ ...base.pools[0]!, members: base.pools[0]!.members.map((m) => ({ ...m, address: `fd00::${m.protocolPort}${m.id.slice(-1)}` })) }],
    };
    expect(unsupportedLvsFeatures(twoMixed)).toEqual([
      "This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in UDP load balancers.",
    ]);
    expect(unsupportedLvsFeatures({ ...twoMixed, listeners: [] })).toEqual([]);
    expect(unsupportedLvsFeatures(base)).toEqual([]);
  });

  it('render only for a listener of the load balancer', () => {
    expect(() => renderKeepalivedLvsConfig(base, 'f0f0f0f0-0000-4000-8000-000000000009', '/var/lib/octavia')).toThrow(/is not a listener/);
  });
});
