/**
 * Every configuration the keepalived renderers make for the cases Octavia renders
 * (test/support/keepalived-renderings.ts) is parsed by the real keepalived (`keepalived --config-test`),
 * in private mount and network namespaces: it needs keepalived and root (skipped with one line
 * otherwise). System suite.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recorded, render, renderings } from '../support/keepalived-renderings';

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
if (!keepalivedBin) console.warn('keepalived-check.test.ts: no keepalived binary (apt-get install keepalived): the keepalived --config-test checks are skipped.');
else if (!isRoot) console.warn('keepalived-check.test.ts: not root (a private network namespace is needed): the keepalived --config-test checks are skipped.');

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
