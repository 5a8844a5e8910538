/**
 * Our policy table (domain/policy.ts) is Octavia 11's default policy: every one of Octavia's documented
 * policies is there with its rule and its request, and nothing else is but this deployment's own.
 * test/fixtures/reference/octavia/policy-defaults.json was dumped from Octavia 11's `policies.list_rules()`
 * (python3-octavia 11.0.0), so a policy changed on either side fails here.
 *
 * The rules themselves are checked persona by persona against Octavia's documented personas, written
 * out below independently of the code (not derived from it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ownPolicies, policies, ruleAllows, type Action, type Credentials, type Rule } from '../../domain/policy';

interface OctaviaPolicy {
  name: string;
  check_str: string;
  operations: { method: string; path: string }[];
}
const octavia = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../fixtures/reference/octavia/policy-defaults.json'), 'utf8'),
) as OctaviaPolicy[];

const PREFIX = 'os_load-balancer_api:';

it("has every one of Octavia's policies, with its rule and request, and no other but our own", () => {
  const ours = Object.fromEntries(
    (Object.entries(policies) as [Action, (typeof policies)[Action]][])
      .filter(([action]) => !ownPolicies.includes(action))
      .map(([action, p]) => [PREFIX + action, { check_str: `rule:load-balancer:${p.rule}`, operations: [{ method: p.method, path: p.path }] }]),
  );
  const theirs = Object.fromEntries(octavia.map((p) => [p.name, { check_str: p.check_str, operations: p.operations }]));
  expect(ours).toEqual(theirs);
  expect(octavia.length).toBeGreaterThan(70);
});

it('our own policies are the operator\'s (admin only)', () => {
  expect(ownPolicies.length).toBeGreaterThan(0);
  for (const action of ownPolicies) expect(policies[action].rule).toBe('admin');
});

type Persona = 'observer' | 'global-observer' | 'member' | 'lb-admin' | 'admin' | 'quota-admin' | 'reader-member' | 'system-reader';
const personas: Record<Persona, Credentials> = {
  observer: { projectId: 'a', roles: ['load-balancer_observer'], isAdmin: false },
  'global-observer': { projectId: 'a', roles: ['load-balancer_global_observer'], isAdmin: false },
  member: { projectId: 'a', roles: ['load-balancer_member'], isAdmin: false },
  'lb-admin': { projectId: 'a', roles: ['load-balancer_admin'], isAdmin: false },
  // context_is_admin's deprecated `role:admin`, OR'd in while enforce_new_defaults is False.
  admin: { projectId: 'a', roles: ['admin'], isAdmin: false },
  'quota-admin': { projectId: 'a', roles: ['load-balancer_quota_admin'], isAdmin: false },
  // OpenStack's default roles alone give nothing of the load-balancer API.
  'reader-member': { projectId: 'a', roles: ['reader', 'member'], isAdmin: false },
  // system-reader: a reader with a system-scoped token reads like a global observer.
  'system-reader': { projectId: undefined, roles: ['reader'], system: true, isAdmin: false },
};

/** Octavia's documented personas: 'own' = in its project only, 'all' = any project, 'none'. */
const documented: Record<Rule, Record<Persona, 'own' | 'all' | 'none'>> = {
  read: { observer: 'own', 'global-observer': 'all', member: 'own', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'none', 'reader-member': 'none', 'system-reader': 'all' },
  'read-global': { observer: 'none', 'global-observer': 'all', member: 'none', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'none', 'reader-member': 'none', 'system-reader': 'all' },
  write: { observer: 'none', 'global-observer': 'none', member: 'own', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'none', 'reader-member': 'none', 'system-reader': 'none' },
  admin: { observer: 'none', 'global-observer': 'none', member: 'none', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'none', 'reader-member': 'none', 'system-reader': 'none' },
  'read-quota': { observer: 'own', 'global-observer': 'all', member: 'own', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'all', 'reader-member': 'none', 'system-reader': 'all' },
  'read-quota-global': { observer: 'none', 'global-observer': 'all', member: 'none', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'all', 'reader-member': 'none', 'system-reader': 'all' },
  'write-quota': { observer: 'none', 'global-observer': 'none', member: 'none', 'lb-admin': 'all', admin: 'all', 'quota-admin': 'all', 'reader-member': 'none', 'system-reader': 'none' },
};

describe.each(Object.keys(documented) as Rule[])('rule %s', (rule) => {
  it.each(Object.keys(personas) as Persona[])('%s', (persona) => {
    const who = personas[persona];
    const scope = documented[rule][persona];
    expect(ruleAllows(rule, who, 'a')).toBe(scope !== 'none' && (scope === 'all' || who.projectId === 'a'));
    expect(ruleAllows(rule, who, 'b')).toBe(scope === 'all');
  });
});

it('noauth mode makes every request an admin (is_admin:True)', () => {
  const noauth: Credentials = { projectId: undefined, roles: [], isAdmin: true };
  for (const rule of ['admin', 'write', 'write-quota'] as Rule[]) expect(ruleAllows(rule, noauth, 'b')).toBe(true);
});
