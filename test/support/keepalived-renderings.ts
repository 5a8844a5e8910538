/**
 * The keepalived renderers' cases (test/fixtures/keepalived/cases.ts) with what Octavia's templaters
 * did with each, as the oracle recorded them: read by the renderers' unit test and by the keepalived
 * --config-test check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderKeepalivedLvsConfig, renderKeepalivedVrrpConfig } from '../../drivers/amphora/rest/keepalived';
import { lvsCases, vrrpCases, type LvsCase, type VrrpCase } from '../fixtures/keepalived/cases';

export const FIXTURES = path.join(__dirname, '../fixtures/keepalived');

export type Rendering = { kind: 'vrrp'; name: string; case: VrrpCase } | { kind: 'lvs'; name: string; case: LvsCase };

export const renderings: Rendering[] = [
  ...Object.entries(vrrpCases).map(([name, c]) => ({ kind: 'vrrp' as const, name, case: c })),
  ...Object.entries(lvsCases).map(([name, c]) => ({ kind: 'lvs' as const, name, case: c })),
];

export function render(r: Rendering): string {
  return r.kind === 'vrrp'
    ? renderKeepalivedVrrpConfig(r.case.input, r.case.options, r.case.basePath)
    : renderKeepalivedLvsConfig(r.case.config, r.case.listenerId, r.case.basePath);
}

/** The case as the oracle recorded it, and what Octavia did with it ("rendered" or "error: ..."). */
export function recorded(r: Rendering): { octavia: string; input: unknown } {
  const { octavia, ...input } = JSON.parse(readFileSync(path.join(FIXTURES, `${r.kind}-${r.name}.json`), 'utf8')) as { octavia: string };
  return { octavia, input };
}
