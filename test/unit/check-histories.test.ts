/**
 * scripts/check-histories.sh, in a scratch git repository: recorded histories may be added, never
 * changed or removed once committed (those older than the check: counted from the check's commit).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../scripts/check-histories.sh');
let repo: string;
const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd: repo, stdio: 'pipe' });
const history = (name: string, content: string) => writeFileSync(path.join(repo, 'test/fixtures/histories', name), content);
const commit = (message: string) => {
  git('add', '-A');
  git('commit', '-q', '-m', message);
};
const check = () => {
  const run = spawnSync('bash', ['scripts/check-histories.sh'], { cwd: repo, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
};

beforeEach(() => {
  repo = mkdtempSync(path.join(os.tmpdir(), 'check-histories-'));
  git('init', '-q');
  mkdirSync(path.join(repo, 'test/fixtures/histories'), { recursive: true });
  mkdirSync(path.join(repo, 'scripts'));
  history('old.json', '{"v":1}');
  commit('an old history');
  history('old.json', '{"v":2}');
  commit('re-recorded in place, before the rule');
  copyFileSync(SCRIPT, path.join(repo, 'scripts/check-histories.sh'));
  commit('the check');
  history('new.json', '{"n":1}');
  commit('a history recorded after the check');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

it('passes when every history is as first committed, and when one is added', () => {
  expect(check()).toMatchObject({ status: 0 });
  history('newer.json', '{"n":2}');
  expect(check()).toMatchObject({ status: 0 });
  commit('another one');
  expect(check()).toMatchObject({ status: 0, output: expect.stringContaining('3 recorded histories unchanged') });
});

it('fails when a history changes, committed or not', () => {
  history('new.json', '{"n":"edited"}');
  expect(check()).toMatchObject({ status: 1, output: expect.stringContaining('new.json differs') });
  commit('edited');
  expect(check()).toMatchObject({ status: 1, output: expect.stringContaining('new.json differs') });
  history('old.json', '{"v":3}');
  expect(check().output).toContain('old.json differs');
});

it('fails when a history is removed', () => {
  unlinkSync(path.join(repo, 'test/fixtures/histories/old.json'));
  commit('removed');
  expect(check()).toMatchObject({ status: 1, output: expect.stringContaining('old.json was removed') });
});
