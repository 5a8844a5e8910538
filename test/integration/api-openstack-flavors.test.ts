/**
 * The openstack flavors API (seed 004): flavors with composed-node capabilities, registered in the
 * compute service (Nova) by the registerOpenstackFlavor flow with their capabilities as extra specs,
 * compensated when a later step fails; registering twice changes nothing; deleting a registered
 * flavor deletes its Nova flavor (deleteOpenstackFlavor flow) and then the row.
 */
import { AmphoraComputeError } from '../../drivers/compute/errors';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { fault } from '../support/fixtures';

const UNKNOWN = '00000000-0000-0000-0000-0000000000c4';
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  jest.restoreAllMocks();
  sys.failingSteps.clear();
});

let names = 0;
const base = () => ({ name: `composed-${++names}`, ram: 4096, vcpus: 4, disk: 40 });

async function create(extra: Record<string, unknown> = {}) {
  const res = await sys.api('POST', '/v1/openstack_flavors', { ...base(), ...extra });
  expect(res.status).toBe(201);
  return res.body as { uuid: string; name: string; status: string; nova_flavor_id: string | null };
}

const show = async (id: string) => (await sys.api('GET', `/v1/openstack_flavors/${id}`)).body;
const settled = (id: string) =>
  eventually(async () => {
    const res = await sys.api('GET', `/v1/openstack_flavors/${id}`);
    if (res.status === 404) return 'GONE';
    return ['REGISTERING', 'DELETING'].includes(res.body.status) ? undefined : res.body.status;
  }, 20000, `openstack flavor ${id} to settle`);

describe('the flavors', () => {
  it('creates a flavor with its capabilities (UNREGISTERED), shows and lists it', async () => {
    const body = {
      name: 'composed-gpu',
      ram: 65536,
      vcpus: 16,
      disk: 200,
      cpu_speed: 2400,
      memory_speed: 2933,
      cpu_arch: 'x86_64',
      properties: { gpu: 'nvidia-a100', 'hw:cpu_policy': 'dedicated', nvme: true, sockets: 2 },
    };
    const res = await sys.api('POST', '/v1/openstack_flavors', body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ...body,
      extra_specs: {
        'capabilities:cpu_arch': 'x86_64',
        'capabilities:cpu_speed': '2400',
        'capabilities:memory_speed': '2933',
        'capabilities:gpu': 'nvidia-a100',
        'hw:cpu_policy': 'dedicated',
        'capabilities:nvme': 'true',
        'capabilities:sockets': '2',
      },
      nova_flavor_id: null,
      status: 'UNREGISTERED',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      updated_at: null,
    });
    expect(await show(res.body.uuid)).toEqual(res.body);
    const list = await sys.api('GET', '/v1/openstack_flavors');
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual(res.body);
    expect((await sys.api('GET', '/v1/openstack_flavors?name=composed-gpu')).body).toEqual([res.body]);
    expect((await sys.api('GET', '/v1/openstack_flavors?status=REGISTERED&name=composed-gpu')).body).toEqual([]);
    expect((await sys.api('GET', '/v1/openstack_flavors?status=NOPE')).body).toEqual([]);
    expect((await sys.api('GET', '/v1/openstack_flavors?name=a%00b')).body).toEqual([]);
    expect(await sys.api('GET', '/v1/openstack_flavors?ram=1')).toMatchObject(fault(400, 'One or more arguments are either duplicate or invalid'));
  });

  it('a flavor with only the basic properties has no extra specs', async () => {
    const f = await sys.api('POST', '/v1/openstack_flavors', { name: 'plain', ram: 512, vcpus: 1, disk: 0 });
    expect(f.body).toMatchObject({ cpu_speed: null, memory_speed: null, cpu_arch: null, properties: {}, extra_specs: {} });
  });

  it.each<[string, Record<string, unknown>, number, string | undefined]>([
    ['no ram', { name: 'x', vcpus: 1, disk: 1 }, 400, "Invalid input for field/attribute ram. Value: 'None'. Mandatory field missing."],
    ['no ram of memory', { name: 'x', ram: 0, vcpus: 1, disk: 1 }, 400, "Invalid input for field/attribute ram. Value: '0'. Value should be greater or equal to 1"],
    ['a negative disk', { name: 'x', ram: 1, vcpus: 1, disk: -1 }, 400, "Invalid input for field/attribute disk. Value: '-1'. Value should be greater or equal to 0"],
    ['vcpus that are not a number', { name: 'x', ram: 1, vcpus: '2', disk: 1 }, 400,
      "Invalid input for field/attribute vcpus. Value: '2'. Wrong type. Expected '<class 'int'>', got '<class 'str'>'"],
    ['an empty name', { name: '', ram: 1, vcpus: 1, disk: 1 }, 400, "Invalid input for field/attribute name. Value: ''. Value should have a minimum character requirement of 1"],
    ['an unknown attribute', { name: 'x', ram: 1, vcpus: 1, disk: 1, swap: 1 }, 400, 'Unknown attribute for argument openstack_flavor: swap'],
    ['a property name Nova refuses', { name: 'x', ram: 1, vcpus: 1, disk: 1, properties: { 'a/b': 'c' } }, 400,
      'Validation failure: Property name a/b is not a valid extra spec key (1-255 letters, digits, spaces and - _ : .).'],
    ['a property that overrides a capability', { name: 'x', ram: 1, vcpus: 1, disk: 1, properties: { cpu_arch: 'arm' } }, 400,
      "Validation failure: Property cpu_arch is set by the flavor's cpu_arch, cpu_speed or memory_speed."],
    ['a property value that is an object', { name: 'x', ram: 1, vcpus: 1, disk: 1, properties: { gpu: { model: 'a' } } }, 400, undefined],
    ['a body that is a list', [1] as unknown as Record<string, unknown>, 400, undefined],
  ])('refuses %s and changes nothing', async (_what, body, status, message) => {
    const before = await sys.db.openstackFlavor.count();
    const res = await sys.api('POST', '/v1/openstack_flavors', body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ faultcode: 'Client', debuginfo: null });
    if (message) expect(res.body.faultstring).toBe(message);
    expect(await sys.db.openstackFlavor.count()).toBe(before);
  });

  it('refuses a duplicate name (409)', async () => {
    const f = await create();
    const before = await sys.db.openstackFlavor.count();
    expect(await sys.api('POST', '/v1/openstack_flavors', { ...base(), name: f.name })).toMatchObject(fault(409, `A openstack flavor of ${f.name} already exists.`));
    expect(await sys.db.openstackFlavor.count()).toBe(before);
  });

  it('unknown flavors are 404s', async () => {
    for (const [method, p] of [
      ['GET', `/v1/openstack_flavors/${UNKNOWN}`],
      ['DELETE', `/v1/openstack_flavors/${UNKNOWN}`],
      ['POST', `/v1/openstack_flavors/${UNKNOWN}/register`],
    ] as const) {
      expect(await sys.api(method, p)).toMatchObject(fault(404, `Openstack flavor ${UNKNOWN} not found.`));
    }
    expect(await sys.api('GET', '/v1/openstack_flavors/not-a-uuid')).toMatchObject(fault(404, 'Openstack flavor not-a-uuid not found.'));
  });
});

describe('register', () => {
  it('creates the Nova flavor with the capabilities as extra specs and records its id (202, then REGISTERED)', async () => {
    const createFlavor = jest.spyOn(sys.compute, 'createFlavor');
    const f = await create({ cpu_arch: 'aarch64', cpu_speed: 3000, properties: { gpu: 'none' } });
    const res = await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(res).toMatchObject({ status: 202, body: { uuid: f.uuid, status: 'REGISTERING', nova_flavor_id: null } });
    expect(await settled(f.uuid)).toBe('REGISTERED');

    expect(createFlavor).toHaveBeenCalledTimes(1);
    expect(createFlavor).toHaveBeenCalledWith({
      name: f.name,
      ram: 4096,
      vcpus: 4,
      disk: 40,
      isPublic: true,
      extraSpecs: { 'capabilities:cpu_arch': 'aarch64', 'capabilities:cpu_speed': '3000', 'capabilities:gpu': 'none' },
    });
    const novaId = await createFlavor.mock.results[0]!.value;
    expect(await show(f.uuid)).toMatchObject({ status: 'REGISTERED', nova_flavor_id: novaId, updated_at: expect.any(String) });
    await sys.temporal.workflow.getHandle(`openstackflavor-${f.uuid}-register`).result();

    // Registering twice changes nothing: 200, same Nova flavor, no second create.
    const again = await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(again).toMatchObject({ status: 200, body: { status: 'REGISTERED', nova_flavor_id: novaId } });
    expect(createFlavor).toHaveBeenCalledTimes(1);
  });

  it('two registrations at once make one Nova flavor', async () => {
    const createFlavor = jest.spyOn(sys.compute, 'createFlavor');
    const f = await create();
    const [a, b] = await Promise.all([
      sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`),
      sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`),
    ]);
    expect([a.status, b.status].sort()).toEqual(expect.arrayContaining([202]));
    for (const r of [a, b]) expect([200, 202]).toContain(r.status);
    expect(await settled(f.uuid)).toBe('REGISTERED');
    expect(createFlavor).toHaveBeenCalledTimes(1);
  });

  it('a step after the create that fails: the half-made Nova flavor is deleted, the flavor is ERROR; registering again works', async () => {
    const createFlavor = jest.spyOn(sys.compute, 'createFlavor');
    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor');
    sys.failingSteps.add('verifyNovaFlavor');
    const f = await create();
    expect((await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`)).status).toBe(202);
    expect(await settled(f.uuid)).toBe('ERROR');
    const novaId = await createFlavor.mock.results[0]!.value;
    expect(deleteFlavor).toHaveBeenCalledWith(novaId);
    expect(await show(f.uuid)).toMatchObject({ status: 'ERROR', nova_flavor_id: null });

    sys.failingSteps.clear();
    // 409 while the failed flow is still finishing (it settled the flavor a moment before it ends).
    await eventually(async () => ((await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`)).status === 202 ? true : undefined));
    expect(await settled(f.uuid)).toBe('REGISTERED');
    expect(createFlavor).toHaveBeenCalledTimes(2);
  });

  it('the last step failing is compensated too', async () => {
    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor');
    sys.failingSteps.add('markOpenstackFlavorRegistered');
    const f = await create();
    await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(await settled(f.uuid)).toBe('ERROR');
    expect(deleteFlavor).toHaveBeenCalledTimes(1);
    expect((await show(f.uuid)).nova_flavor_id).toBeNull();
  });

  it('a create the compute service refuses leaves nothing to undo', async () => {
    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor');
    jest.spyOn(sys.compute, 'createFlavor').mockRejectedValueOnce(new AmphoraComputeError('Flavor name already exists', { retryable: false }));
    const f = await create();
    await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(await settled(f.uuid)).toBe('ERROR');
    expect(deleteFlavor).not.toHaveBeenCalled();
  });

  it('a registration whose flow was lost (REGISTERING, no flow) is resumed by registering again', async () => {
    const f = await create();
    await sys.db.openstackFlavor.update({ where: { id: f.uuid }, data: { status: 'REGISTERING' } });
    expect(await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`)).toMatchObject({ status: 202, body: { status: 'REGISTERING' } });
    expect(await settled(f.uuid)).toBe('REGISTERED');
  });

  it('while it registers, a delete is a 409; while it deletes, a registration is a 409', async () => {
    jest.spyOn(sys.compute, 'createFlavor').mockImplementationOnce(async () => {
      await new Promise((r) => setTimeout(r, 1500));
      return 'slow-nova-flavor';
    });
    const f = await create();
    await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).toMatchObject(fault(409, `Invalid state REGISTERING of openstack flavor resource ${f.uuid}`));
    expect(await settled(f.uuid)).toBe('REGISTERED');

    jest.spyOn(sys.compute, 'deleteFlavor').mockImplementationOnce(async () => {
      await new Promise((r) => setTimeout(r, 1500));
    });
    expect((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(204);
    expect(await show(f.uuid)).toMatchObject({ status: 'DELETING' });
    expect(await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`)).toMatchObject(fault(409, `Invalid state DELETING of openstack flavor resource ${f.uuid}`));
    // Deleting again while it deletes is fine.
    expect((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(204);
    expect(await settled(f.uuid)).toBe('GONE');
  });
});

describe('delete', () => {
  it('a flavor never registered is deleted at once, without a flow', async () => {
    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor');
    const f = await create();
    expect((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(204);
    expect((await sys.api('GET', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(404);
    expect(deleteFlavor).not.toHaveBeenCalled();
    await expect(sys.temporal.workflow.getHandle(`openstackflavor-${f.uuid}-delete`).describe()).rejects.toThrow();
  });

  it('a registered flavor: its Nova flavor is deleted, then the row', async () => {
    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor');
    const f = await create();
    await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(await settled(f.uuid)).toBe('REGISTERED');
    const novaId = (await show(f.uuid)).nova_flavor_id;

    expect((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(204);
    expect(await settled(f.uuid)).toBe('GONE');
    expect(deleteFlavor).toHaveBeenCalledWith(novaId);
    // The flow ends right after its last step.
    await sys.temporal.workflow.getHandle(`openstackflavor-${f.uuid}-delete`).result();
  });

  it('a Nova flavor that cannot be deleted: ERROR, still recorded; deleting again finishes the job', async () => {
    const f = await create();
    await sys.api('POST', `/v1/openstack_flavors/${f.uuid}/register`);
    expect(await settled(f.uuid)).toBe('REGISTERED');
    const novaId = (await show(f.uuid)).nova_flavor_id;

    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor').mockRejectedValueOnce(new AmphoraComputeError('Nova refused', { retryable: false }));
    expect((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(204);
    expect(await settled(f.uuid)).toBe('ERROR');
    expect(await show(f.uuid)).toMatchObject({ status: 'ERROR', nova_flavor_id: novaId });

    // 409 while the failed flow is still finishing.
    await eventually(async () => ((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status === 204 ? true : undefined));
    expect(await settled(f.uuid)).toBe('GONE');
    expect(deleteFlavor).toHaveBeenCalledTimes(2);
    expect(deleteFlavor).toHaveBeenLastCalledWith(novaId);
  });

  it('a delete whose flow was lost (DELETING, no flow) is resumed by deleting again', async () => {
    const f = await create();
    await sys.db.openstackFlavor.update({ where: { id: f.uuid }, data: { status: 'DELETING', novaFlavorId: 'left-over' } });
    const deleteFlavor = jest.spyOn(sys.compute, 'deleteFlavor');
    expect((await sys.api('DELETE', `/v1/openstack_flavors/${f.uuid}`)).status).toBe(204);
    expect(await settled(f.uuid)).toBe('GONE');
    expect(deleteFlavor).toHaveBeenCalledWith('left-over');
  });
});
