/**
 * Availability zone profiles and availability zones (Octavia api-ref): CRUD, validation of the
 * amphora provider's metadata, the in-use rules, a load balancer's availability_zone (must exist and
 * be enabled) and where its amphorae are built (the profile's compute_zone). Every refused request
 * changes nothing.
 */
import { ComputeValidationError } from '../../drivers/compute/errors';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { fault, VIP_SUBNET } from '../support/fixtures';

const UNKNOWN = '00000000-0000-0000-0000-0000000000a2';
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  jest.restoreAllMocks();
});

const counts = async () => ({
  profiles: await sys.db.availabilityZoneProfile.count(),
  zones: await sys.db.availabilityZone.count(),
  lbs: await sys.db.loadBalancer.count(),
});

async function createProfile(data: Record<string, unknown>, name = 'azp') {
  const res = await sys.api('POST', '/v2/lbaas/availabilityzoneprofiles', {
    availability_zone_profile: { name, provider_name: 'amphora', availability_zone_data: JSON.stringify(data) },
  });
  expect(res.status).toBe(201);
  return res.body.availability_zone_profile as { id: string; name: string; provider_name: string; availability_zone_data: string };
}

async function createZone(name: string, profileId: string, extra: Record<string, unknown> = {}) {
  const res = await sys.api('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name, availability_zone_profile_id: profileId, ...extra } });
  expect(res.status).toBe(201);
  return res.body.availability_zone as { name: string; description: string; enabled: boolean; availability_zone_profile_id: string };
}

const lbStatus = async (id: string) => (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body?.loadbalancer?.provisioning_status;
const waitFor = (id: string, status: string) =>
  eventually(async () => ((await lbStatus(id)) === status ? true : undefined), 20000, `load balancer ${id} ${status}`);

describe('availability zone profiles', () => {
  it('creates, shows, lists, filters and selects fields', async () => {
    const data = '{"compute_zone": "az-east", "volume_zone": "vol-east", "management_network": "net", "valid_vip_networks": ["a", "b"]}';
    const res = await sys.api('POST', '/v2/lbaas/availabilityzoneprofiles', {
      availability_zone_profile: { name: 'east', provider_name: 'amphora', availability_zone_data: data },
    });
    expect(res.status).toBe(201);
    const p = res.body.availability_zone_profile;
    expect(p).toEqual({ id: expect.any(String), name: 'east', provider_name: 'amphora', availability_zone_data: data });
    expect((await sys.api('GET', `/v2/lbaas/availabilityzoneprofiles/${p.id}`)).body).toEqual({ availability_zone_profile: p });
    expect((await sys.api('GET', '/v2/lbaas/availabilityzoneprofiles?name=east')).body).toEqual({
      availability_zone_profiles: [p],
      availability_zone_profile_links: [],
    });
    expect((await sys.api('GET', `/v2/lbaas/availabilityzoneprofiles/${p.id}?fields=name`)).body).toEqual({ availability_zone_profile: { name: 'east' } });
    expect(await sys.api('GET', `/v2/lbaas/availabilityzoneprofiles/${UNKNOWN}`)).toMatchObject(fault(404, `Availability Zone Profile ${UNKNOWN} not found.`));
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ['no name', { provider_name: 'amphora', availability_zone_data: '{}' }, 400,
      "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."],
    ['no data', { name: 'x', provider_name: 'amphora' }, 400,
      "Invalid input for field/attribute availability_zone_data. Value: 'None'. Mandatory field missing."],
    ['an unknown attribute', { name: 'x', provider_name: 'amphora', availability_zone_data: '{}', zone: 'x' }, 400,
      'Unknown attribute for argument availability_zone_profile_.availability_zone_profile: zone'],
    ['data that is not JSON', { name: 'x', provider_name: 'amphora', availability_zone_data: 'nope' }, 400,
      'nope is not a valid option for availability_zone_data'],
    ['an unknown provider', { name: 'x', provider_name: 'ovn', availability_zone_data: '{}' }, 400, "Provider 'ovn' is not enabled."],
    ['an unknown key', { name: 'x', provider_name: 'amphora', availability_zone_data: '{"compute_flavor": "x"}' }, 501,
      "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('compute_flavor' was unexpected)"],
    ['a compute zone that is not a string', { name: 'x', provider_name: 'amphora', availability_zone_data: '{"compute_zone": true}' }, 501,
      "Provider 'amphora' does not support a requested option: compute_zone True is not of type 'string'"],
    ['VIP networks that are not a list', { name: 'x', provider_name: 'amphora', availability_zone_data: '{"valid_vip_networks": "a"}' }, 501,
      "Provider 'amphora' does not support a requested option: valid_vip_networks 'a' is not of type 'array'"],
  ])('refuses %s and changes nothing', async (_what, profile, status, message) => {
    const before = await counts();
    expect(await sys.api('POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: profile })).toMatchObject(fault(status, message));
    expect(await counts()).toEqual(before);
  });

  it('asks the compute service whether the compute zone exists', async () => {
    const before = await counts();
    const spy = jest.spyOn(sys.compute, 'validateAvailabilityZone').mockRejectedValueOnce(new ComputeValidationError('The compute availability zone mars does not exist.'));
    const res = await sys.api('POST', '/v2/lbaas/availabilityzoneprofiles', {
      availability_zone_profile: { name: 'x', provider_name: 'amphora', availability_zone_data: '{"compute_zone": "mars"}' },
    });
    expect(res).toMatchObject(fault(400, 'Validation failure: The compute availability zone mars does not exist.'));
    expect(spy).toHaveBeenCalledWith('mars');
    expect(await counts()).toEqual(before);
  });

  it('updates a profile; while a zone uses it only its name; deletes it once unused', async () => {
    const p = await createProfile({ compute_zone: 'z1' }, 'upd');
    expect(await sys.api('PUT', `/v2/lbaas/availabilityzoneprofiles/${p.id}`, { availability_zone_profile: { availability_zone_data: '{"compute_zone": "z2"}' } })).toMatchObject({
      status: 200,
      body: { availability_zone_profile: { availability_zone_data: '{"compute_zone": "z2"}' } },
    });
    expect(await sys.api('PUT', `/v2/lbaas/availabilityzoneprofiles/${p.id}`, { availability_zone_profile: { provider_name: null } })).toMatchObject(
      fault(400, 'None is not a valid option for provider_name'),
    );
    await createZone('zone-upd', p.id);
    const inUse = fault(409, `Availability Zone Profile ${p.id} is in use and cannot be modified.`);
    expect(await sys.api('PUT', `/v2/lbaas/availabilityzoneprofiles/${p.id}`, { availability_zone_profile: { availability_zone_data: '{}' } })).toMatchObject(inUse);
    expect(await sys.api('PUT', `/v2/lbaas/availabilityzoneprofiles/${p.id}`, { availability_zone_profile: { name: 'renamed' } })).toMatchObject({ status: 200 });
    expect(await sys.api('DELETE', `/v2/lbaas/availabilityzoneprofiles/${p.id}`)).toMatchObject(inUse);
    expect((await sys.db.availabilityZoneProfile.findUniqueOrThrow({ where: { id: p.id } })).availabilityZoneData).toBe('{"compute_zone": "z2"}');

    expect((await sys.api('DELETE', '/v2/lbaas/availabilityzones/zone-upd')).status).toBe(204);
    expect((await sys.api('DELETE', `/v2/lbaas/availabilityzoneprofiles/${p.id}`)).status).toBe(204);
    expect(await sys.api('DELETE', `/v2/lbaas/availabilityzoneprofiles/${p.id}`)).toMatchObject(fault(404, `Availability Zone Profile ${p.id} not found.`));
  });
});

describe('availability zones', () => {
  let profileId: string;
  beforeAll(async () => {
    profileId = (await createProfile({ compute_zone: 'nova-east' }, 'for-zones')).id;
  });

  it('creates, shows, lists (by name), filters, pages and selects fields', async () => {
    const res = await sys.api('POST', '/v2/lbaas/availabilityzones', {
      availability_zone: { name: 'east-1', description: 'east', availability_zone_profile_id: profileId },
    });
    expect(res).toMatchObject({ status: 201 });
    const east = res.body.availability_zone;
    expect(east).toEqual({ name: 'east-1', description: 'east', enabled: true, availability_zone_profile_id: profileId });
    const west = await createZone('west-1', profileId, { enabled: false });
    expect(west).toEqual({ name: 'west-1', description: '', enabled: false, availability_zone_profile_id: profileId });

    expect((await sys.api('GET', '/v2/lbaas/availabilityzones/east-1')).body).toEqual({ availability_zone: east });
    expect((await sys.api('GET', '/v2/lbaas/availabilityzones?name=west-1')).body).toEqual({ availability_zones: [west], availability_zones_links: [] });
    expect((await sys.api('GET', '/v2/lbaas/availabilityzones?enabled=true&fields=name')).body.availability_zones).toContainEqual({ name: 'east-1' });
    const page = await sys.api('GET', '/v2/lbaas/availabilityzones?limit=1');
    expect(page.body.availability_zones).toEqual([east]);
    expect(page.body.availability_zones_links).toEqual([{ href: expect.stringContaining('marker=east-1'), rel: 'next' }]);
    expect((await sys.api('GET', '/v2/lbaas/availabilityzones?limit=1&marker=east-1')).body.availability_zones).toEqual([west]);
    expect((await sys.api('GET', '/v2/lbaas/availabilityzones?marker=nowhere')).status).toBe(400);
    expect(await sys.api('GET', '/v2/lbaas/availabilityzones/nowhere')).toMatchObject(fault(404, 'Availability Zone nowhere not found.'));
    expect(await sys.api('GET', '/v2/lbaas/availabilityzones/a%00b')).toMatchObject(fault(404, 'Availability Zone a\u0000b not found.'));
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ['a duplicate name', { name: 'east-1', availability_zone_profile_id: 'PROFILE' }, 409, 'A availability zone of east-1 already exists.'],
    ['an unknown profile', { name: 'north-1', availability_zone_profile_id: UNKNOWN }, 400, `${UNKNOWN} is not a valid option for availability_zone_profile_id`],
    ['no profile', { name: 'north-1' }, 400, "Invalid input for field/attribute availability_zone_profile_id. Value: 'None'. Mandatory field missing."],
    ['a long name', { name: 'n'.repeat(256), availability_zone_profile_id: 'PROFILE' }, 400,
      `Invalid input for field/attribute name. Value: '${'n'.repeat(256)}'. Value should have a maximum character requirement of 255`],
  ])('refuses %s and changes nothing', async (_what, zone, status, message) => {
    const before = await counts();
    const body = JSON.parse(JSON.stringify({ availability_zone: zone }).replace('PROFILE', profileId));
    expect(await sys.api('POST', '/v2/lbaas/availabilityzones', body)).toMatchObject(fault(status, message));
    expect(await counts()).toEqual(before);
  });

  it('updates description and enabled, not the name or the profile', async () => {
    await createZone('south-1', profileId);
    expect(await sys.api('PUT', '/v2/lbaas/availabilityzones/south-1', { availability_zone: { description: 'warm', enabled: false } })).toMatchObject({
      status: 200,
      body: { availability_zone: { name: 'south-1', description: 'warm', enabled: false, availability_zone_profile_id: profileId } },
    });
    expect(await sys.api('PUT', '/v2/lbaas/availabilityzones/south-1', { availability_zone: { name: 'x' } })).toMatchObject(
      fault(400, 'Unknown attribute for argument availability_zone_.availability_zone: name'),
    );
    expect(await sys.api('PUT', '/v2/lbaas/availabilityzones/nowhere', { availability_zone: { enabled: true } })).toMatchObject(
      fault(404, 'Availability Zone nowhere not found.'),
    );
  });
});

describe('load balancers in an availability zone', () => {
  const post = (extra: Record<string, unknown>) => sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, ...extra } });

  it('builds the amphorae in the profile\'s compute zone', async () => {
    const p = await createProfile({ compute_zone: 'rack-7' }, 'rack');
    await createZone('lb-zone', p.id);
    const res = await post({ availability_zone: 'lb-zone' });
    expect(res).toMatchObject({ status: 201, body: { loadbalancer: { availability_zone: 'lb-zone' } } });
    await waitFor(res.body.loadbalancer.id, 'ACTIVE');
    const [amphora] = await sys.db.amphora.findMany({ where: { loadBalancerId: res.body.loadbalancer.id } });
    const instance = (await sys.compute.liveInstances()).find((i) => i.id === amphora?.computeId);
    expect(instance?.availabilityZone).toBe('rack-7');
    expect(amphora?.cachedZone).toBe('rack-7');
  });

  it('a zone without compute_zone builds where the compute service chooses', async () => {
    const p = await createProfile({}, 'anywhere');
    await createZone('any-zone', p.id);
    const res = await post({ availability_zone: 'any-zone' });
    await waitFor(res.body.loadbalancer.id, 'ACTIVE');
    const [amphora] = await sys.db.amphora.findMany({ where: { loadBalancerId: res.body.loadbalancer.id } });
    expect(amphora?.cachedZone).toBe('nova'); // the no-op compute service's default zone
  });

  it('refuses an unknown or disabled zone and changes nothing', async () => {
    const p = await createProfile({}, 'off');
    await createZone('off-zone', p.id, { enabled: false });
    const before = await counts();
    expect(await post({ availability_zone: 'no-such-zone' })).toMatchObject(fault(400, 'Validation failure: Invalid availability zone.'));
    expect(await post({ availability_zone: 'off-zone' })).toMatchObject(fault(400, 'The selected availability_zone is not allowed in this deployment: off-zone'));
    expect(await counts()).toEqual(before);
  });

  it('a zone in use cannot be deleted; once its load balancers are deleted it can', async () => {
    const p = await createProfile({}, 'busy');
    await createZone('busy-zone', p.id);
    const lb = (await post({ availability_zone: 'busy-zone' })).body.loadbalancer;
    await waitFor(lb.id, 'ACTIVE');
    expect(await sys.api('DELETE', '/v2/lbaas/availabilityzones/busy-zone')).toMatchObject(fault(409, 'Availability Zone busy-zone is in use and cannot be modified.'));
    expect(await sys.db.availabilityZone.count({ where: { name: 'busy-zone' } })).toBe(1);
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status).toBe(204);
    await eventually(async () => ((await sys.api('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).status === 404 ? true : undefined), 20000);
    expect((await sys.api('DELETE', '/v2/lbaas/availabilityzones/busy-zone')).status).toBe(204);
    expect(await sys.api('DELETE', '/v2/lbaas/availabilityzones/busy-zone')).toMatchObject(fault(404, 'Availability Zone busy-zone not found.'));
  });

  it('a zone deleted just before the load balancer row is written: 400, nothing written', async () => {
    const p = await createProfile({}, 'vanishing');
    await createZone('vanishing-zone', p.id);
    const before = await counts();
    let create: ReturnType<TestSystem['api']> | undefined;
    await sys.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT name FROM availability_zone WHERE name = 'vanishing-zone' FOR UPDATE`;
        create = post({ availability_zone: 'vanishing-zone' });
        await new Promise((r) => setTimeout(r, 500));
        await tx.availabilityZone.delete({ where: { name: 'vanishing-zone' } });
      },
      { timeout: 10000 },
    );
    expect(await create).toMatchObject(fault(400, 'Validation failure: Invalid availability zone.'));
    expect(await counts()).toEqual({ ...before, zones: before.zones - 1 });
  });
});
