/**
 * The local compute driver against the real thing: Debian's octavia-agent (Octavia 11, unmodified)
 * booted as an amphora in namespaces of its own, with a real config drive (an amphora-agent.conf with
 * Octavia's keys, certificates from drivers/certificates), answering over mutual TLS, heartbeating to
 * the controller address; then deleted, and checked gone from the kernel's point of view (network
 * namespaces, veths, mounts, processes) and from the disk. Needs root (skipped with one line without).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { type BuildRequest, ComputeStatus, InstanceNotFoundError } from '../../drivers/compute';
import { amphoraNetns } from '../../drivers/compute/local';
import { linkNames, netnsExists } from '../../drivers/network/local/ip';
import {
  bootAmphora,
  callAgent,
  configDrive,
  describeAsRoot,
  hostSysctls,
  makeLocalCloud,
  processesSharingNamespace,
  until,
  type LocalCloud,
} from '../support/local-cloud';

const HEARTBEAT_KEY = 'local-compute-test-key';
const BOOT_TIMEOUT_MS = 60_000;

/** Octavia's heartbeat envelope: zlib(JSON) + 64 hex chars of HMAC-SHA256 over the compressed bytes. */
function openHeartbeat(packet: Buffer): { id: string; seq: number; ver: number } {
  const body = packet.subarray(0, packet.length - 64);
  const mac = packet.subarray(packet.length - 64).toString('ascii');
  expect(mac).toBe(createHmac('sha256', HEARTBEAT_KEY).update(body).digest('hex'));
  return JSON.parse(inflateSync(body).toString('utf8'));
}

describeAsRoot('local compute driver (real octavia-agent)', () => {
  let cloud: LocalCloud;
  let heartbeats: Socket;
  const received: Array<{ from: string; packet: Buffer }> = [];
  let sysctlsBefore: Record<string, string>;

  const amphoraId = randomUUID();
  const name = `amphora-${amphoraId}`;
  let computeId: string;
  let lbNetworkIp: string;
  let bootMs: number;

  beforeAll(async () => {
    sysctlsBefore = await hostSysctls();
    cloud = await makeLocalCloud(1);
    await cloud.compute.ensureMgmtNetwork();
    heartbeats = createSocket('udp4');
    heartbeats.on('message', (packet, rinfo) => received.push({ from: rinfo.address, packet }));
    await new Promise<void>((resolve) => heartbeats.bind(0, cloud.compute.controllerIp, resolve));
  });

  afterAll(async () => {
    heartbeats?.close();
    await cloud?.destroy();
  });

  it('builds at once (BUILD), then is ACTIVE when the agent answers GET /1.0/info over mutual TLS', async () => {
    const files = await configDrive(cloud, amphoraId, { heartbeatPort: heartbeats.address().port, heartbeatKey: HEARTBEAT_KEY });
    const started = Date.now();
    computeId = await cloud.compute.build({ name, flavorId: 'amphora-flavor', imageId: 'amphora-image', configDriveFiles: files });
    const buildMs = Date.now() - started;
    expect(await cloud.compute.status(computeId)).toBe(ComputeStatus.BUILD);
    expect(buildMs).toBeLessThan(5000);

    await until(async () => (await cloud.compute.status(computeId)) === ComputeStatus.ACTIVE, BOOT_TIMEOUT_MS, 'ACTIVE');
    bootMs = Date.now() - started;
    const inst = await cloud.compute.getAmphora({ id: computeId });
    expect(inst).toMatchObject({ id: computeId, name, status: ComputeStatus.ACTIVE, imageId: 'amphora-image', flavorId: 'amphora-flavor', availabilityZone: 'local' });
    lbNetworkIp = inst.lbNetworkIp as string;
    expect(lbNetworkIp).toMatch(/^169\.254\.151\.\d+$/);
    expect(await cloud.compute.getAmphora({ name })).toEqual(inst);

    const info = await callAgent(cloud, { ip: lbNetworkIp, amphoraId }, 'GET', '/1.0/info');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ hostname: name, api_version: '1.0', haproxy_version: expect.stringMatching(/^2\.\d+/) });
    // The agent's certificate is the config drive's: it is valid for this amphora id only.
    await expect(callAgent(cloud, { ip: lbNetworkIp, amphoraId: randomUUID() }, 'GET', '/1.0/info')).rejects.toThrow(/altnames|Hostname/i);
    // eslint-disable-next-line no-console
    console.log(`local amphora: build returned in ${buildMs} ms; launch -> agent answering in ${bootMs} ms`);
  });

  it('heartbeats to the controller address, from its management address, signed with the configured key', async () => {
    const beat = await until(async () => received.find((r) => r.from === lbNetworkIp), 10_000, 'a heartbeat');
    expect(openHeartbeat(beat.packet)).toMatchObject({ id: amphoraId, ver: 3, seq: expect.any(Number) });
  });

  it('looks like a VM to the agent: PID 1 named systemd, own host name, private /etc/octavia, host-wide sysctls untouched', async () => {
    const init = (await readFile(path.join(cloud.compute.instanceDir(computeId), 'init.pid'), 'utf8')).split(' ')[0];
    expect((await readFile(`/proc/${init}/comm`, 'utf8')).trim()).toBe('systemd');
    // Its own PID, mount and UTS namespaces (not the host's).
    for (const kind of ['pid', 'mnt', 'uts', 'net']) {
      expect(await readlink(`/proc/${init}/ns/${kind}`)).not.toBe(await readlink(`/proc/self/ns/${kind}`));
    }
    // The config drive went to the amphora's /etc/octavia, not the host's.
    expect(existsSync('/etc/octavia/amphora-agent.conf')).toBe(false);
    const conf = await readFile(path.join(cloud.compute.instanceDir(computeId), 'root/etc-octavia/amphora-agent.conf'), 'utf8');
    expect(conf).toContain(`amphora_id = ${amphoraId}`);
    // The agent wrote its own files into its private /etc/octavia and /var/lib/octavia.
    expect(existsSync(path.join(cloud.compute.instanceDir(computeId), 'root/etc-octavia/interfaces/lo.json'))).toBe(true);
    const userGroup = await readFile(path.join(cloud.compute.instanceDir(computeId), 'root/var-lib-octavia/haproxy-default-user-group.conf'), 'utf8');
    expect(userGroup).toMatch(/no strict-limits/);
    expect(await readFile('/var/lib/octavia/haproxy-default-user-group.conf', 'utf8')).not.toMatch(/strict-limits/);
    expect(await hostSysctls()).toEqual(sysctlsBefore);
  });

  it('is idempotent by name: a retried build returns the same instance, with one PID 1', async () => {
    const initBefore = await readFile(path.join(cloud.compute.instanceDir(computeId), 'init.pid'), 'utf8');
    expect(await cloud.compute.build({ name, flavorId: 'amphora-flavor', imageId: 'amphora-image' })).toBe(computeId);
    expect(await readFile(path.join(cloud.compute.instanceDir(computeId), 'init.pid'), 'utf8')).toBe(initBefore);
    expect((await cloud.compute.liveInstances()).map((i) => i.id)).toEqual([computeId]);
  });

  it('is found again, ACTIVE, by a restarted controller (a new driver on the same state dir)', async () => {
    const restarted = await makeLocalCloud(1, cloud.stateDir);
    const inst = await restarted.compute.getAmphora({ name });
    expect(inst).toMatchObject({ id: computeId, status: ComputeStatus.ACTIVE, lbNetworkIp });
    const info = await callAgent(restarted, { ip: lbNetworkIp, amphoraId }, 'GET', '/1.0/info');
    expect(info.status).toBe(200);
  });

  it('is ERROR when the amphora dies, and a second amphora runs beside the first meanwhile', async () => {
    const other = randomUUID();
    const { computeId: otherId } = await bootAmphora(cloud, other, { heartbeatPort: heartbeats.address().port, heartbeatKey: HEARTBEAT_KEY });
    const others = await cloud.compute.getAmphora({ id: otherId });
    expect(others.lbNetworkIp).not.toBe(lbNetworkIp);
    const init = Number((await readFile(path.join(cloud.compute.instanceDir(otherId), 'init.pid'), 'utf8')).split(' ')[0]);
    // Its mount namespace began as a copy of the host's, which mounts the first amphora's netns: it
    // dropped that copy, which would otherwise keep the first's namespace alive after its delete.
    expect(await readFile('/proc/self/mountinfo', 'utf8')).toContain(amphoraNetns(computeId));
    expect(await readFile(`/proc/${init}/mountinfo`, 'utf8')).not.toContain(amphoraNetns(computeId));
    process.kill(init, 'SIGKILL');
    await until(async () => (await cloud.compute.status(otherId)) === ComputeStatus.ERROR, 10_000, 'ERROR');
    expect((await cloud.compute.getAmphora({ id: otherId })).fault).toMatch(/PID 1 is gone/);
    // The first one is untouched.
    expect(await cloud.compute.status(computeId)).toBe(ComputeStatus.ACTIVE);
    await cloud.compute.delete(otherId);
    expect(netnsExists(amphoraNetns(otherId))).toBe(false);
  });

  it('deletes: stops it and leaves no namespace, veth, mount, process or file of it; deleting again is fine', async () => {
    const dir = cloud.compute.instanceDir(computeId);
    const init = (await readFile(path.join(dir, 'init.pid'), 'utf8')).split(' ')[0];
    const pidNs = await readlink(`/proc/${init}/ns/pid`);
    const mntNs = await readlink(`/proc/${init}/ns/mnt`);
    const netNs = await readlink(`/proc/${init}/ns/net`);
    const index = Number((lbNetworkIp.split('.')[3] as string)) - 1;
    const mgmtNetns = 'octavia-test1-mgmt';
    // What the checks below look for is there before the delete (so they can fail).
    expect((await processesSharingNamespace('pid', pidNs)).length).toBeGreaterThanOrEqual(3); // PID 1, gunicorn master and worker, ...
    expect(netnsExists(amphoraNetns(computeId))).toBe(true);
    expect(await linkNames(mgmtNetns)).toContain(`amp${index}`);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).toContain(amphoraNetns(computeId));

    const started = Date.now();
    await cloud.compute.delete(computeId);
    const deleteMs = Date.now() - started;
    // eslint-disable-next-line no-console
    console.log(`local amphora: delete took ${deleteMs} ms`);

    expect(await processesSharingNamespace('pid', pidNs)).toEqual([]);
    expect(await processesSharingNamespace('mnt', mntNs)).toEqual([]);
    expect(await processesSharingNamespace('net', netNs)).toEqual([]);
    expect(netnsExists(amphoraNetns(computeId))).toBe(false);
    expect(await linkNames(mgmtNetns)).not.toContain(`amp${index}`);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(computeId);
    expect(existsSync(dir)).toBe(false);
    expect(await readFile(path.join(cloud.stateDir, 'compute.json'), 'utf8')).not.toContain(computeId);
    await expect(cloud.compute.status(computeId)).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(cloud.compute.getAmphora({ name })).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(cloud.compute.delete(computeId)).resolves.toBeUndefined();
    expect(await hostSysctls()).toEqual(sysctlsBefore);
  });

  it('refuses what does not exist here: an unknown flavor, image or zone, config drive files outside /etc/octavia', async () => {
    const refused: Array<Partial<BuildRequest>> = [
      { flavorId: 'no-such-flavor' },
      { imageId: 'no-such-image' },
      { availabilityZone: 'nova' },
      { configDriveFiles: { '/etc/passwd': 'x' } },
      { configDriveFiles: { '/etc/octavia/../passwd': 'x' } },
    ];
    for (const bad of refused) {
      const err = await cloud.compute.build({ name: `amphora-${randomUUID()}`, ...bad }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ name: 'AmphoraBuildError', retryable: false });
    }
    expect(await cloud.compute.liveInstances()).toEqual([]);
  });
});
