/**
 * The no-op drivers as an operator drives them from the environment: NOOP_FAULTS (parsed once, in the
 * config, and handed to the drivers npm start makes), the amphora driver's state across a restart, and
 * the network driver's made-up ids, the same on every call.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseNoopFaults } from '../../config';
import { createAmphoraDriver, NoopAmphoraDriver, noopAmphoraOptions, type LoadBalancerConfig } from '../../drivers/amphora';
import { createCertificateAuthority } from '../../drivers/certificates';
import { AmphoraBuildError, createComputeDriver, DeleteFailed, NoopComputeDriver, noopComputeOptions } from '../../drivers/compute';
import { ComputeStatus } from '../../drivers/compute/port';
import { NoopNetworkDriver } from '../../drivers/network';

const env = (extra: Record<string, string>) => ({ ...process.env, NOOP_STATE_FILE: '', ...extra });
const build = (driver: NoopComputeDriver, name = 'amphora-x') => driver.build({ name, flavorId: 'f', imageId: 'i' });

describe('NOOP_FAULTS', () => {
  it('parses <step>:<fault>[:<probability or ms>], each fault always when no probability is given', () => {
    expect(parseNoopFaults('')).toEqual({});
    expect(parseNoopFaults('build:error:0.3, config:error,delete:error:1,compute:latency:250,boot:error:0')).toEqual({
      buildFails: 0.3,
      configFails: 1,
      deleteFails: 1,
      computeLatencyMs: 250,
      statusError: 0,
    });
    expect(parseNoopFaults('build:reject,build:hang:0.5,config:latency:1500')).toEqual({ buildRejected: 1, buildHangs: 0.5, configLatencyMs: 1500 });
  });

  it('refuses what it does not know, at start-up, naming the setting', () => {
    expect(() => loadConfig(env({ NOOP_FAULTS: 'build:explode' }))).toThrow(
      /^Invalid configuration: NOOP_FAULTS: unknown fault "build:explode" \(known: build:error, build:reject, build:hang, boot:error, delete:error, config:error, compute:latency, config:latency\)$/,
    );
    expect(() => loadConfig(env({ NOOP_FAULTS: 'build:error:1.5' }))).toThrow('NOOP_FAULTS: "build:error:1.5" needs a probability between 0 and 1');
    expect(() => loadConfig(env({ NOOP_FAULTS: 'config:latency' }))).toThrow('NOOP_FAULTS: "config:latency" needs a latency in milliseconds');
    expect(() => loadConfig(env({ NOOP_FAULTS: 'build:error:0.1:x' }))).toThrow('unknown fault "build:error:0.1:x"');
  });

  it('reaches the compute driver npm start makes', async () => {
    const rejecting = createComputeDriver(loadConfig(env({ NOOP_FAULTS: 'build:reject' })));
    const rejected = await rejecting.build({ name: 'amphora-a', flavorId: 'f', imageId: 'i' }).catch((err: unknown) => err);
    expect(rejected).toBeInstanceOf(AmphoraBuildError);
    expect(rejected).toMatchObject({ retryable: false, message: 'Injected fault: flavor rejected by the compute service.' });
    const failingDeletes = createComputeDriver(loadConfig(env({ NOOP_FAULTS: 'delete:error' })));
    const id = await failingDeletes.build({ name: 'amphora-b', flavorId: 'f', imageId: 'i' });
    await expect(failingDeletes.delete(id)).rejects.toBeInstanceOf(DeleteFailed);
  });

  it('reaches the amphora driver npm start makes', async () => {
    const config = loadConfig(env({ NOOP_FAULTS: 'config:error' }));
    const driver = await createAmphoraDriver(config, createCertificateAuthority(config), { controllerIpPortList: [], heartbeatInterval: 10, heartbeatKey: 'k' });
    await expect(driver.updateConfig({ amphoraId: 'a1', lbNetworkIp: null, role: 'STANDALONE' }, lbConfig('lb1'))).rejects.toThrow(
      'Injected fault: amphora a1 rejected its configuration.',
    );
  });

  it('strikes with its probability: per call for build errors, once per instance for status faults', async () => {
    const draws = [0.2, 0.8, 0.29, 0.31];
    const random = () => draws.shift() ?? 1;
    const options = noopComputeOptions(loadConfig(env({ NOOP_FAULTS: 'build:error:0.3' })));
    const driver = new NoopComputeDriver({ ...options, random });
    await expect(build(driver)).rejects.toThrow('Injected fault: compute service failed to build.');
    await expect(build(driver)).resolves.toEqual(expect.any(String));
    await expect(build(driver, 'amphora-y')).rejects.toThrow(AmphoraBuildError);
    await expect(build(driver, 'amphora-y')).resolves.toEqual(expect.any(String));

    const statusDraws = [0.1, 0.9];
    const booting = new NoopComputeDriver({ faults: { statusError: 0.5 }, random: () => statusDraws.shift() ?? 1 });
    const broken = await build(booting, 'amphora-1');
    const fine = await build(booting, 'amphora-2');
    for (let i = 0; i < 3; i++) {
      expect(await booting.status(broken)).toBe(ComputeStatus.ERROR);
      expect(await booting.status(fine)).toBe(ComputeStatus.ACTIVE);
    }
  });
});

function lbConfig(loadBalancerId: string, enabled = true): LoadBalancerConfig {
  return {
    loadBalancerId,
    projectId: 'p',
    enabled,
    vipAddress: '198.51.100.1',
    topology: 'SINGLE',
    listeners: [
      {
        id: 'l1', protocol: 'TCP', protocolPort: 80, enabled: true, connectionLimit: -1, defaultPoolId: null,
        timeouts: { clientData: 0, memberConnect: 0, memberData: 0, tcpInspect: 0 }, insertHeaders: {}, allowedCidrs: [],
        tls: { certificateRef: null, sniCertificateRefs: [], clientCaRef: null, clientAuthentication: 'NONE', clientCrlRef: null, ciphers: null, versions: null, alpnProtocols: null },
        l7Policies: [],
      },
    ],
    pools: [],
  };
}

describe('the no-op amphora driver across a restart', () => {
  it('keeps what it was pushed beside NOOP_STATE_FILE: a new process heartbeats for the same amphorae', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'noop-amphorae-'));
    const config = loadConfig(env({ NOOP_STATE_FILE: path.join(dir, 'compute.json') }));
    const statePath = noopAmphoraOptions(config).statePath;
    expect(statePath).toBe(path.join(dir, 'noop-amphorae.json'));

    const before = new NoopAmphoraDriver(noopAmphoraOptions(config));
    const target = (amphoraId: string) => ({ amphoraId, lbNetworkIp: null, role: 'STANDALONE' as const });
    await before.updateConfig(target('a1'), lbConfig('lb1'));
    await before.updateConfig(target('a2'), lbConfig('lb2'));
    await before.stop(target('a2'));
    await before.updateAgentConfig(target('a1'), '[health_manager]\n');
    await before.updateConfig(target('a3'), lbConfig('lb3'));
    await before.removeConfig(target('a3'));
    expect(JSON.parse(await readFile(statePath!, 'utf8')).configs.map(([id]: [string]) => id)).toEqual(['a1', 'a2']);

    const after = new NoopAmphoraDriver(noopAmphoraOptions(config));
    expect(after.configOf('a1')).toEqual(lbConfig('lb1'));
    expect(after.configOf('a3')).toBeUndefined();
    expect(after.agentConfigs.get('a1')).toBe('[health_manager]\n');
    expect(Object.keys(after.heartbeatMessage('a1')!.listeners)).toEqual(['l1']);
    // Stopped before the restart (admin_state_up false): alive, reporting no listener.
    expect(after.heartbeatMessage('a2')!.listeners).toEqual({});
  });

  it('keeps nothing when NOOP_STATE_FILE is empty (memory only)', () => {
    expect(noopAmphoraOptions(loadConfig(env({}))).statePath).toBeUndefined();
  });

  it("gives every amphora Octavia's certificate expiry: cert_validity_time from its build", async () => {
    const driver = new NoopAmphoraDriver(noopAmphoraOptions(loadConfig(env({ CERT_VALIDITY_TIME: '3600' }))));
    const boot = await driver.bootFiles();
    expect(boot!.configDriveFiles).toEqual({});
    expect(Math.abs(boot!.certExpiration.getTime() - (Date.now() + 3600_000))).toBeLessThan(5000);
  });
});

describe('the no-op network driver', () => {
  it('makes up the same ids on every call (a retried step finds what the first made), different ones per object', async () => {
    const net = new NoopNetworkDriver();
    const request = { loadBalancerId: 'lb-1', projectId: 'p', subnetId: 's-1' };
    const vip = await net.allocateVip(request);
    expect(await net.allocateVip(request)).toEqual(vip);
    expect(vip).toMatchObject({ ipAddress: '198.51.100.1', subnetId: 's-1', networkId: (await net.getSubnet('s-1')).networkId });
    expect((await net.allocateVip({ ...request, loadBalancerId: 'lb-2' })).portId).not.toBe(vip.portId);
    expect((await net.allocateVip({ ...request, portId: 'given' })).portId).toBe('given');

    const plugged = await net.plugVip({ amphoraId: 'a1', computeId: 'c1' }, vip);
    expect(plugged).toMatchObject({ vrrpIp: '198.51.100.1', haPortId: vip.portId, haIp: vip.ipAddress });
    expect(plugged.vrrpPortId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await net.plugVip({ amphoraId: 'a1', computeId: 'c1' }, vip)).vrrpPortId).toBe(plugged.vrrpPortId);
    expect((await new NoopNetworkDriver().plugVip({ amphoraId: 'a1', computeId: 'c1' }, vip)).vrrpPortId).toBe(plugged.vrrpPortId);
    expect((await net.plugVip({ amphoraId: 'a2', computeId: 'c2' }, vip)).vrrpPortId).not.toBe(plugged.vrrpPortId);
    expect(await net.getPort('p-1')).toEqual(await net.getPort('p-1'));
    expect(await net.getNetwork('n-1')).toEqual(await net.getNetwork('n-1'));
  });
});
