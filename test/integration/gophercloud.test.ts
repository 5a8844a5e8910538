/**
 * Gophercloud (the Go SDK behind Terraform's OpenStack provider), unmodified, against our API in noauth
 * mode and in keystone mode (the Keystone emulator's catalog publishing our API as 'load-balancer',
 * gophercloud authenticating as a load-balancer_admin and finding the endpoint there): test/go/main.go drives its load-balancer packages through quotas (/v2/quotas), a single-call
 * create, the tree made one object at a time, updates, lists, the status tree, statistics, a member
 * batch update and the cascade delete. Its module is built here (modules from the Go module proxy,
 * packages from Go's default build cache, so a second run only links). .ci/run sets REQUIRE_GO=1,
 * which turns a missing `go` into a failure instead of a skip.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startKeystoneSystem, type KeystoneSystem } from '../support/keystone';
import { PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';

const run = promisify(execFile);
const GO = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/go/bin']
  .map((dir) => path.join(dir, 'go'))
  .find((p) => existsSync(p));
if (!GO && process.env.REQUIRE_GO) throw new Error('REQUIRE_GO is set but no go toolchain is on PATH or in /usr/local/go/bin');
if (!GO) console.warn('gophercloud test skipped: no go toolchain (PATH, /usr/local/go/bin)');
const suite = GO ? describe : describe.skip;

jest.setTimeout(300_000);

/** What the program prints, one line per step, whichever way it authenticates. */
const LIFECYCLE = [
  'quota set loadbalancer 5 listener 10 member 20',
  'quota get loadbalancer 5 healthmonitor 10 l7rule 10',
  'graph created PENDING_CREATE listeners 1 pools 2 members 2 policies 1 rules 1',
  'graph children pending true',
  'graph loadbalancer ACTIVE',
  'graph status tree ACTIVE listener ACTIVE pool ACTIVE members 2',
  'graph pool go-web monitor HTTP /health ACTIVE',
  'graph policy REDIRECT_TO_URL ACTIVE rules 1',
  'over quota 403',
  'quota reset listener -1',
  'made listener PENDING_CREATE pool PENDING_CREATE member PENDING_CREATE monitor PENDING_CREATE policy PENDING_CREATE rule PENDING_CREATE',
  'updated go-graph-renamed connection_limit 100 weight 7 delay 9',
  'listed listeners go-http,go-tcp pools 3 members 2',
  'found 1',
  'stats active_connections 0',
  'batch members 2',
  'policy deleted true',
  'cascade deleted true',
];

suite('gophercloud', () => {
  let dir: string;
  let binary: string;
  const lifecycle = async (...args: string[]) => {
    const { stdout } = await run(binary, args).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the gophercloud program failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    return stdout.trim().split('\n');
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'octavia-gophercloud-'));
    binary = path.join(dir, 'lifecycle');
    await run(GO!, ['build', '-o', binary, '.'], { cwd: path.join(__dirname, '../go'), env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' } });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('noauth', () => {
    let sys: TestSystem;
    beforeAll(async () => {
      sys = await startTestSystem();
    });
    afterAll(async () => {
      await sys?.stop();
    });

    it('runs the whole lifecycle, quotas and a single-call create included', async () => {
      expect(await lifecycle(sys.apiUrl, PROJECT_ID)).toEqual(LIFECYCLE);
    });
  });

  describe('keystone', () => {
    let ks: KeystoneSystem;
    beforeAll(async () => {
      ks = await startKeystoneSystem();
      ks.keystone.publishLoadBalancer(ks.sys.apiUrl);
    });
    afterAll(async () => {
      await ks?.stop();
    });

    it('authenticates with Keystone, finds our API in the catalog and runs the same lifecycle as a load-balancer admin', async () => {
      expect(await lifecycle('--keystone', ks.keystone.authUrl, 'lb-admin', 'lb-admin', 'demo')).toEqual(LIFECYCLE);
    });
  });
});
