/**
 * The local network driver. First its bookkeeping, which needs no privileges: Neutron's VIP allocation
 * rules on a tiny subnet (requested address honoured, taken → VipInUse, outside → InvalidNetworkRequest,
 * full → VipInUse), idempotency per load balancer, lookups, state that survives a restart.
 *
 * Then the data path, as root, with real processes only: a real amphora (Debian's octavia-agent) gets
 * its VIP NIC through plugVip, the agent's own `POST /1.0/plug/vip/<vip>` finds it by MAC (202), a
 * real haproxy.cfg (Octavia's template output, the reference recording) is uploaded and started, a
 * member started with scripts/member.ts answers, and curl's equivalent from the root namespace
 * reaches the VIP. Unplug, deallocate, delete and destroy then leave nothing behind.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { amphoraNetns } from '../../drivers/compute/local';
import { type AmphoraNetworkConfig, InvalidNetworkRequest, NetworkObjectNotFound, VipInUse } from '../../drivers/network';
import { LocalNetworkDriver, tapName } from '../../drivers/network/local';
import { ip, linkNames, netnsExists } from '../../drivers/network/local/ip';
import { bootAmphora, callAgent, describeAsRoot, hostSysctls, makeLocalCloud, until, type LocalCloud } from '../support/local-cloud';
import { VIP_SUBNET } from '../support/fixtures';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'reference', 'amphora-agent');
const PROJECT_ROOT = path.join(__dirname, '..', '..');

async function outcome<T>(p: Promise<T>): Promise<T | Error> {
  return p.catch((e: Error) => e);
}

describe('local network driver: VIP allocation (Neutron semantics, persisted)', () => {
  let stateDir: string;
  let net: LocalNetworkDriver;
  const lb = () => randomUUID();

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'octavia-local-net-'));
    // A /29: hosts .1 (gateway) to .6; .2 is the host's leg, so four addresses are free.
    net = new LocalNetworkDriver({ stateDir, tenantCidr: '10.99.0.0/29' });
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('describes its one subnet and network under their fixed ids, and nothing else', async () => {
    expect(await net.getSubnet(VIP_SUBNET)).toEqual({
      id: VIP_SUBNET,
      networkId: net.networkId,
      cidr: '10.99.0.0/29',
      ipVersion: 4,
      gatewayIp: '10.99.0.1',
      hostRoutes: [],
    });
    expect(await net.getNetwork(net.networkId)).toEqual({ id: net.networkId, name: 'octavia-tenant', subnetIds: [VIP_SUBNET], mtu: 1500 });
    const lookups: Array<[() => Promise<unknown>, string]> = [
      [() => net.getSubnet(randomUUID()), 'Subnet'],
      [() => net.getNetwork(randomUUID()), 'Network'],
      [() => net.getPort(randomUUID()), 'Port'],
    ];
    for (const [lookup, kind] of lookups) {
      const err = await outcome(lookup());
      expect(err).toBeInstanceOf(NetworkObjectNotFound);
      expect(err).toMatchObject({ kind, retryable: false, message: expect.stringMatching(new RegExp(`^${kind} .* not found\\.$`)) });
    }
  });

  it('honours a requested address, refuses a taken one (409) or one outside the subnet (400), and fills up with 409', async () => {
    const first = lb();
    const vip = await net.allocateVip({ loadBalancerId: first, projectId: 'p', subnetId: VIP_SUBNET, ipAddress: '10.99.0.5' });
    expect(vip).toMatchObject({ ipAddress: '10.99.0.5', subnetId: VIP_SUBNET, networkId: net.networkId });
    expect(await net.getPort(vip.portId)).toMatchObject({
      id: vip.portId,
      name: `octavia-lb-${first}`,
      deviceOwner: 'Octavia',
      deviceId: `lb-${first}`,
      macAddress: expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3}$/),
      fixedIps: [{ subnetId: VIP_SUBNET, ipAddress: '10.99.0.5' }],
    });
    // A retried allocation for the same load balancer finds its port.
    expect(await net.allocateVip({ loadBalancerId: first, projectId: 'p', subnetId: VIP_SUBNET, ipAddress: '10.99.0.5' })).toEqual(vip);

    const taken = await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p', ipAddress: '10.99.0.5' }));
    expect(taken).toBeInstanceOf(VipInUse);
    expect((taken as Error).message).toBe(`IP address 10.99.0.5 already allocated in subnet ${VIP_SUBNET}`);
    for (const reserved of ['10.99.0.1', '10.99.0.2']) {
      expect(await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p', ipAddress: reserved }))).toBeInstanceOf(VipInUse);
    }
    for (const outside of ['10.99.0.0', '10.99.0.7', '10.99.1.3', 'not-an-ip']) {
      const err = await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p', ipAddress: outside }));
      expect(err).toBeInstanceOf(InvalidNetworkRequest);
      expect((err as Error).message).toBe(`IP address ${outside} is not a valid IP for the specified subnet.`);
    }
    expect(await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p', subnetId: randomUUID() }))).toBeInstanceOf(NetworkObjectNotFound);
    expect(await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p', networkId: randomUUID() }))).toBeInstanceOf(NetworkObjectNotFound);
    expect(await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p', portId: randomUUID() }))).toBeInstanceOf(NetworkObjectNotFound);

    const others = [];
    for (let i = 0; i < 3; i += 1) others.push(await net.allocateVip({ loadBalancerId: lb(), projectId: 'p' }));
    expect(others.map((v) => v.ipAddress).sort()).toEqual(['10.99.0.3', '10.99.0.4', '10.99.0.6']);
    const full = await outcome(net.allocateVip({ loadBalancerId: lb(), projectId: 'p' }));
    expect(full).toBeInstanceOf(VipInUse);
    expect((full as Error).message).toBe(`No more IP addresses available on network ${net.networkId}.`);

    // What is allocated is on disk: a restarted controller sees the same (and still refuses .5).
    const restarted = new LocalNetworkDriver({ stateDir, tenantCidr: '10.99.0.0/29' });
    expect(await restarted.getPort(vip.portId)).toEqual(await net.getPort(vip.portId));
    expect(await outcome(restarted.allocateVip({ loadBalancerId: lb(), projectId: 'p', ipAddress: '10.99.0.5' }))).toBeInstanceOf(VipInUse);

    // Deallocating releases the address.
    await net.deallocateVip(first, vip);
    expect(await outcome(net.getPort(vip.portId))).toBeInstanceOf(NetworkObjectNotFound);
    const again = await net.allocateVip({ loadBalancerId: lb(), projectId: 'p', ipAddress: '10.99.0.5' });
    expect(again.ipAddress).toBe('10.99.0.5');
  });

  it('uses a port the user made (vip_port_id) and leaves it in place on deallocation', async () => {
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'octavia-local-net-'));
    try {
      const n = new LocalNetworkDriver({ stateDir: fresh, tenantCidr: '10.98.0.0/24' });
      const port = await n.createPort({ name: 'my-vip', ipAddress: '10.98.0.77' });
      const id = lb();
      const vip = await n.allocateVip({ loadBalancerId: id, projectId: 'p', portId: port.id });
      expect(vip).toMatchObject({ portId: port.id, ipAddress: '10.98.0.77' });
      await n.deallocateVip(id, vip);
      expect(await n.getPort(port.id)).toMatchObject({ name: 'my-vip', fixedIps: [{ subnetId: VIP_SUBNET, ipAddress: '10.98.0.77' }] });
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });
});

/** Runs a shell command inside an amphora (all its namespaces); true when it exits 0. */
async function inAmphora(cloud: LocalCloud, computeId: string, command: string): Promise<boolean> {
  const init = (await readFile(path.join(cloud.compute.instanceDir(computeId), 'init.pid'), 'utf8')).split(' ')[0] as string;
  return new Promise((resolve) => {
    execFile('nsenter', ['-t', init, '-a', 'sh', '-c', command], (err) => resolve(!err));
  });
}

/** GET http://<ip>:<port>/ from this (the root) namespace. */
function get(url: string): Promise<{ status: number; body: string; member?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, member: res.headers['x-member'] as string | undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describeAsRoot('local network driver: the data path through a real amphora', () => {
  let cloud: LocalCloud;
  let member: ChildProcess | undefined;
  let sysctlsBefore: Record<string, string>;
  const amphoraId = randomUUID();
  const loadBalancerId = randomUUID();
  let computeId: string;
  let lbNetworkIp: string;
  let plugged: AmphoraNetworkConfig;
  let vipAddress: string;

  beforeAll(async () => {
    sysctlsBefore = await hostSysctls();
    cloud = await makeLocalCloud(3);
    await cloud.compute.ensureMgmtNetwork();
    ({ computeId, lbNetworkIp } = await bootAmphora(cloud, amphoraId, { heartbeatPort: 5555 }));
  });

  afterAll(async () => {
    if (member && member.exitCode === null) member.kill('SIGTERM');
    await cloud?.destroy();
  });

  const agent = (method: string, p: string, body?: unknown) => callAgent(cloud, { ip: lbNetworkIp, amphoraId }, method, p, body);

  it('plugs the VIP: a NIC with its own MAC, down and unconfigured in the amphora, found by the agent by MAC (202, then 409)', async () => {
    const vip = await cloud.network.allocateVip({ loadBalancerId, projectId: 'demo-project', subnetId: VIP_SUBNET });
    expect(vip.ipAddress).toMatch(/^169\.254\.163\.\d+$/);
    vipAddress = vip.ipAddress;
    plugged = await cloud.network.plugVip({ amphoraId, computeId }, vip, 'SINGLE');
    expect(plugged).toMatchObject({
      haPortId: vip.portId,
      haIp: vip.ipAddress,
      macAddress: expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3}$/),
      vrrpIp: expect.stringMatching(/^169\.254\.163\.\d+$/),
      subnetCidr: '169.254.163.0/24',
      gateway: '169.254.163.1',
      hostRoutes: [],
      mtu: 1500,
    });
    expect(plugged.vrrpIp).not.toBe(vip.ipAddress);
    // A retried plug finds the same port and NIC.
    expect(await cloud.network.plugVip({ amphoraId, computeId }, vip, 'SINGLE')).toEqual(plugged);

    // As Nova hot-plugs it: in the amphora's root namespace, with the port's MAC, down, no address.
    const links = JSON.parse(await ip(['-json', 'addr', 'show'], amphoraNetns(computeId))) as Array<{
      ifname: string;
      address: string;
      flags: string[];
      addr_info: Array<{ family: string }>;
    }>;
    const nic = links.filter((l) => l.address === plugged.macAddress);
    expect(nic).toHaveLength(1);
    expect(nic[0]?.flags).not.toContain('UP');
    expect(nic[0]?.addr_info.filter((a) => a.family === 'inet')).toEqual([]);
    // Its other end is on the tenant bridge.
    expect(await ip(['link', 'show', 'dev', tapName(plugged.vrrpPortId)], cloud.network.tenantNetns)).toContain('master br-tenant');

    // The agent's call, with the reference recording's body shape and what plugVip returned.
    const sample = JSON.parse(await readFile(path.join(FIXTURES, '05-plug-vip.json'), 'utf8')) as { request_body: Record<string, unknown> };
    const body = {
      ...sample.request_body,
      subnet_cidr: plugged.subnetCidr,
      gateway: plugged.gateway,
      mac_address: plugged.macAddress,
      vrrp_ip: plugged.vrrpIp,
      mtu: plugged.mtu,
      host_routes: plugged.hostRoutes,
    };
    // A MAC that is not plugged: the agent's 404 that Octavia's driver retries on (it also writes
    // /sys/bus/pci/rescan then, which the amphora's hidden /sys/bus/pci keeps off the host).
    expect(await agent('POST', `/1.0/plug/vip/${vip.ipAddress}`, { ...body, mac_address: 'fa:16:3e:00:00:00' })).toMatchObject({
      status: 404,
      body: { details: 'No suitable network interface found' },
    });
    const started = Date.now();
    const res = await agent('POST', `/1.0/plug/vip/${vip.ipAddress}`, body);
    const plugMs = Date.now() - started;
    expect(res).toMatchObject({ status: 202, body: { message: 'OK', details: `VIPs plugged on interface eth1: ${vip.ipAddress}` } });
    expect(await agent('POST', `/1.0/plug/vip/${vip.ipAddress}`, body)).toMatchObject({ status: 409, body: { message: 'Interface already exists' } });
    expect(await agent('GET', `/1.0/interface/${vip.ipAddress}`)).toMatchObject({ status: 200, body: { interface: 'eth1' } });
    // eslint-disable-next-line no-console
    console.log(`local amphora: POST /1.0/plug/vip took ${plugMs} ms`);
  });

  it('serves traffic: a member from scripts/member.ts, a real haproxy.cfg uploaded and started, the VIP reached from the root namespace', async () => {
    member = spawn(process.execPath, ['--import', 'tsx', 'scripts/member.ts', '--port', '8080', '--name', 'm1'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        LOCAL_STATE_DIR: cloud.stateDir,
        LOCAL_TENANT_CIDR: cloud.network.cidr.text,
        LOCAL_TENANT_NETNS: cloud.network.tenantNetns,
        LOCAL_TENANT_UPLINK: cloud.network.tenantUplink,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    member.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    const line = await until(async () => /member m1 listening on (\S+):8080 \(namespace (\S+)\)/.exec(out), 30_000, 'the member');
    const [, memberIp, memberNetns] = [...line];
    expect(memberNetns).toBe(`${cloud.network.tenantNetns}-m1`);
    expect(await get(`http://${memberIp}:8080/`)).toEqual({ status: 200, body: 'm1\n', member: 'm1' });

    const vip = await cloud.network.allocateVip({ loadBalancerId, projectId: 'demo-project' });
    // Octavia's own rendering (the reference recording), pointed at this VIP and this member.
    const reference = await readFile(path.join(FIXTURES, 'haproxy-3-members.cfg'), 'utf8');
    const cfg = reference
      .replaceAll('e0e0e0e0-0000-4000-8000-000000000001', loadBalancerId)
      .replace(/bind \S+:80/, `bind ${vip.ipAddress}:80`)
      .replace(/( {4}server \S+ )169\.254\.160\.11:8080(.*\n)(?: {4}server .*\n)+/, `$1${memberIp}:8080$2`);
    expect(cfg).toContain(`server d0d0d0d0-0000-4000-8000-000000000001 ${memberIp}:8080 weight 1 check`);
    const upload = await agent('PUT', `/1.0/loadbalancer/${amphoraId}/${loadBalancerId}/haproxy`, cfg);
    expect(upload).toMatchObject({ status: 202, body: { message: 'OK' } });
    const started = Date.now();
    const reload = await agent('PUT', `/1.0/loadbalancer/${loadBalancerId}/reload`);
    expect(reload).toMatchObject({ status: 202, body: { message: 'OK', details: expect.stringContaining(`haproxy daemon for ${loadBalancerId} started`) } });
    const first = await until(async () => {
      const r = await get(`http://${vip.ipAddress}/`).catch(() => undefined);
      return r?.status === 200 && r;
    }, 20_000, 'a response through the VIP');
    // eslint-disable-next-line no-console
    console.log(`local amphora: reload (start) -> first response through the VIP in ${Date.now() - started} ms`);
    expect(first).toEqual({ status: 200, body: 'm1\n', member: 'm1' });
    for (let i = 0; i < 10; i += 1) expect(await get(`http://${vip.ipAddress}/`)).toMatchObject({ status: 200, member: 'm1' });

    // A second upload and a reload (haproxy running now: ExecReload through the systemctl shim).
    const reloadAgain = await agent('PUT', `/1.0/loadbalancer/${loadBalancerId}/reload`);
    expect(reloadAgain).toMatchObject({ status: 202, body: { details: `Listener ${loadBalancerId} reloaded` } });
    expect(await get(`http://${vip.ipAddress}/`)).toMatchObject({ status: 200, member: 'm1' });
    // Starting haproxy ran the amphora-netns unit (sysctl --system, conntrack sizes): the host's are untouched.
    expect(await hostSysctls()).toEqual(sysctlsBefore);
  });

  it('runs keepalived through the agent (a Type=forking unit of the systemctl shim): a bad config fails fast, a good one starts, reloads, stops', async () => {
    const running = () => inAmphora(cloud, computeId, 'kill -0 "$(cat /var/lib/octavia/vrrp/octavia-keepalived.pid)"');
    const vrrp = (iface: string) =>
      `vrrp_instance ${loadBalancerId.slice(0, 8)} {\n  state MASTER\n  interface ${iface}\n  virtual_router_id 1\n  priority 100\n` +
      `  unicast_src_ip ${plugged.vrrpIp}\n  unicast_peer {\n    169.254.163.250\n  }\n  virtual_ipaddress {\n    ${vipAddress}\n  }\n}\n`;
    expect((await agent('PUT', '/1.0/vrrp/upload', vrrp('lo'))).status).toBe(200);
    let started = Date.now();
    const bad = await agent('PUT', '/1.0/vrrp/start');
    expect(bad).toMatchObject({ status: 500, body: { message: 'Failed to start octavia-keepalived service', details: expect.stringMatching(/exited right after start/) } });
    expect(Date.now() - started).toBeLessThan(10_000);

    expect((await agent('PUT', '/1.0/vrrp/upload', vrrp('eth1'))).status).toBe(200);
    started = Date.now();
    expect(await agent('PUT', '/1.0/vrrp/start')).toMatchObject({ status: 202, body: { details: 'keepalived started' } });
    // eslint-disable-next-line no-console
    console.log(`local amphora: PUT /1.0/vrrp/start took ${Date.now() - started} ms`);
    expect(await running()).toBe(true);
    expect(await agent('PUT', '/1.0/vrrp/reload')).toMatchObject({ status: 202, body: { details: 'keepalived reloaded' } });
    expect(await running()).toBe(true);
    // keepalived owns the VIP now: it drops it while it starts as BACKUP and adds it back once it is
    // MASTER (no peer answers), then traffic flows again. Stopping it releases the VIP.
    const back = await until(async () => {
      const r = await get(`http://${vipAddress}/`).catch(() => undefined);
      return r?.status === 200 && r;
    }, 20_000, 'the VIP back with keepalived MASTER');
    expect(back).toMatchObject({ member: 'm1' });
    // Octavia 11's own spelling ('keepalived {action}ed').
    expect(await agent('PUT', '/1.0/vrrp/stop')).toMatchObject({ status: 202, body: { details: 'keepalived stoped' } });
    expect(await running()).toBe(false);
  });

  it('unplugs, deallocates, deletes and destroys: nothing of the network or the amphora is left', async () => {
    const vip = await cloud.network.allocateVip({ loadBalancerId, projectId: 'demo-project' });
    const vrrp = (await cloud.network.plugVip({ amphoraId, computeId }, vip, 'SINGLE')).vrrpPortId;
    expect(await linkNames(cloud.network.tenantNetns)).toContain(tapName(vrrp));
    await cloud.network.unplugVip({ amphoraId, computeId }, vip);
    expect(await linkNames(cloud.network.tenantNetns)).not.toContain(tapName(vrrp));
    await cloud.network.deallocateVip(loadBalancerId, vip);
    await expect(cloud.network.getPort(vip.portId)).rejects.toBeInstanceOf(NetworkObjectNotFound);

    member?.kill('SIGTERM');
    await until(async () => member?.exitCode !== null, 10_000, 'the member stopped');
    expect(netnsExists(`${cloud.network.tenantNetns}-m1`)).toBe(false);

    await cloud.compute.delete(computeId);
    expect(netnsExists(amphoraNetns(computeId))).toBe(false);
    const tenantNetns = cloud.network.tenantNetns;
    const uplink = cloud.network.tenantUplink;
    await cloud.destroy();
    expect(netnsExists(tenantNetns)).toBe(false);
    expect(await linkNames()).not.toContain(uplink);
    cloud = undefined as unknown as LocalCloud;
  });
});
