/**
 * The rest amphora driver against the agent emulator (test/emulators/amphora-agent, which replays the
 * real agent's recorded answers), over real mutual TLS on loopback: Octavia's calls in Octavia's
 * order with Octavia's headers and bodies, TLS identity (the amphora id as the host name, our client
 * certificate required), and the retry rules (404 while the VIP NIC is hot-plugged, 5xx, dropped
 * connections, timeouts), each ending in an error whose retryability Temporal acts on.
 */
import { request as httpsRequest } from 'node:https';
import { toApplicationFailure } from '../../common/failures';
import {
  AmphoraAgentServerError,
  AmphoraConfigRejectedError,
  AmphoraDriverError,
  AmphoraDriverNotSupported,
  AmphoraTlsError,
  AmphoraUnreachableError,
} from '../../drivers/amphora/errors';
import type { AmphoraTarget, LoadBalancerConfig, ListenerConfig } from '../../drivers/amphora/port';
import { AmphoraAgentClient, type AgentClientSettings } from '../../drivers/amphora/rest/client';
import { RestAmphoraDriver } from '../../drivers/amphora/rest/driver';
import type { HaproxyRenderContext } from '../../drivers/amphora/rest/haproxy/context';
import { DEFAULT_AGENT_CONFIG, renderAgentConfig } from '../../drivers/amphora/rest/agent-config';
import type { AmphoraNetworkConfig } from '../../drivers/network/port';
import { AmphoraAgentEmulator, loadSample, type RecordedRequest } from '../emulators/amphora-agent';
import { makeTestPki, type TestPki } from '../emulators/amphora-agent/pki';
import * as base from '../fixtures/amphora-config';

// The recording's ids, so requests compare with it as they are.
const AMPHORA_ID = 'a5a5a5a5-0000-4000-8000-000000000001';
const { LB_ID } = base;
const VIP = '169.254.160.101';
const MAC = 'fa:16:3e:a5:00:01';
const CFG_3_MEMBERS = loadSample('09-upload-haproxy-config.json').request_body as string;
const CFG_2_MEMBERS = loadSample('14-upload-haproxy-config-2-members.json').request_body as string;
const CFG_INVALID = loadSample('23-upload-invalid-config-400.json').request_body as string;

const network: AmphoraNetworkConfig = {
  vrrpPortId: 'vrrp-port',
  vrrpIp: '169.254.160.21',
  haPortId: 'vip-port',
  haIp: VIP,
  macAddress: MAC,
  subnetCidr: '169.254.160.0/24',
  gateway: '169.254.160.1',
  hostRoutes: [],
  mtu: 1500,
};

const listener = (over: Partial<ListenerConfig> = {}) => base.listener(1, { defaultPoolId: null, ...over });

const lbConfig = (over: Partial<LoadBalancerConfig> = {}) => base.lb({ vipAddress: VIP, listeners: [listener()], pools: [], ...over });

let pki: TestPki;
const running: AmphoraAgentEmulator[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});
afterAll(async () => {
  await pki?.remove();
});

async function agent(opts: { certFor?: string; nics?: string[]; host?: string; port?: number } = {}): Promise<AmphoraAgentEmulator> {
  const emu = await AmphoraAgentEmulator.start({
    amphoraId: AMPHORA_ID,
    serverPem: await pki.serverPem(opts.certFor ?? AMPHORA_ID),
    clientCaPem: pki.clientCaPem,
    nics: opts.nics ?? [MAC],
    host: opts.host,
    port: opts.port,
  });
  running.push(emu);
  return emu;
}

const FAST: Omit<AgentClientSettings, 'bindPort'> = { connectionMaxRetries: 4, connectionRetryInterval: 0.05, restRequestConnTimeout: 2, restRequestReadTimeout: 2 };

/** A driver for the emulator, whose renderer hands out `texts` in turn and keeps what it was given. */
function driverFor(emu: AmphoraAgentEmulator, opts: { settings?: Partial<AgentClientSettings>; tls?: TestPki['tls']; texts?: Array<string | null> } = {}) {
  const texts = [...(opts.texts ?? [CFG_3_MEMBERS])];
  const rendered: Array<{ config: LoadBalancerConfig; context: HaproxyRenderContext }> = [];
  const client = new AmphoraAgentClient(opts.tls ?? pki.tls, { bindPort: emu.port, ...FAST, ...opts.settings });
  const driver = new RestAmphoraDriver(client, (config, context) => {
    rendered.push({ config, context });
    return texts.length > 1 ? texts.shift()! : texts[0]!;
  });
  const target: AmphoraTarget = { amphoraId: AMPHORA_ID, lbNetworkIp: emu.host, role: 'STANDALONE' };
  return { driver, target, rendered };
}

const headersOf = (r: RecordedRequest) => r.headers.filter(([name]) => name !== 'Host');
const sampleHeaders = (file: string) => Object.entries(loadSample(file).request_headers);

describe("Octavia's calls, in Octavia's order", () => {
  it('create (info, plug), two configuration pushes, delete: each request as the recorded driver sent it', async () => {
    const emu = await agent();
    const { driver, target, rendered } = driverFor(emu, { texts: [CFG_3_MEMBERS, CFG_2_MEMBERS] });

    const info = await driver.getInfo(target);
    expect(info).toEqual({
      hostname: `amphora-${AMPHORA_ID}`,
      haproxyVersion: '2.6.12-1+deb12u4',
      apiVersion: '1.0',
      keepalivedVersion: '1:2.2.7-1+b2',
      ipvsadmVersion: '1:1.31-1+b1',
    });
    await driver.plugVip(target, VIP, network);
    await driver.updateConfig(target, lbConfig());
    expect(emu.loadBalancers.get(LB_ID)).toMatchObject({ config: CFG_3_MEMBERS, running: true }); // the reload started it
    await driver.updateConfig(target, lbConfig());
    await driver.updateConfig(target, lbConfig({ listeners: [] })); // the last listener is gone

    const upload = `PUT /1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`;
    const reload = `PUT /1.0/loadbalancer/${LB_ID}/reload`;
    expect(emu.calls()).toEqual([
      'GET /',
      'GET /1.0/info',
      `POST /1.0/plug/vip/${VIP}`,
      'GET /',
      'GET /1.0/info',
      upload,
      reload,
      'GET /',
      'GET /1.0/info',
      upload,
      reload,
      `DELETE /1.0/listeners/${LB_ID}`,
    ]);
    expect(emu.loadBalancers.has(LB_ID)).toBe(false);

    // Bodies and headers byte for byte as recorded (Host aside: ours names the emulator's port).
    const [discovery, infoReq, plug, , , up3, reload3, , , up2, , del] = emu.requests;
    expect(headersOf(discovery!)).toEqual(sampleHeaders('01-version-discovery.json'));
    expect(headersOf(infoReq!)).toEqual(sampleHeaders('02-get-info.json'));
    expect(headersOf(plug!)).toEqual(sampleHeaders('05-plug-vip.json'));
    expect(JSON.parse(plug!.body)).toEqual(loadSample('05-plug-vip.json').request_body);
    expect(headersOf(up3!)).toEqual(sampleHeaders('09-upload-haproxy-config.json'));
    expect(up3!.body).toBe(CFG_3_MEMBERS);
    expect(headersOf(reload3!)).toEqual(sampleHeaders('15-reload-loadbalancer.json'));
    expect(up2!.body).toBe(CFG_2_MEMBERS);
    expect(headersOf(del!)).toEqual(sampleHeaders('24-delete-loadbalancer.json'));

    // Over TLS 1.2, SNI = the amphora id, with the controller's certificate.
    for (const r of emu.requests) expect([r.tlsVersion, r.servername, r.clientCn]).toEqual(['TLSv1.2', AMPHORA_ID, 'octavia-controller']);
    // The renderer got the version the agent reported.
    expect(rendered.map((r) => r.context.haproxyVersion)).toEqual(['2.6.12-1+deb12u4', '2.6.12-1+deb12u4']);
  });

  it('start and stop the service; with nothing configured they have nothing to do', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    await driver.start(target, LB_ID); // 404 Loadbalancer Not Found: nothing to start
    await driver.updateConfig(target, lbConfig());
    await driver.stop(target, LB_ID);
    expect(emu.loadBalancers.get(LB_ID)?.running).toBe(false);
    await driver.start(target, LB_ID);
    expect(emu.loadBalancers.get(LB_ID)?.running).toBe(true);
    expect(emu.calls().filter((c) => /start|stop/.test(c))).toEqual([`PUT /1.0/loadbalancer/${LB_ID}/start`, `PUT /1.0/loadbalancer/${LB_ID}/stop`, `PUT /1.0/loadbalancer/${LB_ID}/start`]);
    expect(headersOf(emu.requests.at(-1)!)).toEqual(sampleHeaders('10-start-loadbalancer.json'));
  });

  it('a renderer with nothing for HAProxy to serve removes the configuration', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu, { texts: [CFG_3_MEMBERS, null] });
    await driver.updateConfig(target, lbConfig());
    await driver.updateConfig(target, lbConfig());
    expect(emu.calls().at(-1)).toBe(`DELETE /1.0/listeners/${LB_ID}`);
    expect(emu.loadBalancers.size).toBe(0);
  });

  it('updates the agent configuration (PUT /1.0/config) and runs VRRP (PUT /1.0/vrrp/upload, /start)', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    const conf = renderAgentConfig({ ...DEFAULT_AGENT_CONFIG, controllerIpPortList: ['127.0.0.1:5555'], heartbeatInterval: 10, heartbeatKey: 'k' }, { amphoraId: AMPHORA_ID, topology: 'ACTIVE_STANDBY' });
    await driver.updateAgentConfig(target, conf);
    expect(emu.agentConfig).toBe(conf);
    expect(headersOf(emu.requests.at(-1)!).map(([n]) => n)).toEqual(sampleHeaders('20-update-agent-config.json').map(([n]) => n));
    await driver.uploadVrrpConfig(target, 'vrrp_instance lb {}\n');
    await driver.startVrrp(target);
    expect(emu.keepalived).toEqual({ config: 'vrrp_instance lb {}\n', running: true });
    expect(emu.calls().slice(-2)).toEqual(['PUT /1.0/vrrp/upload', 'PUT /1.0/vrrp/start']);
  });

  it('ACTIVE_STANDBY configurations carry the peers to the renderer, and need them', async () => {
    const emu = await agent();
    const { driver, target, rendered } = driverFor(emu);
    const peers = [
      { id: AMPHORA_ID, vrrpIp: '169.254.160.21', status: 'ALLOCATED' },
      { id: 'b5b5b5b5-0000-4000-8000-000000000002', vrrpIp: '169.254.160.22', status: 'ALLOCATED' },
    ];
    await driver.updateConfig(target, lbConfig({ topology: 'ACTIVE_STANDBY' }), peers);
    expect(rendered[0]!.context.amphorae).toEqual(peers);
    const err = await driver.updateConfig(target, lbConfig({ topology: 'ACTIVE_STANDBY' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmphoraDriverError);
    expect((err as AmphoraDriverError).retryable).toBe(false);
  });
});

describe('TLS: the amphora id is the host name, our client certificate is required', () => {
  it('an agent without our client certificate in the handshake refuses it', async () => {
    const emu = await agent();
    const outcome = await new Promise<string>((resolve) => {
      const req = httpsRequest({ host: emu.host, port: emu.port, path: '/', servername: AMPHORA_ID, ca: pki.tls.serverCaPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, (res) =>
        resolve(`answered ${res.statusCode}`),
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`refused ${e.code ?? e.message}`));
      req.end();
    });
    expect(outcome).toMatch(/^refused /);
    expect(emu.requests).toHaveLength(0);
    expect(emu.tlsRejections).toBe(1);
  });

  it('a client certificate from another CA never gets a request through', async () => {
    const emu = await agent();
    const stranger = await makeTestPki();
    try {
      const { driver, target } = driverFor(emu, { tls: { clientCertPem: stranger.tls.clientCertPem, serverCaPem: pki.tls.serverCaPem } });
      const err = await driver.getInfo(target).catch((e: unknown) => e);
      // Node's TLS server (the emulator) drops the connection where gunicorn's OpenSSL sends an
      // "unknown ca" alert: here the handshake looks reset and is retried as Octavia retries it; against
      // the real agent the alert makes it an AmphoraTlsError at once.
      expect(err).toBeInstanceOf(AmphoraUnreachableError);
      expect((err as Error).message).toContain('before secure TLS connection was established');
      expect(emu.requests).toHaveLength(0);
      expect(emu.tlsRejections).toBe(FAST.connectionMaxRetries);
    } finally {
      await stranger.remove();
    }
  });

  it('an agent whose certificate names another amphora is refused, though the same CA signed it', async () => {
    const emu = await agent({ certFor: 'b5b5b5b5-0000-4000-8000-000000000002' });
    const { driver, target } = driverFor(emu);
    const err = await driver.getInfo(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmphoraTlsError);
    expect((err as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect((err as AmphoraTlsError).retryable).toBe(false);
    expect(emu.requests).toHaveLength(0);
  });

  it('an agent signed by a CA we do not trust is refused', async () => {
    const stranger = await makeTestPki();
    try {
      const emu = await AmphoraAgentEmulator.start({ amphoraId: AMPHORA_ID, serverPem: await stranger.serverPem(AMPHORA_ID), clientCaPem: pki.clientCaPem });
      running.push(emu);
      const { driver, target } = driverFor(emu);
      const err = await driver.getInfo(target).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AmphoraTlsError);
      expect(emu.requests).toHaveLength(0);
    } finally {
      await stranger.remove();
    }
  });
});

describe('retries', () => {
  it('plugVip retries the 404 "No suitable network interface found" until the NIC is hot-plugged', async () => {
    const emu = await agent({ nics: [] });
    const { driver, target } = driverFor(emu, { settings: { connectionMaxRetries: 20, connectionRetryInterval: 0.05 } });
    setTimeout(() => emu.addNic(MAC), 250);
    await driver.plugVip(target, VIP, network);
    const plugs = emu.calls().filter((c) => c === `POST /1.0/plug/vip/${VIP}`);
    expect(plugs.length).toBeGreaterThan(1);
    expect(emu.vips).toEqual([expect.objectContaining({ vip: VIP, mac: MAC, vrrpIp: '169.254.160.21', subnetCidr: '169.254.160.0/24' })]);
  });

  it('a NIC that never appears ends, after connection_max_retries attempts, in a retryable error', async () => {
    const emu = await agent({ nics: [] });
    const { driver, target } = driverFor(emu);
    const err = await driver.plugVip(target, VIP, network).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmphoraUnreachableError);
    expect((err as Error).message).toContain('No suitable network interface found');
    expect((toApplicationFailure(err) as { nonRetryable: boolean }).nonRetryable).toBe(false);
    expect(emu.calls()).toEqual(Array(FAST.connectionMaxRetries).fill(`POST /1.0/plug/vip/${VIP}`));
  });

  it('plugNetwork posts Octavia\'s port_info to /1.0/plug/network; again is an update, not a second NIC', async () => {
    const memberMac = 'fa:16:3e:aa:bb:cc';
    const emu = await agent({ nics: [MAC, memberMac] });
    const { driver, target } = driverFor(emu);
    const nic = {
      networkId: 'b5debd84-726a-46c9-a10d-204a4ba1f491',
      portId: '9787248d-4fb1-4dcd-b500-7d38367bbe33',
      macAddress: memberMac,
      mtu: 1450,
      fixedIps: [{ subnetId: 'e8401891-cc33-4cc2-b09c-bd8edcb9f7a3', ipAddress: '10.90.0.132', subnetCidr: '10.90.0.0/24', gateway: '10.90.0.1', hostRoutes: [{ destination: '10.91.0.0/24', nexthop: '10.90.0.254' }] }],
    };
    await driver.plugNetwork(target, nic);
    await driver.plugNetwork(target, nic);
    expect(emu.calls()).toEqual(['POST /1.0/plug/network', 'POST /1.0/plug/network']);
    const sent = emu.requests.find((r) => r.path === '/1.0/plug/network')!;
    expect(JSON.parse(sent.body)).toEqual({
      mac_address: memberMac,
      fixed_ips: [{ ip_address: '10.90.0.132', subnet_cidr: '10.90.0.0/24', host_routes: [{ nexthop: '10.90.0.254', destination: '10.91.0.0/24' }], gateway: '10.90.0.1' }],
      mtu: 1450,
    });
    expect(emu.networks).toEqual([{ mac: memberMac, interface: 'eth2', fixedIps: expect.any(Array), mtu: 1450 }]);
  });

  it('a 409 on plug is success (plugged already)', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    await driver.plugVip(target, VIP, network);
    await driver.plugVip(target, VIP, network);
    expect(emu.calls()).toEqual([`POST /1.0/plug/vip/${VIP}`, `POST /1.0/plug/vip/${VIP}`]);
    expect(emu.vips).toHaveLength(1);
  });

  it('a 404 that is not JSON (not the agent yet) is retried', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    emu.inject({ method: 'GET', path: '/1.0/info', status: 404, body: '<h1>Not Found</h1>', contentType: 'text/html' });
    await driver.getInfo(target);
    expect(emu.calls()).toEqual(['GET /', 'GET /1.0/info', 'GET /1.0/info']);
  });

  it('a 400 on the configuration upload is final, with HAProxy’s own words', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu, { texts: [CFG_INVALID] });
    const err = await driver.updateConfig(target, lbConfig()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmphoraConfigRejectedError);
    const rejected = err as AmphoraConfigRejectedError;
    expect(rejected.retryable).toBe(false);
    expect(rejected.status).toBe(400);
    expect(rejected.details).toBe((loadSample('23-upload-invalid-config-400.json').response_body as { details: string }).details);
    expect(rejected.message).toContain("balance only supports 'roundrobin'");
    const failure = toApplicationFailure(err) as { nonRetryable: boolean; type: string; message: string };
    expect(failure).toMatchObject({ nonRetryable: true, type: 'AmphoraConfigRejectedError' });
    expect(failure.message).toContain('haproxy.cfg.new:33');
    // Sent once, never reloaded.
    expect(emu.calls().filter((c) => c.startsWith('PUT'))).toEqual([`PUT /1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`]);
  });

  it('5xx are retried within the call, and stay retryable when they last', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    emu.inject({ method: 'PUT', path: `/1.0/loadbalancer/${LB_ID}/reload`, status: 503, body: { message: 'Service Unavailable' } }, 2);
    await driver.updateConfig(target, lbConfig());
    expect(emu.calls().filter((c) => c.endsWith('/reload'))).toHaveLength(3);
    expect(emu.loadBalancers.get(LB_ID)?.running).toBe(true);

    emu.inject({ method: 'PUT', path: `/1.0/loadbalancer/${LB_ID}/stop`, status: 500, body: { message: 'Error stoping haproxy', details: 'Job failed' } }, 100);
    const err = await driver.stop(target, LB_ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmphoraAgentServerError);
    expect((err as AmphoraAgentServerError).status).toBe(500);
    expect((toApplicationFailure(err) as { nonRetryable: boolean }).nonRetryable).toBe(false);
    expect(emu.calls().filter((c) => c.endsWith('/stop'))).toHaveLength(FAST.connectionMaxRetries);
  });

  it('a dropped connection and a slow answer (read timeout) are retried', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu, { settings: { restRequestReadTimeout: 0.3 } });
    emu.inject({ path: '/1.0/info', drop: true });
    emu.inject({ path: `/1.0/loadbalancer/${AMPHORA_ID}`, delayMs: 1000 });
    await driver.updateConfig(target, lbConfig());
    expect(emu.calls()).toEqual([
      'GET /',
      'GET /1.0/info',
      'GET /1.0/info',
      `PUT /1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`,
      `PUT /1.0/loadbalancer/${AMPHORA_ID}/${LB_ID}/haproxy`,
      `PUT /1.0/loadbalancer/${LB_ID}/reload`,
    ]);
  });

  it('an agent that does not answer at all ends in a retryable AmphoraUnreachableError', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    await running.splice(running.indexOf(emu), 1)[0]!.stop();
    const started = Date.now();
    const err = await driver.getInfo(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmphoraUnreachableError);
    expect((err as AmphoraUnreachableError).retryable).toBe(true);
    expect((err as Error).message).toContain(`after ${FAST.connectionMaxRetries} attempts`);
    // connection_retry_interval between attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual((FAST.connectionMaxRetries - 1) * FAST.connectionRetryInterval * 1000);
  });
});

describe('what the driver refuses', () => {
  it('an amphora without a management address, UDP listeners, an agent of another API version', async () => {
    const emu = await agent();
    const { driver, target } = driverFor(emu);
    await expect(driver.getInfo({ ...target, lbNetworkIp: null })).rejects.toThrow(/no management address/);
    const udp = await driver.updateConfig(target, lbConfig({ listeners: [listener({ protocol: 'UDP' })] })).catch((e: unknown) => e);
    expect(udp).toBeInstanceOf(AmphoraDriverNotSupported);
    expect((udp as AmphoraDriverNotSupported).retryable).toBe(false);
    await expect(driver.plugVip(target, 'not-an-ip', network)).rejects.toThrow(AmphoraDriverError);
    emu.inject({ method: 'GET', path: '/', status: 404, body: { error: '404 Not Found', http_code: 404 } });
    await expect(driver.getInfo(target)).rejects.toThrow(/speaks agent API 0\.5/);
    expect(emu.calls()).toEqual(['GET /']);
  });
});
