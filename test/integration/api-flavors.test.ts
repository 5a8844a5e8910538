/**
 * Flavor profiles and flavors (Octavia api-ref: Flavors, Flavor Profiles): CRUD, Octavia's
 * validation of the amphora provider's flavor metadata, the in-use rules, and what a flavor does to a
 * load balancer (its provider, its topology, its amphorae's compute flavor). Every refused request
 * changes nothing.
 */
import { ComputeValidationError, AmphoraComputeError } from '../../drivers/compute/errors';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { fault, VIP_SUBNET } from '../support/fixtures';

const UNKNOWN = '00000000-0000-0000-0000-0000000000f1';
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
  profiles: await sys.db.flavorProfile.count(),
  flavors: await sys.db.flavor.count(),
  lbs: await sys.db.loadBalancer.count(),
});

async function createProfile(flavorData: Record<string, unknown> | string, name = 'profile', provider = 'amphora') {
  const res = await sys.api('POST', '/v2/lbaas/flavorprofiles', {
    flavorprofile: { name, provider_name: provider, flavor_data: typeof flavorData === 'string' ? flavorData : JSON.stringify(flavorData) },
  });
  expect(res.status).toBe(201);
  return res.body.flavorprofile as { id: string; name: string; provider_name: string; flavor_data: string };
}

let flavorNames = 0;
async function createFlavor(profileId: string, extra: Record<string, unknown> = {}) {
  const res = await sys.api('POST', '/v2/lbaas/flavors', { flavor: { name: `flavor-${++flavorNames}`, flavor_profile_id: profileId, ...extra } });
  expect(res.status).toBe(201);
  return res.body.flavor as { id: string; name: string; enabled: boolean; flavor_profile_id: string; description: string };
}

const lbStatus = async (id: string) => (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body?.loadbalancer?.provisioning_status;
const waitFor = (id: string, status: string) =>
  eventually(async () => ((await lbStatus(id)) === status ? true : undefined), 20000, `load balancer ${id} ${status}`);

describe('flavor profiles', () => {
  it('creates, shows, lists, filters, pages and selects fields', async () => {
    const data = '{"loadbalancer_topology": "SINGLE", "compute_flavor": "m1.small", "amp_image_tag": "amphora", "sriov_vip": false}';
    const res = await sys.api('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'fp-list-1', provider_name: 'amphora', flavor_data: data } });
    expect(res.status).toBe(201);
    const fp = res.body.flavorprofile;
    expect(fp).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'fp-list-1', provider_name: 'amphora', flavor_data: data });
    const second = await createProfile({}, 'fp-list-2', 'octavia');

    expect((await sys.api('GET', `/v2/lbaas/flavorprofiles/${fp.id}`)).body).toEqual({ flavorprofile: fp });
    expect((await sys.api('GET', `/v2.0/lbaas/flavorprofiles/${fp.id}?fields=id&fields=provider_name`)).body).toEqual({
      flavorprofile: { id: fp.id, provider_name: 'amphora' },
    });
    const byName = await sys.api('GET', '/v2/lbaas/flavorprofiles?name=fp-list-2');
    expect(byName.body).toEqual({ flavorprofiles: [second], flavorprofile_links: [] });
    expect((await sys.api('GET', `/v2/lbaas/flavorprofiles?id=${fp.id}&fields=name`)).body.flavorprofiles).toEqual([{ name: 'fp-list-1' }]);

    const all = (await sys.api('GET', '/v2/lbaas/flavorprofiles')).body.flavorprofiles.map((p: { id: string }) => p.id);
    const page = await sys.api('GET', '/v2/lbaas/flavorprofiles?limit=1');
    expect(page.body.flavorprofiles.map((p: { id: string }) => p.id)).toEqual([all[0]]);
    expect(page.body.flavorprofile_links).toEqual([{ href: expect.stringContaining(`marker=${all[0]}`), rel: 'next' }]);
    const next = await sys.api('GET', `/v2/lbaas/flavorprofiles?limit=1&marker=${all[0]}`);
    expect(next.body.flavorprofiles.map((p: { id: string }) => p.id)).toEqual([all[1]]);
    expect((await sys.api('GET', '/v2/lbaas/flavorprofiles?sort=name:desc')).body.flavorprofiles.map((p: { name: string }) => p.name)).toEqual(
      [...(await sys.db.flavorProfile.findMany({ orderBy: [{ name: 'desc' }, { id: 'desc' }] }))].map((p) => p.name),
    );
  });

  it.each<[string, unknown, number, string]>([
    ['no name', { flavorprofile: { provider_name: 'amphora', flavor_data: '{}' } }, 400,
      "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."],
    ['no provider', { flavorprofile: { name: 'x', flavor_data: '{}' } }, 400,
      "Invalid input for field/attribute provider_name. Value: 'None'. Mandatory field missing."],
    ['no flavor data', { flavorprofile: { name: 'x', provider_name: 'amphora' } }, 400,
      "Invalid input for field/attribute flavor_data. Value: 'None'. Mandatory field missing."],
    ['an unknown attribute', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{}', bogus: 1 } }, 400,
      'Unknown attribute for argument flavor_profile_.flavorprofile: bogus'],
    ['a name too long', { flavorprofile: { name: 'n'.repeat(256), provider_name: 'amphora', flavor_data: '{}' } }, 400,
      `Invalid input for field/attribute name. Value: '${'n'.repeat(256)}'. Value should have a maximum character requirement of 255`],
    ['flavor data too long', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: 'n'.repeat(4097) } }, 400,
      `Invalid input for field/attribute flavor_data. Value: '${'n'.repeat(4097)}'. Value should have a maximum character requirement of 4096`],
    ['flavor data that is not JSON', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{hello: "world"}' } }, 400,
      '{hello: "world"} is not a valid option for flavor_data'],
    ['an unknown provider', { flavorprofile: { name: 'x', provider_name: 'f5', flavor_data: '{}' } }, 400, "Provider 'f5' is not enabled."],
    ['an unknown capability', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{"foo": 1}' } }, 501,
      "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('foo' was unexpected)"],
    ['two unknown capabilities', { flavorprofile: { name: 'x', provider_name: 'octavia', flavor_data: '{"foo": 1, "bar": 2}' } }, 501,
      "Provider 'octavia' does not support a requested option: Additional properties are not allowed ('foo', 'bar' were unexpected)"],
    ['an unknown topology', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "TRIPLE"}' } }, 501,
      "Provider 'amphora' does not support a requested option: loadbalancer_topology 'TRIPLE' is not one of ['ACTIVE_STANDBY', 'SINGLE']"],
    ['a compute flavor that is not a string', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{"compute_flavor": 5}' } }, 501,
      "Provider 'amphora' does not support a requested option: compute_flavor 5 is not of type 'string'"],
    ['sriov_vip that is not a boolean', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{"sriov_vip": "yes"}' } }, 501,
      "Provider 'amphora' does not support a requested option: sriov_vip 'yes' is not of type 'boolean'"],
    ['flavor data that is not an object', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '[]' } }, 501,
      "Provider 'amphora' does not support a requested option: [] is not of type 'object'"],
    ['a NUL character', { flavorprofile: { name: 'a\u0000b', provider_name: 'amphora', flavor_data: '{}' } }, 400,
      "Invalid input for field/attribute name. Value: 'a\\x00b'. Value must not contain NUL characters"],
  ])('refuses %s and changes nothing', async (_what, body, status, message) => {
    const before = await counts();
    expect(await sys.api('POST', '/v2/lbaas/flavorprofiles', body)).toMatchObject(fault(status, message));
    expect(await counts()).toEqual(before);
  });

  it('asks the compute service whether the compute flavor exists', async () => {
    const before = await counts();
    const validate = jest.spyOn(sys.compute, 'validateFlavor').mockRejectedValueOnce(new ComputeValidationError('The compute flavor m1.nope does not exist.'));
    const body = { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{"compute_flavor": "m1.nope"}' } };
    expect(await sys.api('POST', '/v2/lbaas/flavorprofiles', body)).toMatchObject(fault(400, 'Validation failure: The compute flavor m1.nope does not exist.'));
    expect(validate).toHaveBeenCalledWith('m1.nope');
    // A compute service that does not answer is a 503, not a 500.
    validate.mockRejectedValueOnce(new AmphoraComputeError('Nova is down'));
    const down = await sys.api('POST', '/v2/lbaas/flavorprofiles', body);
    expect(down.status).toBe(503);
    expect(down.body.faultcode).toBe('Server');
    expect(await counts()).toEqual(before);
  });

  it('updates a profile; its metadata and provider are frozen while a flavor uses it, its name is not', async () => {
    const fp = await createProfile({ loadbalancer_topology: 'SINGLE' }, 'fp-update');
    const renamed = await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { name: 'fp-renamed', flavor_data: '{"compute_flavor": "m1.large"}' } });
    expect(renamed).toMatchObject({ status: 200, body: { flavorprofile: { id: fp.id, name: 'fp-renamed', provider_name: 'amphora', flavor_data: '{"compute_flavor": "m1.large"}' } } });

    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { name: null } })).toMatchObject(fault(400, 'None is not a valid option for name'));
    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { flavor_data: '{"x": 1}' } })).toMatchObject({ status: 501 });
    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { provider_name: 'f5' } })).toMatchObject(fault(400, "Provider 'f5' is not enabled."));
    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${UNKNOWN}`, { flavorprofile: { name: 'x' } })).toMatchObject(fault(404, `Flavor Profile ${UNKNOWN} not found.`));

    await createFlavor(fp.id);
    const inUse = fault(409, `Flavor profile ${fp.id} is in use and cannot be modified.`);
    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { flavor_data: '{}' } })).toMatchObject(inUse);
    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { provider_name: 'octavia' } })).toMatchObject(inUse);
    expect(await sys.api('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { name: 'still-renamable' } })).toMatchObject({ status: 200 });
    expect(await sys.db.flavorProfile.findUnique({ where: { id: fp.id } })).toMatchObject({
      name: 'still-renamable',
      providerName: 'amphora',
      flavorData: '{"compute_flavor": "m1.large"}',
    });
  });

  it('deletes a profile no flavor uses; one in use is a 409', async () => {
    const fp = await createProfile({}, 'fp-delete');
    const flavor = await createFlavor(fp.id);
    expect(await sys.api('DELETE', `/v2/lbaas/flavorprofiles/${fp.id}`)).toMatchObject(fault(409, `Flavor profile ${fp.id} is in use and cannot be modified.`));
    expect(await sys.db.flavorProfile.count({ where: { id: fp.id } })).toBe(1);
    expect((await sys.api('DELETE', `/v2/lbaas/flavors/${flavor.id}`)).status).toBe(204);
    expect((await sys.api('DELETE', `/v2/lbaas/flavorprofiles/${fp.id}`)).status).toBe(204);
    expect(await sys.api('GET', `/v2/lbaas/flavorprofiles/${fp.id}`)).toMatchObject(fault(404, `Flavor Profile ${fp.id} not found.`));
    expect(await sys.api('DELETE', `/v2/lbaas/flavorprofiles/${fp.id}`)).toMatchObject(fault(404, `Flavor Profile ${fp.id} not found.`));
    expect(await sys.api('GET', '/v2/lbaas/flavorprofiles/not-a-uuid')).toMatchObject(fault(404, 'Flavor Profile not-a-uuid not found.'));
  });
});

describe('flavors', () => {
  let profileId: string;
  beforeAll(async () => {
    profileId = (await createProfile({ loadbalancer_topology: 'SINGLE' }, 'for-flavors')).id;
  });

  it('creates, shows, lists, filters and selects fields', async () => {
    const res = await sys.api('POST', '/v2/lbaas/flavors', { flavor: { name: 'gold', description: 'the best', flavor_profile_id: profileId } });
    expect(res).toMatchObject({ status: 201 });
    const gold = res.body.flavor;
    expect(gold).toEqual({ id: expect.any(String), name: 'gold', description: 'the best', enabled: true, flavor_profile_id: profileId });
    const silver = await createFlavor(profileId, { name: 'silver', enabled: false });
    expect(silver).toMatchObject({ description: '', enabled: false });

    expect((await sys.api('GET', `/v2/lbaas/flavors/${gold.id}`)).body).toEqual({ flavor: gold });
    expect((await sys.api('GET', '/v2/lbaas/flavors?name=gold')).body).toEqual({ flavors: [gold], flavors_links: [] });
    expect((await sys.api('GET', '/v2/lbaas/flavors?enabled=false')).body.flavors.map((f: { name: string }) => f.name)).toContain('silver');
    expect((await sys.api('GET', '/v2/lbaas/flavors?enabled=false')).body.flavors.map((f: { name: string }) => f.name)).not.toContain('gold');
    expect((await sys.api('GET', `/v2/lbaas/flavors?id=${silver.id}&fields=name&fields=enabled`)).body.flavors).toEqual([{ name: 'silver', enabled: false }]);
    expect((await sys.api('GET', `/v2/lbaas/flavors?flavor_profile_id=${UNKNOWN}`)).body.flavors).toEqual([]);
    expect((await sys.api('GET', '/v2/lbaas/flavors?bogus=1')).status).toBe(400);
    expect((await sys.api('GET', '/v2/lbaas/flavors?name=a%00b')).body.flavors).toEqual([]);
  });

  it.each<[string, unknown, number, string]>([
    ['a duplicate name', { flavor: { name: 'gold', flavor_profile_id: 'PROFILE' } }, 409, 'A flavor of gold already exists.'],
    ['an unknown profile', { flavor: { name: 'bronze', flavor_profile_id: UNKNOWN } }, 400, `${UNKNOWN} is not a valid option for flavor_profile_id`],
    ['a profile id that is not a UUID', { flavor: { name: 'bronze', flavor_profile_id: 'abc' } }, 400,
      "Invalid input for field/attribute flavor_profile_id. Value: 'abc'. Value should be UUID format"],
    ['no profile', { flavor: { name: 'bronze' } }, 400, "Invalid input for field/attribute flavor_profile_id. Value: 'None'. Mandatory field missing."],
    ['no name', { flavor: { flavor_profile_id: 'PROFILE' } }, 400, "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."],
    ['enabled that is not a boolean', { flavor: { name: 'bronze', flavor_profile_id: 'PROFILE', enabled: 'Yes' } }, 400,
      "Invalid input for field/attribute flavor_. Value: '{'flavor': {'name': 'bronze', 'flavor_profile_id': 'PROFILE', 'enabled': 'Yes'}}'. Value not an unambiguous boolean: Yes"],
    ['an unknown attribute', { flavor: { name: 'bronze', flavor_profile_id: 'PROFILE', topology: 'x' } }, 400,
      'Unknown attribute for argument flavor_.flavor: topology'],
  ])('refuses %s and changes nothing', async (_what, body, status, message) => {
    const before = await counts();
    const res = await sys.api('POST', '/v2/lbaas/flavors', JSON.parse(JSON.stringify(body).replace('PROFILE', profileId)));
    expect(res).toMatchObject(fault(status, message.replace('PROFILE', profileId)));
    expect(await counts()).toEqual(before);
  });

  it('updates name, description and enabled; not its profile', async () => {
    const f = await createFlavor(profileId);
    const res = await sys.api('PUT', `/v2/lbaas/flavors/${f.id}`, { flavor: { name: 'platinum', description: 'shiny', enabled: false } });
    expect(res).toMatchObject({ status: 200, body: { flavor: { id: f.id, name: 'platinum', description: 'shiny', enabled: false, flavor_profile_id: profileId } } });
    expect(await sys.api('PUT', `/v2/lbaas/flavors/${f.id}`, { flavor: { flavor_profile_id: profileId } })).toMatchObject(
      fault(400, 'Unknown attribute for argument flavor_.flavor: flavor_profile_id'),
    );
    expect(await sys.api('PUT', `/v2/lbaas/flavors/${f.id}`, { flavor: { name: 'gold' } })).toMatchObject(fault(409, 'A flavor of gold already exists.'));
    expect(await sys.api('PUT', `/v2/lbaas/flavors/${f.id}`, { flavor: { name: null } })).toMatchObject(fault(400, 'None is not a valid option for name'));
    expect(await sys.api('PUT', `/v2/lbaas/flavors/${UNKNOWN}`, { flavor: { name: 'x' } })).toMatchObject(fault(404, `Flavor ${UNKNOWN} not found.`));
    expect((await sys.db.flavor.findUniqueOrThrow({ where: { id: f.id } })).name).toBe('platinum');
  });
});

describe('load balancers with a flavor', () => {
  it('takes the topology and the compute flavor of the profile, and the provider', async () => {
    const fp = await createProfile({ loadbalancer_topology: 'ACTIVE_STANDBY', compute_flavor: 'm1.amphora-ha' }, 'ha');
    const flavor = await createFlavor(fp.id);
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, flavor_id: flavor.id } });
    expect(res).toMatchObject({ status: 201, body: { loadbalancer: { flavor_id: flavor.id, provider: 'amphora' } } });
    const id = res.body.loadbalancer.id;
    await waitFor(id, 'ACTIVE');
    const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: id }, orderBy: { role: 'asc' } });
    expect(amphorae.map((a) => [a.role, a.computeFlavor])).toEqual([
      ['MASTER', 'm1.amphora-ha'],
      ['BACKUP', 'm1.amphora-ha'],
    ]);
    // The compute service was asked for that flavor.
    const live = await sys.compute.liveInstances();
    for (const a of amphorae) expect(live.find((i) => i.id === a.computeId)?.flavorId).toBe('m1.amphora-ha');
  });

  it('without compute_flavor, builds with AMP_FLAVOR_ID; with SINGLE, one amphora', async () => {
    const fp = await createProfile({ loadbalancer_topology: 'SINGLE' }, 'plain', 'octavia');
    const flavor = await createFlavor(fp.id);
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, flavor_id: flavor.id } });
    // No provider given: the flavor profile's.
    expect(res.body.loadbalancer.provider).toBe('octavia');
    await waitFor(res.body.loadbalancer.id, 'ACTIVE');
    const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: res.body.loadbalancer.id } });
    expect(amphorae.map((a) => [a.role, a.computeFlavor])).toEqual([['STANDALONE', sys.config.compute.amphora.flavorId]]);
  });

  it('refuses a disabled flavor, another provider\'s flavor and an unknown provider, changing nothing', async () => {
    const fp = await createProfile({}, 'refusals');
    const disabled = await createFlavor(fp.id, { enabled: false });
    const enabled = await createFlavor(fp.id);
    const before = await counts();
    const post = (extra: Record<string, unknown>) => sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, ...extra } });
    expect(await post({ flavor_id: disabled.id })).toMatchObject(fault(400, `The selected flavor is not allowed in this deployment: ${disabled.id}`));
    expect(await post({ flavor_id: enabled.id, provider: 'octavia' })).toMatchObject(fault(400, `Flavor '${enabled.id}' is not compatible with provider 'octavia'`));
    expect(await post({ provider: 'f5' })).toMatchObject(fault(400, "Provider 'f5' is not enabled."));
    expect(await post({ flavor_id: UNKNOWN })).toMatchObject(fault(400, 'Validation failure: Invalid flavor_id.'));
    expect(await counts()).toEqual(before);
  });

  it('a flavor in use cannot be deleted; once its load balancers are deleted it can', async () => {
    const fp = await createProfile({}, 'in-use');
    const flavor = await createFlavor(fp.id);
    const lb = (await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, flavor_id: flavor.id } })).body.loadbalancer;
    await waitFor(lb.id, 'ACTIVE');
    expect(await sys.api('DELETE', `/v2/lbaas/flavors/${flavor.id}`)).toMatchObject(fault(409, `Flavor ${flavor.id} is in use and cannot be modified.`));
    expect(await sys.db.flavor.count({ where: { id: flavor.id } })).toBe(1);

    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status).toBe(204);
    await eventually(async () => ((await sys.api('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).status === 404 ? true : undefined), 20000);
    expect((await sys.api('DELETE', `/v2/lbaas/flavors/${flavor.id}`)).status).toBe(204);
    expect(await sys.api('GET', `/v2/lbaas/flavors/${flavor.id}`)).toMatchObject(fault(404, `Flavor ${flavor.id} not found.`));
    // The deleted load balancer's row no longer points at it.
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lb.id } })).flavorId).toBeNull();
    expect(await sys.api('DELETE', `/v2/lbaas/flavors/${flavor.id}`)).toMatchObject(fault(404, `Flavor ${flavor.id} not found.`));
  });

  it('a flavor deleted just before the load balancer row is written: 400 Invalid flavor_id, nothing written', async () => {
    const fp = await createProfile({}, 'gone-meanwhile');
    const flavor = await createFlavor(fp.id);
    const before = await counts();
    let create: Promise<Awaited<ReturnType<TestSystem['api']>>> | undefined;
    // Hold the flavor's row: the load balancer's insert waits on its foreign key check, then finds it gone.
    await sys.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM flavor WHERE id = ${flavor.id}::uuid FOR UPDATE`;
        create = sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, flavor_id: flavor.id } });
        await new Promise((r) => setTimeout(r, 500));
        await tx.flavor.delete({ where: { id: flavor.id } });
      },
      { timeout: 10000 },
    );
    expect(await create).toMatchObject(fault(400, 'Validation failure: Invalid flavor_id.'));
    expect(await counts()).toEqual({ ...before, flavors: before.flavors - 1 });
  });

  it('a flavor deleted while a load balancer is created with it: one of the two wins, consistently', async () => {
    for (let i = 0; i < 5; i++) {
      const fp = await createProfile({}, `race-${i}`);
      const flavor = await createFlavor(fp.id);
      const [create, del] = await Promise.all([
        sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, flavor_id: flavor.id } }),
        sys.api('DELETE', `/v2/lbaas/flavors/${flavor.id}`),
      ]);
      if (del.status === 204) {
        expect(create).toMatchObject(fault(400, 'Validation failure: Invalid flavor_id.'));
        expect(await sys.db.loadBalancer.count({ where: { flavorId: flavor.id } })).toBe(0);
      } else {
        expect(del).toMatchObject(fault(409, `Flavor ${flavor.id} is in use and cannot be modified.`));
        expect(create.status).toBe(201);
        expect(await sys.db.flavor.count({ where: { id: flavor.id } })).toBe(1);
        await waitFor(create.body.loadbalancer.id, 'ACTIVE');
      }
    }
  });
});
