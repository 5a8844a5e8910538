/**
 * The keepalived renderers against Octavia 11's own templaters: for every case of
 * test/fixtures/keepalived/cases.ts, scripts/octavia-keepalived-oracle.py recorded the input
 * (`<kind>-<name>.json`) and what Octavia rendered from it (`<kind>-<name>.conf`), or that it failed.
 * That the real keepalived parses every rendering is test/integration/keepalived-check.test.ts (system
 * suite: it needs root and a private network namespace).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { LoadBalancerConfig } from '../../drivers/amphora/port';
import { AmphoraDriverError } from '../../drivers/amphora/errors';
import {
  DEFAULT_KEEPALIVED_VRRP_OPTIONS,
  lvsListeners,
  newVrrpGroup,
  renderKeepalivedLvsConfig,
  unsupportedLvsFeatures,
  unsupportedLvsMemberFeatures,
} from '../../drivers/amphora/rest/keepalived';
import { lvsCases } from '../fixtures/keepalived/cases';
import { FIXTURES, recorded, render, renderings } from '../support/keepalived-renderings';

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
