/**
 * Real, unmodified OpenStack clients from Debian (python3-openstacksdk, python3-openstackclient with
 * python3-octaviaclient) against our API in noauth mode. .ci/run installs them and sets
 * REQUIRE_OPENSTACK_CLIENTS=1, which turns their absence into a failure instead of a skip.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ID, eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const OPENSTACK = '/usr/bin/openstack';
const installed = existsSync(OPENSTACK) && existsSync('/usr/lib/python3/dist-packages/octaviaclient');
if (!installed && process.env.REQUIRE_OPENSTACK_CLIENTS) {
  throw new Error('REQUIRE_OPENSTACK_CLIENTS is set but python3-openstackclient / python3-octaviaclient are not installed');
}
const suite = installed ? describe : describe.skip;
if (!installed) console.warn('OpenStack clients not installed: apt-get install python3-openstackclient python3-octaviaclient python3-openstacksdk');

jest.setTimeout(240_000);

suite('real OpenStack clients', () => {
  let sys: TestSystem;
  // The clients' own environment: no OS_* leaks in from the machine.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));

  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const cli = async (...args: string[]) => {
    const { stdout } = await run(OPENSTACK, ['--os-auth-type', 'none', '--os-endpoint', sys.apiUrl, 'loadbalancer', ...args], { env });
    return stdout;
  };
  const cliJson = async (...args: string[]) => JSON.parse(await cli(...args, '-f', 'json'));

  it('openstacksdk runs the whole lifecycle', async () => {
    const { stdout } = await run(PYTHON, [path.join(__dirname, '../clients/sdk_lifecycle.py'), sys.apiUrl, PROJECT_ID], { env });
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual([
      'created loadbalancer PENDING_CREATE',
      'loadbalancer ACTIVE',
      'listener ACTIVE',
      'pool ACTIVE',
      'members 2',
      'healthmonitor ACTIVE',
      'updated sdk-lb-renamed',
      'member weight 5',
      'found True',
      'status tree listeners 1',
      'status tree members 2',
      'stats active_connections 0',
      'deleted True',
    ]);
  });

  it('the openstack CLI lists, shows, sets, shows the status tree and deletes', async () => {
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'cli-lb', vip_subnet_id: VIP_SUBNET } });
    const id = res.body.loadbalancer.id;
    const active = () =>
      eventually(async () => ((await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status === 'ACTIVE' ? true : undefined));
    await active();
    await sys.api('POST', '/v2/lbaas/listeners', { listener: { name: 'cli-listener', protocol: 'TCP', protocol_port: 443, loadbalancer_id: id } });
    await active();

    const list = await cliJson('list');
    expect(list.map((l: { id: string }) => l.id)).toContain(id);
    expect((await cliJson('show', 'cli-lb')).id).toBe(id); // resolved by name, as the CLI does it

    await cli('set', '--name', 'cli-lb-renamed', '--description', 'set by the CLI', id);
    await active();
    expect(await cliJson('show', id)).toMatchObject({ name: 'cli-lb-renamed', description: 'set by the CLI' });

    // `status show` prints JSON by itself (it takes no -f).
    const tree = JSON.parse(await cli('status', 'show', id));
    expect(tree.loadbalancer.listeners.map((l: { name: string }) => l.name)).toEqual(['cli-listener']);
    expect((await cliJson('listener', 'list', '--loadbalancer', id)).map((l: { name: string }) => l.name)).toEqual(['cli-listener']);

    // The CLI sends numbers as strings (`"connection_limit": "100"`), which Octavia's WSME converts.
    await cli('listener', 'set', '--connection-limit', '100', 'cli-listener');
    await active();
    expect(await cliJson('listener', 'show', 'cli-listener')).toMatchObject({ connection_limit: 100 });
    // And a listener created by the CLI, its port given on the command line.
    await cli('listener', 'create', '--name', 'cli-listener-2', '--protocol', 'HTTP', '--protocol-port', '8080', '--connection-limit', '50', id);
    await active();
    expect(await cliJson('listener', 'show', 'cli-listener-2')).toMatchObject({ protocol_port: 8080, connection_limit: 50 });

    await cli('delete', '--cascade', id);
    await eventually(async () => ((await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).status === 404 ? true : undefined), 30000);
    expect((await cliJson('list')).map((l: { id: string }) => l.id)).not.toContain(id);
  });
});
