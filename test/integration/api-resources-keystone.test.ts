/**
 * keystone mode on the resources of api-discovery/flavors/availability zones/quotas/statistics/
 * openstack flavors: who may read and write them (Octavia's RBAC defaults), and project isolation of
 * quotas and of the status tree and statistics (another project's are 403s, as in Octavia).
 */
import { startKeystoneSystem, type KeystoneSystem, type Persona } from '../support/keystone';
import { eventually, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

let ks: KeystoneSystem;
let sys: TestSystem;
let tokens: KeystoneSystem['tokens'];

beforeAll(async () => {
  ks = await startKeystoneSystem();
  ({ sys, tokens } = ks);
});
afterAll(async () => {
  // The database is shared with the other test files, which use these projects too: no quotas left behind.
  await sys?.db.quota.deleteMany({ where: { projectId: { in: Object.values(tokens).map((t) => t.projectId) } } });
  await ks?.stop();
});

const as = (user: Persona, method: string, path: string, body?: unknown) => ks.as(user, method, path, body);
const forbidden = { status: 403, body: { faultcode: 'Client', faultstring: 'Policy does not allow this request to be performed.', debuginfo: null } };

it('version discovery needs no token', async () => {
  const res = await sys.api('GET', '/', undefined, { 'x-project-id': '' });
  expect(res.status).toBe(200);
  expect(res.body.versions).toHaveLength(27);
});

it('providers and flavors are readable by members, written by admins only; capabilities, profiles and openstack flavors are admin only', async () => {
  expect((await as('lb-observer', 'GET', '/v2/lbaas/providers')).status).toBe(200);
  // Octavia's provider-flavor and provider-availability-zone policies are admin only.
  expect(await as('lb-member', 'GET', '/v2/lbaas/providers/amphora/flavor_capabilities')).toMatchObject(forbidden);
  expect(await as('lb-global-observer', 'GET', '/v2/lbaas/providers/amphora/availability_zone_capabilities')).toMatchObject(forbidden);
  expect((await as('lb-admin', 'GET', '/v2/lbaas/providers/amphora/flavor_capabilities')).status).toBe(200);
  expect((await as('lb-member', 'GET', '/v2/lbaas/flavors')).status).toBe(200);
  expect((await as('lb-member', 'GET', '/v2/lbaas/availabilityzones')).status).toBe(200);

  // The database is shared with the other test files: count only what this test names.
  const profile = { flavorprofile: { name: 'keystone-profile', provider_name: 'amphora', flavor_data: '{}' } };
  expect(await as('lb-member', 'POST', '/v2/lbaas/flavorprofiles', profile)).toMatchObject(forbidden);
  expect(await as('lb-member', 'GET', '/v2/lbaas/flavorprofiles')).toMatchObject(forbidden);
  expect(await as('lb-member', 'GET', '/v2/lbaas/availabilityzoneprofiles')).toMatchObject(forbidden);
  expect(await as('lb-member', 'GET', '/v1/openstack_flavors')).toMatchObject(forbidden);
  expect(await as('lb-member', 'POST', '/v1/openstack_flavors', { name: 'keystone-os-flavor', ram: 1, vcpus: 1, disk: 1 })).toMatchObject(forbidden);
  expect(await sys.db.flavorProfile.count({ where: { name: 'keystone-profile' } })).toBe(0);
  expect(await sys.db.openstackFlavor.count({ where: { name: 'keystone-os-flavor' } })).toBe(0);

  const fp = await as('lb-admin', 'POST', '/v2/lbaas/flavorprofiles', profile);
  expect(fp.status).toBe(201);
  const flavor = { flavor: { name: 'keystone-flavor', flavor_profile_id: fp.body.flavorprofile.id } };
  expect(await as('lb-member', 'POST', '/v2/lbaas/flavors', flavor)).toMatchObject(forbidden);
  expect((await as('lb-admin', 'POST', '/v2/lbaas/flavors', flavor)).status).toBe(201);
  expect((await as('lb-observer', 'GET', '/v2/lbaas/flavors?name=keystone-flavor')).body.flavors).toHaveLength(1);
  expect((await as('lb-admin', 'GET', '/v1/openstack_flavors')).status).toBe(200);
});

it('a project sees its own quotas only; only admins set them', async () => {
  const mine = tokens['lb-member'].projectId;
  const theirs = tokens['lb-other'].projectId;
  expect((await as('lb-admin', 'PUT', `/v2/lbaas/quotas/${mine}`, { quota: { listener: 4 } })).status).toBe(202);
  expect((await as('lb-admin', 'PUT', `/v2/lbaas/quotas/${theirs}`, { quota: { listener: 5 } })).status).toBe(202);

  expect((await as('lb-member', 'GET', `/v2/lbaas/quotas/${mine}`)).body.quota).toMatchObject({ listener: 4 });
  expect(await as('lb-member', 'GET', `/v2/quotas/${theirs}`)).toMatchObject(forbidden);
  expect(await as('lb-member', 'PUT', `/v2/quotas/${mine}`, { quota: { listener: 100 } })).toMatchObject(forbidden);
  expect(await as('lb-member', 'GET', `/v2/lbaas/quotas/${theirs}`)).toMatchObject(forbidden);
  expect(await as('lb-member', 'GET', `/v2/lbaas/quotas/${theirs}/default`)).toMatchObject(forbidden);
  expect((await as('lb-member', 'GET', '/v2/lbaas/quotas')).body.quotas.map((q: { project_id: string }) => q.project_id)).toEqual([mine]);
  expect((await as('lb-admin', 'GET', '/v2/lbaas/quotas')).body.quotas.map((q: { project_id: string }) => q.project_id)).toEqual(expect.arrayContaining([mine, theirs]));
  // Octavia routes /quotas/defaults as the quotas of a project named "defaults": another project's.
  expect(await as('lb-observer', 'GET', '/v2/lbaas/quotas/defaults')).toMatchObject(forbidden);
  expect((await as('lb-observer', 'GET', `/v2/lbaas/quotas/${mine}/default`)).status).toBe(200);
  expect((await as('lb-global-observer', 'GET', '/v2/lbaas/quotas/defaults')).status).toBe(200);

  expect(await as('lb-member', 'PUT', `/v2/lbaas/quotas/${mine}`, { quota: { listener: 100 } })).toMatchObject(forbidden);
  expect(await as('lb-member', 'DELETE', `/v2/lbaas/quotas/${mine}`)).toMatchObject(forbidden);
  expect((await sys.db.quota.findUniqueOrThrow({ where: { projectId: mine } })).listener).toBe(4);
});

it("another project's status tree and statistics are 403s", async () => {
  const res = await as('lb-member', 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  expect(res.status).toBe(201);
  const id = res.body.loadbalancer.id;
  await eventually(async () => ((await as('lb-member', 'GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status === 'ACTIVE' ? true : undefined), 20000);
  const listener = await as('lb-member', 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: id } });
  expect(listener.status).toBe(201);

  expect((await as('lb-observer', 'GET', `/v2/lbaas/loadbalancers/${id}/status`)).status).toBe(200);
  expect((await as('lb-member', 'GET', `/v2/lbaas/loadbalancers/${id}/stats`)).status).toBe(200);
  expect((await as('lb-member', 'GET', `/v2/lbaas/listeners/${listener.body.listener.id}/stats`)).status).toBe(200);
  for (const p of [`/v2/lbaas/loadbalancers/${id}/status`, `/v2/lbaas/loadbalancers/${id}/stats`, `/v2/lbaas/listeners/${listener.body.listener.id}/stats`]) {
    expect(await as('lb-other', 'GET', p)).toMatchObject(forbidden);
  }
  const nowhere = '00000000-0000-0000-0000-000000000000';
  expect(await as('lb-other', 'GET', `/v2/lbaas/loadbalancers/${nowhere}/status`)).toMatchObject({ status: 404, body: { faultstring: `Load Balancer ${nowhere} not found.` } });
  // Amphorae are the operator's.
  const [amp] = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
  expect(await as('lb-member', 'GET', `/v2/octavia/amphorae/${amp!.id}/stats`)).toMatchObject(forbidden);
  expect(await as('lb-member', 'PUT', `/v2/octavia/amphorae/${amp!.id}/config`)).toMatchObject(forbidden);
  expect((await as('lb-admin', 'PUT', `/v2/octavia/amphorae/${amp!.id}/config`)).status).toBe(202);
});
