/**
 * The rest amphora driver against Octavia 11's real amphora agent (Debian's octavia-agent) in a local
 * amphora (drivers/compute/local: namespaces on this machine), booted with our config drive: the
 * amphora-agent.conf our renderer writes, a server certificate from our CA, our client CA. Needs root
 * (namespaces, veths, mounts); skipped with one line otherwise.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_HAPROXY_OPTIONS, renderHaproxyConfig } from '../../drivers/amphora/rest/haproxy';
import { AmphoraConfigRejectedError, AmphoraTlsError } from '../../drivers/amphora/errors';
import type { AmphoraTarget, LoadBalancerConfig } from '../../drivers/amphora/port';
import { amphoraConfigDriveFiles, DEFAULT_AGENT_CONFIG, renderAgentConfig } from '../../drivers/amphora/rest/agent-config';
import { AmphoraAgentClient, DEFAULT_AGENT_CLIENT_SETTINGS } from '../../drivers/amphora/rest/client';
import { RestAmphoraDriver, type HaproxyRenderer } from '../../drivers/amphora/rest/driver';
import { ComputeStatus } from '../../drivers/compute';
import { amphoraNetns } from '../../drivers/compute/local/names';
import { ensureVeth, ipDelete } from '../../drivers/network/local/ip';
import type { AmphoraNetworkConfig } from '../../drivers/network/port';
import { makeTestPki } from '../emulators/amphora-agent/pki';
import { lb, listener } from '../fixtures/amphora-config';
import { callAgent, describeAsRoot, makeLocalCloud, until, type LocalCloud } from '../support/local-cloud';

jest.setTimeout(180_000);

const LB_ID = randomUUID();
const LISTENER_ID = randomUUID();
const AMPHORA_ID = randomUUID();

/** One HTTP listener without a pool, no timeouts set: the agent only has to start haproxy on it. */
const lbConfig = (vip: string): LoadBalancerConfig => lb({
  loadBalancerId: LB_ID,
  vipAddress: vip,
  listeners: [listener(0, { id: LISTENER_ID, defaultPoolId: null, timeouts: { clientData: 0, memberConnect: 0, memberData: 0, tcpInspect: 0 } })],
  pools: [],
});

describeAsRoot('the rest driver against the real amphora agent', () => {
  let cloud: LocalCloud;
  let computeId: string;
  let target: AmphoraTarget;
  let net: AmphoraNetworkConfig;
  let vip: string;
  let render: HaproxyRenderer = renderHaproxyConfig;
  let driver: RestAmphoraDriver;
  const settings = { ...DEFAULT_AGENT_CLIENT_SETTINGS, connectionMaxRetries: 60, connectionRetryInterval: 1 };

  beforeAll(async () => {
    cloud = await makeLocalCloud(8);
    await cloud.compute.ensureMgmtNetwork();
    const agentConfig = renderAgentConfig(
      // No rsyslog in a local amphora: the agent logs to a file, as in the reference rig.
      { ...DEFAULT_AGENT_CONFIG, logFile: '/var/log/amphora-agent-oslo.log', controllerIpPortList: [`${cloud.compute.controllerIp}:5555`], heartbeatInterval: 10, heartbeatKey: 'insecure-test-key' },
      { amphoraId: AMPHORA_ID, topology: 'SINGLE' },
    );
    const files = amphoraConfigDriveFiles(DEFAULT_AGENT_CONFIG, {
      agentConfig,
      serverPem: (await cloud.ca.issueAmphoraCertificate(AMPHORA_ID)).pem,
      clientCaPem: await cloud.ca.clientCaCertificate(),
    });
    computeId = await cloud.compute.build({ name: `amphora-${AMPHORA_ID}`, flavorId: 'amphora-flavor', imageId: 'amphora-image', configDriveFiles: files });
    await until(async () => (await cloud.compute.status(computeId)) === ComputeStatus.ACTIVE, 60_000, 'amphora ACTIVE');
    const instance = await cloud.compute.getAmphora({ id: computeId });
    target = { amphoraId: AMPHORA_ID, lbNetworkIp: instance.lbNetworkIp!, role: 'STANDALONE' };
    const allocated = await cloud.network.allocateVip({ loadBalancerId: LB_ID, projectId: 'demo-project' });
    vip = allocated.ipAddress;
    net = await cloud.network.plugVip({ amphoraId: AMPHORA_ID, computeId }, allocated);
    driver = new RestAmphoraDriver(new AmphoraAgentClient(await cloud.ca.controllerTls(), settings), (c, ctx) => render(c, ctx), DEFAULT_HAPROXY_OPTIONS);
  });

  afterAll(async () => {
    await cloud?.destroy();
  });

  it("answers Octavia's create calls: info, then the VIP plugged (409 the second time, taken as done)", async () => {
    const info = await driver.getInfo(target);
    expect(info.apiVersion).toBe('1.0');
    expect(info.hostname).toBe(`amphora-${AMPHORA_ID}`);
    expect(info.haproxyVersion).toMatch(/^\d+\.\d+\./);
    await driver.plugVip(target, vip, net);
    await driver.plugVip(target, vip, net);
    const iface = await callAgent(cloud, { ip: target.lbNetworkIp!, amphoraId: AMPHORA_ID }, 'GET', `/1.0/interface/${vip}`);
    expect(iface).toMatchObject({ status: 200, body: { message: 'OK', interface: 'eth1' } });
  });

  it('brings a member network NIC up (POST /1.0/plug/network): moved into the haproxy namespace with its address; again is an update', async () => {
    // A NIC hot-plugged as Nova would (down, unconfigured, its port's MAC), its other end left alone.
    const mac = 'fa:16:3e:5e:0a:01';
    const outer = `mn${computeId.slice(0, 8)}`;
    await ensureVeth({ name: outer, peerName: 'eth2', peerNetns: amphoraNetns(computeId), peerMac: mac });
    try {
      const nic = {
        networkId: randomUUID(),
        portId: randomUUID(),
        macAddress: mac,
        mtu: 1450,
        fixedIps: [{ subnetId: randomUUID(), ipAddress: '10.95.0.5', subnetCidr: '10.95.0.0/24', gateway: '10.95.0.1', hostRoutes: [] }],
      };
      await driver.plugNetwork(target, nic);
      const iface = await callAgent(cloud, { ip: target.lbNetworkIp!, amphoraId: AMPHORA_ID }, 'GET', '/1.0/interface/10.95.0.5');
      expect(iface).toMatchObject({ status: 200, body: { message: 'OK', interface: expect.stringMatching(/^eth\d+$/) } });
      // The agent answers 202 "Updated existing interface" the second time: nothing new plugged.
      await driver.plugNetwork(target, nic);
      expect(await callAgent(cloud, { ip: target.lbNetworkIp!, amphoraId: AMPHORA_ID }, 'GET', '/1.0/interface/10.95.0.5')).toMatchObject({ status: 200, body: iface.body });
    } finally {
      await ipDelete(['link', 'del', outer]).catch(() => undefined);
    }
  });

  it('installs the rendered configuration, reloads (which starts it), and removes it', async () => {
    await driver.updateConfig(target, lbConfig(vip));
    const listeners = await callAgent(cloud, { ip: target.lbNetworkIp!, amphoraId: AMPHORA_ID }, 'GET', '/1.0/listeners');
    expect(listeners.body).toEqual([{ status: 'ACTIVE', uuid: LISTENER_ID, type: 'HTTP' }]);
    await driver.stop(target, LB_ID);
    await driver.start(target, LB_ID);
    await driver.removeConfig(target, LB_ID);
    await driver.removeConfig(target, LB_ID);
    expect((await callAgent(cloud, { ip: target.lbNetworkIp!, amphoraId: AMPHORA_ID }, 'GET', '/1.0/listeners')).body).toEqual([]);
  });

  it('a configuration HAProxy refuses is final, with its own words', async () => {
    render = (c, ctx) => `${renderHaproxyConfig(c, ctx)}\nbackend broken\n    mode http\n    balance no-such-algo\n`;
    try {
      const err = await driver.updateConfig(target, lbConfig(vip)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AmphoraConfigRejectedError);
      expect((err as AmphoraConfigRejectedError).details).toContain('balance only supports');
      expect((err as AmphoraConfigRejectedError).retryable).toBe(false);
    } finally {
      render = renderHaproxyConfig;
    }
  });

  it('refuses another amphora id at this address, and a client certificate of another CA, at once', async () => {
    const other = await driver.getInfo({ ...target, amphoraId: randomUUID() }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(AmphoraTlsError);
    expect((other as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    const stranger = await makeTestPki();
    try {
      const strangerDriver = new RestAmphoraDriver(
        new AmphoraAgentClient({ clientCertPem: stranger.tls.clientCertPem, serverCaPem: (await cloud.ca.controllerTls()).serverCaPem }, settings),
        renderHaproxyConfig,
      );
      const started = Date.now();
      const err = await strangerDriver.getInfo(target).catch((e: unknown) => e);
      // gunicorn's OpenSSL answers with an "unknown ca" alert: final, not retried for minutes.
      expect(err).toBeInstanceOf(AmphoraTlsError);
      expect((err as Error).message).toContain('alert unknown ca');
      expect(Date.now() - started).toBeLessThan(settings.connectionRetryInterval * 1000);
    } finally {
      await stranger.remove();
    }
  });
});
