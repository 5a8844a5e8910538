/**
 * The Nova driver's own behaviour: configuration (OS_* and clouds.yaml), user data with config-drive
 * files, and, against the Nova + Keystone emulator (test/emulators/nova), faults: circuit breaker,
 * throttling, lost responses, token expiry, error mapping, what goes on the wire, secrets in logs.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import type { ApplicationFailure } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import { parse } from 'yaml';
import {
  AmphoraComputeError,
  ComputeValidationError,
  createComputeDriver,
  InstanceNotFoundError,
  NovaComputeDriver,
  type BuildRequest,
} from '../../drivers/compute';
import {
  COMPUTE_MICROVERSION,
  composeUserData,
  createNovaDriver,
  encodeUserData,
  mapNovaStatus,
} from '../../drivers/compute/nova';
import { toApplicationFailure } from '../../common/failures';
import { computeCircuitBreakerState, computeRequests as computeRequestsMetric } from '../../common/metrics';
import { loadConfig } from '../../config';
import { AMP_IMAGE_ID_PLACEHOLDER, loadOpenStackConfig } from '../../config/openstack';
import { startNovaEmulator, type NovaEmulator } from '../emulators/nova';
import { novaCredentialsEnv } from '../support/nova-env';

describe('OpenStack configuration', () => {
  const base = {
    OS_AUTH_URL: 'http://keystone.example:5000/v3',
    OS_USERNAME: 'octavia',
    OS_PASSWORD: 'pa55-w0rd',
    OS_PROJECT_NAME: 'service',
  };

  it('reads the OS_* variables with the defaults every client has', () => {
    const c = loadOpenStackConfig(base);
    expect(c.auth).toMatchObject({
      authUrl: 'http://keystone.example:5000/v3',
      username: 'octavia',
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    });
    expect(c.auth.password?.reveal()).toBe('pa55-w0rd');
    expect(c.interface).toBe('public');
    expect(c.nova).toEqual({ endpoint: undefined, requestTimeoutSeconds: 30, circuitBreaker: { threshold: 5, resetSeconds: 30 } });
    expect(c.amphora).toMatchObject({ bootNetworkIds: [], securityGroups: [], enableAntiAffinity: false, antiAffinityPolicy: 'anti-affinity' });
  });

  it('takes Octavia option names for the amphora settings, and the old interface names', () => {
    const c = loadOpenStackConfig({
      ...base,
      OS_INTERFACE: 'internalURL',
      OS_PROJECT_ID: 'p-1',
      AMP_BOOT_NETWORK_LIST: ' net-a, net-b ,',
      AMP_SECGROUP_LIST: 'lb-mgmt-sec-grp',
      AMP_SSH_KEY_NAME: 'octavia-key',
      AMP_IMAGE_TAG: 'amphora',
      AMP_IMAGE_OWNER_ID: 'owner-1',
      ENABLE_ANTI_AFFINITY: 'true',
      ANTI_AFFINITY_POLICY: 'soft-anti-affinity',
      NOVA_ENDPOINT: 'http://nova.example:8774/v2.1',
      NOVA_REQUEST_TIMEOUT_SECONDS: '2.5',
      NOVA_CIRCUIT_BREAKER_THRESHOLD: '3',
      NOVA_CIRCUIT_BREAKER_RESET_SECONDS: '10',
    });
    expect(c.interface).toBe('internal');
    expect(c.auth.projectId).toBe('p-1');
    expect(c.amphora).toMatchObject({
      bootNetworkIds: ['net-a', 'net-b'],
      securityGroups: ['lb-mgmt-sec-grp'],
      sshKeyName: 'octavia-key',
      imageTag: 'amphora',
      imageOwnerId: 'owner-1',
      placeholderImageId: 'amphora-image',
      enableAntiAffinity: true,
      antiAffinityPolicy: 'soft-anti-affinity',
    });
    expect(c.nova).toEqual({ endpoint: 'http://nova.example:8774/v2.1', requestTimeoutSeconds: 2.5, circuitBreaker: { threshold: 3, resetSeconds: 10 } });
  });

  it('lets an explicit AMP_IMAGE_ID win over AMP_IMAGE_TAG', () => {
    expect(loadOpenStackConfig({ AMP_IMAGE_TAG: 'amphora', AMP_IMAGE_ID: 'img-1' }).amphora.placeholderImageId).toBeUndefined();
    expect(loadOpenStackConfig({}).amphora.placeholderImageId).toBeUndefined();
  });

  it('rejects bad values naming the variable, never the value', () => {
    expect(() => loadOpenStackConfig({ ...base, OS_INTERFACE: 'private' })).toThrow(/OS_INTERFACE/);
    expect(() => loadOpenStackConfig({ ...base, ANTI_AFFINITY_POLICY: 'affinity' })).toThrow(/ANTI_AFFINITY_POLICY/);
    expect(() => loadOpenStackConfig({ ...base, OS_AUTH_TYPE: 'token' })).toThrow(/OS_AUTH_TYPE/);
  });

  it('never shows the password: JSON, String, util.inspect of the config give ***', () => {
    const c = loadOpenStackConfig(base);
    const { inspect } = require('node:util') as typeof import('node:util');
    expect(JSON.stringify(c)).not.toContain('pa55-w0rd');
    expect(inspect(c, { depth: 10 })).not.toContain('pa55-w0rd');
    expect(String(c.auth.password)).toBe('***');
  });

  describe('clouds.yaml', () => {
    let dir: string;
    const cloudsYaml = `
clouds:
  devstack:
    auth:
      auth_url: http://10.0.0.5/identity
      username: octavia
      project_name: service
      user_domain_name: Users
      project_domain_id: default
    region_name: RegionTwo
    interface: internal
    compute_endpoint_override: http://10.0.0.5/compute/v2.1
  other:
    auth:
      auth_url: http://other.example:5000
      username: someone-else
      password: other-secret
      project_id: p-9
      domain_name: Shared
    regions: [East, West]
`;
    const secureYaml = `
clouds:
  devstack:
    auth:
      password: from-secure-yaml
`;

    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'clouds-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('finds ./clouds.yaml first, merges secure.yaml, and maps every key', async () => {
      const cwd = path.join(dir, 'cwd');
      const home = path.join(dir, 'home');
      await mkdir(cwd, { recursive: true });
      await mkdir(path.join(home, '.config', 'openstack'), { recursive: true });
      await writeFile(path.join(cwd, 'clouds.yaml'), cloudsYaml);
      await writeFile(path.join(cwd, 'secure.yaml'), secureYaml);
      // A clouds.yaml in the home folder comes later in the search: not read.
      await writeFile(path.join(home, '.config', 'openstack', 'clouds.yaml'), 'clouds: {devstack: {auth: {username: wrong}}}');

      const c = loadOpenStackConfig({ OS_CLOUD: 'devstack' }, { cwd, home, etcDir: path.join(dir, 'etc') });
      expect(c.cloud).toBe('devstack');
      expect(c.cloudsFile).toBe(path.join(cwd, 'clouds.yaml'));
      expect(c.auth).toMatchObject({
        authUrl: 'http://10.0.0.5/identity',
        username: 'octavia',
        projectName: 'service',
        userDomainName: 'Users',
        projectDomainId: 'default',
        projectDomainName: undefined,
      });
      expect(c.auth.password?.reveal()).toBe('from-secure-yaml');
      expect(c.regionName).toBe('RegionTwo');
      expect(c.interface).toBe('internal');
      expect(c.nova.endpoint).toBe('http://10.0.0.5/compute/v2.1');
    });

    it('searches ~/.config/openstack then /etc/openstack; OS_CLIENT_CONFIG_FILE overrides; OS_* override the entry', async () => {
      const home = path.join(dir, 'home');
      const etc = path.join(dir, 'etc');
      await mkdir(path.join(home, '.config', 'openstack'), { recursive: true });
      await mkdir(etc, { recursive: true });
      await writeFile(path.join(etc, 'clouds.yaml'), cloudsYaml);
      const search = { cwd: path.join(dir, 'nowhere'), home, etcDir: etc };

      const fromEtc = loadOpenStackConfig({ OS_CLOUD: 'other' }, search);
      expect(fromEtc.cloudsFile).toBe(path.join(etc, 'clouds.yaml'));
      expect(fromEtc.auth).toMatchObject({ username: 'someone-else', projectId: 'p-9', userDomainName: 'Shared', projectDomainName: 'Shared' });
      expect(fromEtc.regionName).toBe('East');

      await writeFile(path.join(home, '.config', 'openstack', 'clouds.yml'), cloudsYaml.replace('someone-else', 'from-home'));
      expect(loadOpenStackConfig({ OS_CLOUD: 'other' }, search).auth.username).toBe('from-home');

      const explicit = path.join(dir, 'explicit.yaml');
      await writeFile(explicit, cloudsYaml.replace('someone-else', 'from-explicit'));
      const c = loadOpenStackConfig({ OS_CLOUD: 'other', OS_CLIENT_CONFIG_FILE: explicit, OS_REGION_NAME: 'West' }, search);
      expect(c.auth.username).toBe('from-explicit');
      expect(c.regionName).toBe('West');
    });

    it('fails clearly for a cloud no file has, and never quotes the file', async () => {
      const file = path.join(dir, 'clouds.yaml');
      await writeFile(file, cloudsYaml);
      expect(() => loadOpenStackConfig({ OS_CLOUD: 'nope', OS_CLIENT_CONFIG_FILE: file })).toThrow(/Cloud "nope".*it has: devstack, other/);
      expect(() => loadOpenStackConfig({ OS_CLOUD: 'x' }, { cwd: dir, home: dir, etcDir: dir + '/none' })).toThrow(/Cloud "x"/);
      await writeFile(file, 'clouds:\n  bad:\n    auth: {password: "s3cret-in-yaml"\n');
      let message = '';
      try {
        loadOpenStackConfig({ OS_CLOUD: 'bad', OS_CLIENT_CONFIG_FILE: file });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/not valid YAML/);
      expect(message).not.toContain('s3cret-in-yaml');
      expect(() => loadOpenStackConfig({ OS_CLOUD: 'x' }, { cwd: path.join(dir, 'a'), home: path.join(dir, 'b'), etcDir: path.join(dir, 'c') })).toThrow(
        /no clouds.yaml was found/,
      );
    });
  });
});

/** A minimal MIME multipart reader (enough for what composeUserData writes). */
function mimeParts(doc: string): Array<{ headers: Record<string, string>; body: string }> {
  const boundary = /boundary="([^"]+)"/.exec(doc)?.[1];
  if (!boundary) throw new Error('not multipart');
  const chunks = doc.split(`--${boundary}`).slice(1, -1);
  return chunks.map((chunk) => {
    const text = chunk.replace(/^\n/, '').replace(/\n$/, '');
    const split = text.indexOf('\n\n');
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, split).split('\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    let body = text.slice(split + 2);
    if (headers['content-transfer-encoding'] === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
    return { headers, body };
  });
}

/** The files a cloud-config's write_files would write. */
function writtenFiles(cloudConfig: string): Record<string, string> {
  expect(cloudConfig.startsWith('#cloud-config\n')).toBe(true);
  const doc = parse(cloudConfig) as { write_files?: Array<{ path: string; content: string; encoding: string; permissions: string }> };
  return Object.fromEntries(
    (doc.write_files ?? []).map((f) => {
      expect(f.encoding).toBe('b64');
      expect(f.permissions).toBe('0644');
      return [f.path, Buffer.from(f.content, 'base64').toString('utf8')];
    }),
  );
}

describe('config-drive files in user data', () => {
  const files = { '/etc/octavia/amphora-agent.conf': '[DEFAULT]\ndebug = False\n', '/etc/octavia/certs/ca.pem': 'CA: é\n' };

  it('leaves user data alone when there are no files', () => {
    expect(composeUserData('#!/bin/sh\necho hi\n', undefined)?.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(composeUserData(undefined, {})).toBeUndefined();
  });

  it('makes a #cloud-config with write_files when there is no user data', () => {
    expect(writtenFiles(composeUserData(undefined, files)!.toString())).toEqual(files);
  });

  it('appends to the write_files of a caller cloud-config', () => {
    const caller = '#cloud-config\npackages: [haproxy]\nwrite_files:\n  - path: /etc/motd\n    content: hello\n';
    const out = composeUserData(caller, files)!.toString();
    const doc = parse(out) as { packages: string[]; write_files: Array<{ path: string }> };
    expect(doc.packages).toEqual(['haproxy']);
    expect(doc.write_files.map((f) => f.path)).toEqual(['/etc/motd', ...Object.keys(files)]);
  });

  it('makes a MIME multipart of our cloud-config and any other user data', () => {
    const script = '#!/bin/sh\necho hi\n';
    const out = composeUserData(script, files, 'BOUNDARY')!.toString();
    expect(out.startsWith('Content-Type: multipart/mixed; boundary="BOUNDARY"\nMIME-Version: 1.0\n')).toBe(true);
    const [ours, theirs] = mimeParts(out);
    expect(ours?.headers['content-type']).toContain('text/cloud-config');
    expect(writtenFiles(ours!.body)).toEqual(files);
    expect(parse(ours!.body).merge_how).toEqual([
      { name: 'list', settings: ['append'] },
      { name: 'dict', settings: ['no_replace', 'recurse_list'] },
    ]);
    expect(theirs?.headers['content-type']).toContain('text/x-shellscript');
    expect(theirs?.body).toBe(script);
  });

  it('gzips what is over Nova\'s 65,535 base64 characters and rejects what is still over', () => {
    const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`/etc/f${i}`, 'x'.repeat(10 * 1024)]));
    const encoded = encodeUserData(composeUserData(undefined, big))!;
    expect(encoded.length).toBeLessThanOrEqual(65535);
    const raw = Buffer.from(encoded, 'base64');
    expect([raw[0], raw[1]]).toEqual([0x1f, 0x8b]);
    const { gunzipSync } = require('node:zlib') as typeof import('node:zlib');
    expect(writtenFiles(gunzipSync(raw).toString())).toEqual(big);

    const random = Buffer.from(Array.from({ length: 60000 }, () => Math.floor(Math.random() * 256)));
    expect(() => encodeUserData(random)).toThrow(/at most 65535/);
  });
});

// --- against the Nova + Keystone emulator -----------------------------------------------------------

interface Captured {
  log: Logger;
  lines: string[];
  text(): string;
}

/** A logger at trace level with NO redaction, writing to memory: what a driver logs, it logs here as is. */
function captureLog(): Captured {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
  return { log, lines, text: () => lines.join('') };
}

function envFor(emu: NovaEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...novaCredentialsEnv(emu),
    NOVA_REQUEST_TIMEOUT_SECONDS: '2',
    ...extra,
  };
}

async function errorOf(p: Promise<unknown>): Promise<AmphoraComputeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AmphoraComputeError)) throw new Error(`expected an AmphoraComputeError, got ${String(err)}`);
  return err;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Faked = 'Date' | 'setTimeout' | 'clearTimeout';
const FAKEABLE = ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame',
  'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

/**
 * Jest's fake clock for `fake` only, so time moves when the test says and no sleep races the
 * deadline. Everything else stays real: the HTTP exchanges with the emulator run on Node's own socket
 * timers. Drivers read the clock when they are made (KeystoneSession, ComputeCircuitBreaker `now`), so
 * make them after this.
 */
const fakeClock = (...fake: Faked[]) => jest.useFakeTimers({ doNotFake: FAKEABLE.filter((n) => !(fake as string[]).includes(n)) });

async function circuitGauge(): Promise<number | undefined> {
  const metric = await computeCircuitBreakerState.get();
  return metric.values.find((v) => v.labels.driver === 'nova')?.value;
}

describe('Nova driver against the emulator', () => {
  let emu: NovaEmulator;
  const drivers: NovaComputeDriver[] = [];
  const make = (extra: Record<string, string> = {}, log: Logger = pino({ level: 'silent' })) => {
    const d = createNovaDriver(loadOpenStackConfig(envFor(emu, extra)), { log });
    drivers.push(d);
    return d;
  };
  const request = (name: string, extra: Partial<BuildRequest> = {}): BuildRequest => ({
    name,
    flavorId: emu.seed.amphoraFlavorId,
    imageId: emu.seed.amphoraImageId,
    ...extra,
  });
  const computeRequests = () => emu.requests.filter((r) => r.path.startsWith('/compute/'));
  const creates = () => emu.requests.filter((r) => r.method === 'POST' && /\/servers$/.test(r.path));
  const authCount = () => emu.requests.filter((r) => r.path.endsWith('/auth/tokens')).length;

  beforeEach(async () => {
    emu = await startNovaEmulator({ bootMs: 50 });
  });
  afterEach(async () => {
    jest.useRealTimers();
    for (const d of drivers.splice(0)) d.close();
    await emu.stop();
  });

  it('sends the pinned microversion on every compute request, and the service\'s request ids come back', async () => {
    const d = make({ AMP_BOOT_NETWORK_LIST: emu.seed.mgmtNetworkId });
    const id = await d.build(request(`amphora-${randomUUID()}`));
    await d.status(id);
    await d.validateFlavor(emu.seed.amphoraFlavorId);
    await d.validateAvailabilityZone('nova');
    await d.delete(id);
    expect(COMPUTE_MICROVERSION).toBe('2.86');
    expect(computeRequests().length).toBeGreaterThanOrEqual(5);
    for (const r of computeRequests()) expect(r.headers['openstack-api-version']).toBe('compute 2.86');
    // Ours on every request (Nova adopts a well-formed global request id).
    for (const r of emu.requests) expect(r.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it('finds endpoints in the catalog by region and interface, or takes NOVA_ENDPOINT; reads credentials from clouds.yaml', async () => {
    const nowhere = await errorOf(make({ OS_REGION_NAME: 'Nowhere' }).status(randomUUID()));
    expect(nowhere).toMatchObject({ retryable: false });
    expect(nowhere.message).toContain('No compute endpoint with interface public in region Nowhere in the service catalog.');

    const internal = make({ OS_INTERFACE: 'internal', NOVA_ENDPOINT: `${emu.computeUrl}/` });
    await expect(internal.status(randomUUID())).rejects.toBeInstanceOf(InstanceNotFoundError);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'clouds-emu-'));
    try {
      const c = emu.credentials;
      await writeFile(
        path.join(dir, 'clouds.yaml'),
        `clouds:\n  emu:\n    auth:\n      auth_url: ${emu.authUrl.replace(/\/v3$/, '')}\n      username: ${c.username}\n      project_name: ${c.projectName}\n    region_name: ${c.regionName}\n`,
      );
      await writeFile(path.join(dir, 'secure.yaml'), `clouds:\n  emu:\n    auth:\n      password: ${c.password}\n`);
      const config = loadOpenStackConfig({ OS_CLOUD: 'emu' }, { cwd: dir, home: dir, etcDir: dir });
      const fromClouds = createNovaDriver(config, { log: pino({ level: 'silent' }) });
      drivers.push(fromClouds);
      await expect(fromClouds.validateAvailabilityZone('nova')).resolves.toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => createNovaDriver(loadOpenStackConfig({ OS_AUTH_URL: emu.authUrl }))).toThrow(
      'The Keystone service account needs OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME or OS_PROJECT_ID',
    );
  });

  it('is what COMPUTE_DRIVER=nova makes', async () => {
    const driver = createComputeDriver(loadConfig({ ...envFor(emu), COMPUTE_DRIVER: 'nova', LOG_LEVEL: 'silent' }));
    expect(driver).toBeInstanceOf(NovaComputeDriver);
    drivers.push(driver as NovaComputeDriver);
    await expect(driver.validateFlavor(emu.seed.amphoraFlavorId)).resolves.toBeUndefined();
  });

  it('sends networks "none" when no boot network is configured, and the boot networks when one is', async () => {
    await make().build(request('amphora-none'));
    await make({ AMP_BOOT_NETWORK_LIST: emu.seed.mgmtNetworkId, AMP_SECGROUP_LIST: 'lb-mgmt-sec-grp', AMP_SSH_KEY_NAME: emu.seed.keyName }).build(
      request('amphora-mgmt', { metadata: { amphora_id: 'a1' }, availabilityZone: 'nova' }),
    );
    const [none, mgmt] = creates().map((r) => (r.body as { server: Record<string, unknown> }).server);
    expect(none?.networks).toBe('none');
    expect(none).not.toHaveProperty('key_name');
    expect(none).not.toHaveProperty('security_groups');
    expect(mgmt).toMatchObject({
      networks: [{ uuid: emu.seed.mgmtNetworkId }],
      security_groups: [{ name: 'lb-mgmt-sec-grp' }],
      key_name: emu.seed.keyName,
      metadata: { amphora_id: 'a1' },
      availability_zone: 'nova',
      config_drive: true,
      tags: ['octavia-amphora'],
    });
  });

  it('builds into a server group with the scheduler hint', async () => {
    const d = make();
    const group = await d.createServerGroup('octavia-lb-1', 'anti-affinity');
    // Created once: a retried create finds the group by its name.
    expect(await d.createServerGroup('octavia-lb-1', 'anti-affinity')).toBe(group);
    await d.build(request('amphora-g', { serverGroupId: group }));
    const create = creates()[0]?.body as Record<string, unknown>;
    expect(create['os:scheduler_hints']).toEqual({ group });
    const groupCreate = emu.requests.find((r) => r.method === 'POST' && r.path.endsWith('/os-server-groups'));
    expect(groupCreate?.body).toEqual({ server_group: { name: 'octavia-lb-1', policy: 'anti-affinity' } });
  });

  it('puts config-drive files in user_data as documented (MIME with a caller script), with config_drive', async () => {
    const files = { '/etc/octavia/amphora-agent.conf': '[amphora_agent]\nagent_server_ca = /etc/octavia/certs/ca.pem\n' };
    const d = make();
    await d.build(request('amphora-files', { configDriveFiles: files }));
    await d.build(request('amphora-files-script', { configDriveFiles: files, userData: '#!/bin/sh\ntouch /tmp/ok\n' }));
    const [alone, withScript] = creates().map((r) => (r.body as { server: { user_data: string; config_drive: boolean } }).server);
    expect(alone?.config_drive).toBe(true);
    expect(writtenFiles(Buffer.from(alone!.user_data, 'base64').toString())).toEqual(files);
    const parts = mimeParts(Buffer.from(withScript!.user_data, 'base64').toString());
    expect(parts.map((p) => p.headers['content-type']?.split(';')[0])).toEqual(['text/cloud-config', 'text/x-shellscript']);
    expect(writtenFiles(parts[0]!.body)).toEqual(files);
    expect(parts[1]?.body).toBe('#!/bin/sh\ntouch /tmp/ok\n');
  });

  it('boots the newest active image with AMP_IMAGE_TAG when no image is chosen; an explicit AMP_IMAGE_ID wins', async () => {
    const tagged = make({ AMP_IMAGE_TAG: 'amphora', AMP_IMAGE_OWNER_ID: emu.seed.serviceProjectId });
    await tagged.build(request('amphora-tag', { imageId: AMP_IMAGE_ID_PLACEHOLDER }));
    await tagged.build(request('amphora-chosen', { imageId: emu.seed.tinyImageId, flavorId: emu.seed.tinyFlavorId }));
    const refs = creates().map((r) => (r.body as { server: { imageRef: string } }).server.imageRef);
    expect(refs).toEqual([emu.seed.amphoraImageId, emu.seed.tinyImageId]);
    const glance = emu.requests.find((r) => r.path.startsWith('/image/v2/images?'));
    expect(glance?.path).toContain('tag=amphora');
    expect(glance?.path).toContain(`owner=${emu.seed.serviceProjectId}`);

    // AMP_IMAGE_ID set explicitly: the placeholder value is an image id like any other.
    const explicit = make({ AMP_IMAGE_TAG: 'amphora', AMP_IMAGE_ID: AMP_IMAGE_ID_PLACEHOLDER });
    const err = await errorOf(explicit.build(request('amphora-explicit', { imageId: AMP_IMAGE_ID_PLACEHOLDER })));
    expect(err).toMatchObject({ name: 'AmphoraBuildError', retryable: false });
    expect(err.message).toContain('Nova answered 400: Invalid input for field/attribute imageRef. Value: amphora-image.');

    const wrongOwner = make({ AMP_IMAGE_TAG: 'amphora', AMP_IMAGE_OWNER_ID: emu.seed.demoProjectId });
    const none = await errorOf(wrongOwner.build(request('amphora-owner', { imageId: AMP_IMAGE_ID_PLACEHOLDER })));
    expect(none).toMatchObject({ name: 'AmphoraBuildError', retryable: false });
    expect(none.message).toMatch(/no active image with tag amphora owned by/);

    // Validating the placeholder validates the tag lookup.
    await expect(tagged.validateImage(AMP_IMAGE_ID_PLACEHOLDER)).resolves.toBeUndefined();
    await expect(wrongOwner.validateImage(AMP_IMAGE_ID_PLACEHOLDER)).rejects.toBeInstanceOf(ComputeValidationError);
    await expect(wrongOwner.validateImage(emu.seed.amphoraImageId)).resolves.toBeUndefined();
  });

  it('maps Nova\'s status and fault: NoValidHost is ERROR with the fault message kept', async () => {
    const d = make();
    emu.faults.buildFailsNoValidHost = true;
    const id = await d.build(request('amphora-novalidhost'));
    let instance = await d.getAmphora({ id });
    for (let i = 0; i < 100 && instance.status === 'BUILD'; i++) {
      await sleep(20);
      instance = await d.getAmphora({ id });
    }
    expect(instance.status).toBe('ERROR');
    expect(instance.fault).toBe('No valid host was found. There are not enough hosts available.');
    expect(mapNovaStatus('SOFT_DELETED')).toBe('DELETED');
    expect(mapNovaStatus('SHUTOFF')).toBe('SHUTOFF');
    expect(mapNovaStatus('VERIFY_RESIZE')).toBe('UNKNOWN');
  });

  it('a build retried after a lost response returns the first server and makes no second one', async () => {
    const d = make();
    emu.faults.dropNextCreateResponse = true;
    const lost = await errorOf(d.build(request('amphora-lost')));
    expect(lost).toMatchObject({ name: 'AmphoraBuildError', retryable: true });
    const id = await d.build(request('amphora-lost'));
    const live = emu.liveServers().filter((s) => s.name === 'amphora-lost');
    expect(live.map((s) => s.id)).toEqual([id]);
    expect(creates()).toHaveLength(1);
    // The lookup is an exact, anchored match: a longer name is another server.
    await d.build(request('amphora-lost-2'));
    expect(emu.liveServers().filter((s) => s.name.startsWith('amphora-lost'))).toHaveLength(2);
  });

  it('renews a token refused mid-flow once, and retries the call once', async () => {
    const d = make();
    const id = await d.build(request('amphora-token'));
    expect(authCount()).toBe(1);
    emu.expireTokens();
    const before = emu.requests.length;
    await expect(d.status(id)).resolves.toEqual(expect.stringMatching(/BUILD|ACTIVE/));
    expect(emu.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f-]{36}$/, '/ID')}`)).toEqual([
      'GET /compute/v2.1/servers/ID',
      'POST /identity/v3/auth/tokens',
      'GET /compute/v2.1/servers/ID',
    ]);

    // Concurrent callers whose token was refused share one authentication.
    emu.expireTokens();
    await Promise.all(Array.from({ length: 5 }, () => d.status(id)));
    expect(authCount()).toBe(3);

    // A 401 that survives the renewal is final (not retryable).
    emu.faults.next.push({ status: 401 }, { status: 401 });
    const err = await errorOf(d.status(id));
    expect(err).toMatchObject({ retryable: false });
    expect(err.message).toContain('The request you have made requires authentication.');
  });

  it('renews a token shortly before it expires, without waiting for a 401', async () => {
    await emu.stop();
    emu = await startNovaEmulator({ bootMs: 50, tokenTtlSeconds: 1 });
    // One clock for us and the emulator's Keystone: the token is 1 s old when it is asked to be.
    fakeClock('Date');
    const d = make();
    await d.validateFlavor(emu.seed.amphoraFlavorId);
    jest.setSystemTime(Date.now() + 850); // before the last tenth of its lifetime: still the cached token
    await d.validateFlavor(emu.seed.amphoraFlavorId);
    expect(authCount()).toBe(1);
    jest.setSystemTime(Date.now() + 100); // 950 ms: in the last tenth, still valid at Keystone
    await d.validateFlavor(emu.seed.amphoraFlavorId);
    expect(authCount()).toBe(2);
    expect(computeRequests().filter((r) => r.method === 'GET')).toHaveLength(3); // no 401 + retry
  });

  it('shares one authentication between concurrent first callers', async () => {
    const d = make();
    await Promise.all([d.validateFlavor(emu.seed.amphoraFlavorId), d.validateAvailabilityZone('nova'), d.status(randomUUID()).catch(() => undefined)]);
    expect(authCount()).toBe(1);
  });

  it('maps 400, 403 (quota), 404 and 409 to non-retryable errors with Nova\'s message kept', async () => {
    const d = make();
    const badFlavor = await errorOf(d.build(request('amphora-400', { flavorId: 'no-such-flavor' })));
    expect(badFlavor).toMatchObject({ name: 'AmphoraBuildError', retryable: false });
    expect(badFlavor.message).toContain('Nova answered 400: Flavor no-such-flavor could not be found.');

    const badKey = await errorOf(d.build(request('amphora-400-key', { keyName: 'no-such-key' })));
    expect(badKey.message).toContain('Invalid key_name provided.');
    expect(badKey.retryable).toBe(false);

    const quota = 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances';
    emu.faults.next.push({ status: 200, body: { servers: [] } }, { status: 403, body: { forbidden: { code: 403, message: quota } } });
    const overQuota = await errorOf(d.build(request('amphora-403')));
    expect(overQuota).toMatchObject({ name: 'AmphoraBuildError', retryable: false });
    expect(overQuota.message).toContain(`Nova answered 403: ${quota}`);

    const missing = randomUUID();
    const notFound = await errorOf(d.status(missing));
    expect(notFound).toBeInstanceOf(InstanceNotFoundError);
    expect(notFound).toMatchObject({ retryable: false, computeId: missing });
    expect(notFound.message).toContain(`Instance ${missing} could not be found.`);

    const noFlavor = await errorOf(d.validateFlavor('no-such-flavor'));
    expect(noFlavor).toBeInstanceOf(ComputeValidationError);
    expect(noFlavor.message).toContain('Flavor no-such-flavor could not be found.');
    const noImage = await errorOf(d.validateImage(randomUUID()));
    expect(noImage).toBeInstanceOf(ComputeValidationError);
    expect(noImage.message).toMatch(/Glance answered 404: No image found with ID [0-9a-f-]+$/);

    // 409: the port is in use by another server (final); the server is still building (retryable).
    const a = await d.build(request('amphora-409-a'));
    const b = await d.build(request('amphora-409-b'));
    const building = await errorOf(d.attachPort(b, emu.addPort()));
    expect(building).toMatchObject({ retryable: true });
    expect(building.message).toMatch(/while it is in vm_state building/);
    await sleep(120);
    const port = emu.addPort();
    await d.attachPort(a, port);
    const inUse = await errorOf(d.attachPort(b, port));
    expect(inUse).toMatchObject({ retryable: false });
    expect(inUse.message).toContain(`Port ${port} is still in use.`);
  });

  it('creates a flavor with its extra specs, and leaves no half-made flavor when Nova refuses them', async () => {
    const d = make();
    const id = await d.createFlavor({ name: 'amphora-dedicated', ram: 1024, vcpus: 2, disk: 3, extraSpecs: { 'hw:cpu_policy': 'dedicated' } });
    const specs = emu.requests.find((r) => r.method === 'POST' && r.path.endsWith(`/flavors/${id}/os-extra_specs`));
    expect(specs?.body).toEqual({ extra_specs: { 'hw:cpu_policy': 'dedicated' } });

    // 2.86 validates extra specs: a typo is a 400 at once, and the flavor made for it is deleted.
    const err = await errorOf(d.createFlavor({ name: 'amphora-typo', ram: 1024, vcpus: 1, disk: 3, extraSpecs: { 'hw:cpu_policy': 'dedicatd' } }));
    expect(err).toMatchObject({ retryable: false });
    expect(err.message).toMatch(/extra specs of compute flavor amphora-typo: Nova answered 400: Validation failed; 'dedicatd' is not one of: dedicated, shared, mixed./);
    const made = emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/flavors'));
    const typoId = /\/flavors\/([^/]+)\/os-extra_specs$/.exec(emu.requests.filter((r) => r.path.endsWith('/os-extra_specs')).pop()?.path ?? '')?.[1];
    expect(made).toHaveLength(2);
    expect(emu.requests.some((r) => r.method === 'DELETE' && r.path.endsWith(`/flavors/${typoId}`))).toBe(true);
    await expect(d.validateFlavor(typoId ?? '')).rejects.toBeInstanceOf(ComputeValidationError);
  });

  it('maps 429 and 503 to retryable errors with retryAfterSeconds from Retry-After', async () => {
    const d = make();
    emu.faults.next.push({ status: 429, headers: { 'Retry-After': '7' } });
    const throttled = await errorOf(d.status(randomUUID()));
    expect(throttled).toMatchObject({ retryable: true, retryAfterSeconds: 7 });
    expect(throttled.message).toContain('Nova answered 429: This request was rate-limited.');
    expect((toApplicationFailure(throttled) as ApplicationFailure).nextRetryDelay).toBe('7s');

    emu.faults.next.push({ status: 200, body: { servers: [] } }, { status: 503, headers: { 'Retry-After': '3' } });
    const unavailable = await errorOf(d.build(request('amphora-503')));
    expect(unavailable).toMatchObject({ name: 'AmphoraBuildError', retryable: true, retryAfterSeconds: 3 });
    emu.faults.next.push({ status: 500 });
    expect(await errorOf(d.delete(randomUUID()))).toMatchObject({ name: 'DeleteFailed', retryable: true });
  });

  it('times out a request that takes too long (retryable)', async () => {
    const d = make({ NOVA_REQUEST_TIMEOUT_SECONDS: '0.2' });
    await d.validateAvailabilityZone('nova'); // authenticated first: the timeout hits Nova
    emu.faults.latencyMs = 1000;
    const started = Date.now();
    const err = await errorOf(d.status(randomUUID()));
    expect(Date.now() - started).toBeLessThan(900);
    expect(err).toMatchObject({ retryable: true });
    expect(err.message).toContain('did not answer GET');
  });

  it('opens the circuit after N consecutive service failures, fails fast while open, recovers through a half-open probe', async () => {
    const cap = captureLog();
    // The reset timer (opossum's setTimeout) and the breaker's clock move only when the test says.
    fakeClock('Date', 'setTimeout', 'clearTimeout');
    const d = make({ NOVA_CIRCUIT_BREAKER_THRESHOLD: '3', NOVA_CIRCUIT_BREAKER_RESET_SECONDS: '0.3' }, cap.log);
    const id = await d.build(request('amphora-breaker'));
    expect(await circuitGauge()).toBe(0);

    // 4xx answers are the service working: they never open the circuit.
    for (let i = 0; i < 4; i++) await errorOf(d.status(randomUUID()));
    expect(d.circuitState).toBe('closed');

    emu.faults.next.push({ status: 503 }, { status: 503 }, { status: 503 });
    for (let i = 0; i < 3; i++) {
      const err = await errorOf(d.status(id));
      expect(err).toMatchObject({ retryable: true });
      expect(err.message).toContain('Nova answered 503');
    }
    expect(d.circuitState).toBe('open');
    expect(await circuitGauge()).toBe(2);
    const warned = cap.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.includes('circuit breaker opened'));
    expect(warned?.level).toBe(40);

    const sent = emu.requests.length;
    const fast = await errorOf(d.status(id));
    expect(fast).toMatchObject({ name: 'AmphoraComputeError', retryable: true, retryAfterSeconds: 1 });
    expect(fast.message).toMatch(/circuit breaker is open/);
    expect(await errorOf(d.build(request('amphora-while-open')))).toMatchObject({ name: 'AmphoraBuildError', retryable: true });
    expect(emu.requests.length).toBe(sent); // nothing reached Nova
    const counted = (await computeRequestsMetric.get()).values.find((v) => v.labels.status === 'circuit_open' && v.labels.driver === 'nova');
    expect(counted?.value).toBeGreaterThanOrEqual(2);

    // Half-open: not a moment before the reset time; then a failed probe opens it again...
    jest.advanceTimersByTime(299);
    expect(d.circuitState).toBe('open');
    jest.advanceTimersByTime(1);
    expect(d.circuitState).toBe('half-open');
    expect(await circuitGauge()).toBe(1);
    emu.faults.next.push({ status: 502 });
    await errorOf(d.status(id));
    expect(d.circuitState).toBe('open');
    // ...a successful one closes it.
    jest.advanceTimersByTime(300);
    expect(d.circuitState).toBe('half-open');
    expect(await d.status(id)).toMatch(/BUILD|ACTIVE/);
    expect(d.circuitState).toBe('closed');
    expect(await circuitGauge()).toBe(0);
    expect(await d.status(id)).toMatch(/BUILD|ACTIVE/);
  });

  it('never logs the password or a token, nor puts them in an error', async () => {
    const cap = captureLog();
    const password = 'Zq9-very-secret-pa55';
    const d = make({ OS_PASSWORD: password }, cap.log);
    const wrong = await errorOf(d.validateFlavor(emu.seed.amphoraFlavorId));
    expect(wrong).toMatchObject({ retryable: false });
    expect(wrong.message).toContain('Keystone answered 401: The request you have made requires authentication.');

    const good = make({ NOVA_REQUEST_TIMEOUT_SECONDS: '0.3' }, cap.log);
    const errors: unknown[] = [wrong];
    const id = await good.build(request('amphora-secret', { configDriveFiles: { '/etc/x': 'y' } }));
    await good.getAmphora({ id });
    emu.expireTokens();
    await good.status(id);
    emu.faults.next.push({ status: 503 });
    errors.push(await errorOf(good.status(id)));
    emu.faults.latencyMs = 600;
    errors.push(await errorOf(good.status(id)));
    emu.faults.latencyMs = 0;
    await good.delete(id);

    const tokens = await issuedTokens(emu);
    const everything = [
      cap.text(),
      ...errors.map((e) => JSON.stringify(e, Object.getOwnPropertyNames(e))),
      ...errors.map((e) => inspect(e, { depth: 10 })),
    ].join('\n');
    expect(cap.lines.length).toBeGreaterThan(10);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(emu.credentials.password);
    for (const t of tokens) expect(everything).not.toContain(t);
    expect(everything).not.toMatch(/gAAAAA/); // the emulator's (Fernet-like) token prefix
    // And every request was logged with method, path, status, duration and request id.
    const logged = cap.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.service === 'compute');
    expect(logged).toMatchObject({ level: 20, method: expect.any(String), path: expect.any(String), status: expect.any(String), durationMs: expect.any(Number), requestId: expect.stringMatching(/^req-/) });
  });
});

/** Tokens the emulator issued for our service account (a fresh one is enough: same format, same logger paths). */
async function issuedTokens(emu: NovaEmulator): Promise<string[]> {
  const c = emu.credentials;
  const res = await fetch(`${emu.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: 'Default' }, password: c.password } } },
        scope: { project: { name: c.projectName, domain: { name: 'Default' } } },
      },
    }),
  });
  return [res.headers.get('x-subject-token') ?? 'missing'];
}
