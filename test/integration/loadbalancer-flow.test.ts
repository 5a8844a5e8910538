/**
 * The vertical slice end to end: HTTP API -> PostgreSQL -> Temporal workflow -> compute driver, on a
 * real dev server and database, with the no-op compute driver.
 */
import { AmphoraStatus } from '../../common/status';
import { watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { PROJECT_ID, eventually, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
let flows: Flows;

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.compute.faults = {};
});

async function createLb(extra: Record<string, unknown> = {}) {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, ...extra } });
  expect(res.status).toBe(201);
  return res.body.loadbalancer as { id: string; provisioning_status: string; operating_status: string };
}

const statusOf = async (id: string) => (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body?.loadbalancer?.provisioning_status;

/** Awaits the flows started so far; the load balancer must then be `wanted`. */
async function waitForStatus(id: string, wanted: string) {
  await flows.settled();
  expect(await statusOf(id)).toBe(wanted);
}

/** Awaits the flows started so far, then expects the load balancer gone. */
async function gone(id: string) {
  await flows.settled();
  expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).status).toBe(404);
}

describe('create and delete a load balancer', () => {
  it('answers 201 PENDING_CREATE in Octavia shape, then reaches ACTIVE on a built amphora', async () => {
    const lb = await createLb({ name: 'web', description: 'slice', tags: ['b', 'a'] });
    expect(lb).toMatchObject({
      name: 'web',
      description: 'slice',
      provisioning_status: 'PENDING_CREATE',
      operating_status: 'OFFLINE',
      admin_state_up: true,
      project_id: PROJECT_ID,
      tenant_id: PROJECT_ID,
      vip_subnet_id: VIP_SUBNET,
      provider: 'amphora',
      listeners: [],
      pools: [],
      tags: ['a', 'b'],
      updated_at: null,
    });
    expect((lb as unknown as { created_at: string }).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);

    await waitForStatus(lb.id, 'ACTIVE');
    const shown = (await sys.api('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer;
    // No amphora has heartbeated (the test's no-op amphorae send none): OFFLINE, as Octavia shows it.
    expect(shown.operating_status).toBe('OFFLINE');
    expect(shown.updated_at).toMatch(/^\d{4}-/);

    const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: lb.id } });
    expect(amphorae).toHaveLength(1);
    expect(amphorae[0]).toMatchObject({ status: AmphoraStatus.ALLOCATED, role: 'STANDALONE' });
    const live = await sys.compute.liveInstances();
    expect(live.map((i) => i.id)).toContain(amphorae[0]!.computeId);
    expect(live.find((i) => i.id === amphorae[0]!.computeId)?.name).toBe(`amphora-${amphorae[0]!.id}`);

    // Findable in the Web UI by workflow id and by search attribute.
    const handle = sys.temporal.workflow.getHandle(`loadbalancer-${lb.id}-create`);
    const desc = await handle.describe();
    expect(desc.status.name).toBe('COMPLETED');
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of sys.temporal.workflow.list({ query: `LoadBalancerId = "${lb.id}" AND ProjectId = "${PROJECT_ID}"` })) {
        ids.push(wf.workflowId);
      }
      return ids.length > 0 ? ids : undefined;
    }, 15000, 'visibility');
    expect(found).toEqual([`loadbalancer-${lb.id}-create`]);
  });

  it('lists and shows load balancers, filters by name, and pages with limit/marker', async () => {
    const a = await createLb({ name: 'list-a', tags: ['red', 'blue'] });
    const b = await createLb({ name: 'list-b', tags: ['red'] });
    const byName = await sys.api('GET', '/v2/lbaas/loadbalancers?name=list-a');
    expect(byName.status).toBe(200);
    expect(byName.body.loadbalancers.map((l: { id: string }) => l.id)).toEqual([a.id]);
    expect(byName.body.loadbalancers_links).toEqual([]);

    const page = await sys.api('GET', `/v2/lbaas/loadbalancers?limit=1&marker=${a.id}`);
    expect(page.body.loadbalancers.map((l: { id: string }) => l.id)).toEqual([b.id]);
    expect(page.body.loadbalancers_links[0].rel).toBe('next');
    expect(page.body.loadbalancers_links[0].href).toContain(`marker=${b.id}`);

    const ids = async (query: string) =>
      (await sys.api('GET', `/v2/lbaas/loadbalancers?name=list-a&name=list-b&${query}`)).body.loadbalancers.map((l: { id: string }) => l.id);
    expect(await ids('tags=red,blue')).toEqual([a.id]);
    expect(await ids('tags-any=blue&tags-any=green')).toEqual([a.id]);
    expect(await ids('not-tags=blue')).toEqual([b.id]);
    expect(await ids('not-tags-any=red')).toEqual([]);

    const fields = await sys.api('GET', `/v2/lbaas/loadbalancers?id=${a.id}&fields=id&fields=name`);
    expect(fields.body.loadbalancers).toEqual([{ id: a.id, name: 'list-a' }]);

    const sorted = await sys.api('GET', '/v2/lbaas/loadbalancers?name=list-a&name=list-b&sort=name:desc');
    expect(sorted.body.loadbalancers.map((l: { name: string }) => l.name)).toEqual(['list-b', 'list-a']);
    const sortKey = await sys.api('GET', '/v2/lbaas/loadbalancers?name=list-a&name=list-b&sort_key=name&sort_dir=asc');
    expect(sortKey.body.loadbalancers.map((l: { name: string }) => l.name)).toEqual(['list-a', 'list-b']);
    const back = await sys.api('GET', `/v2/lbaas/loadbalancers?name=list-a&name=list-b&limit=1&marker=${b.id}&page_reverse=True`);
    expect(back.body.loadbalancers.map((l: { id: string }) => l.id)).toEqual([a.id]);
    expect((await sys.api('GET', '/v2/lbaas/loadbalancers?sort=bogus:asc')).body.faultstring).toBe("Supplied sort key 'bogus' is not valid.");
    expect((await sys.api('GET', '/v2/lbaas/loadbalancers?sort=name:sideways')).body.faultstring).toBe(
      "Supplied sort direction 'sideways' is not valid.",
    );

    const v20 = await sys.api('GET', `/v2.0/lbaas/loadbalancers/${b.id}`);
    expect(v20.body.loadbalancer.id).toBe(b.id);
    await waitForStatus(a.id, 'ACTIVE');
    await waitForStatus(b.id, 'ACTIVE');
  });

  it('deletes: 204, PENDING_DELETE, then gone with its amphora and compute instance', async () => {
    const lb = await createLb();
    await waitForStatus(lb.id, 'ACTIVE');
    const amphora = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lb.id } });

    const del = await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    await gone(lb.id);

    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lb.id } })).provisioningStatus).toBe('DELETED');
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: amphora.id } })).status).toBe('DELETED');
    expect((await sys.compute.liveInstances()).map((i) => i.id)).not.toContain(amphora.computeId);
    const list = await sys.api('GET', `/v2/lbaas/loadbalancers?id=${lb.id}`);
    expect(list.body.loadbalancers).toEqual([]);
  });

  it('refuses to delete a load balancer that is still PENDING_CREATE (409), then deletes it once ACTIVE', async () => {
    sys.compute.faults = { buildHangs: true };
    const lb = await createLb();
    const res = await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      faultcode: 'Client',
      faultstring: `Invalid state PENDING_CREATE of loadbalancer resource ${lb.id}`,
      debuginfo: null,
    });
    sys.compute.faults = {};
    await waitForStatus(lb.id, 'ACTIVE');
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status).toBe(204);
  });
});

describe('failed create flows end in ERROR and leave no compute instance behind', () => {
  async function expectErrorWithoutLeak(lbId: string) {
    await waitForStatus(lbId, 'ERROR');
    const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: lbId } });
    expect(amphorae.map((a) => a.status)).toEqual(['DELETED']);
    const names = (await sys.compute.liveInstances()).map((i) => i.name);
    expect(names).not.toContain(`amphora-${amphorae[0]!.id}`);
    await expect(sys.temporal.workflow.getHandle(`loadbalancer-${lbId}-create`).result()).rejects.toThrow('Workflow execution failed');
  }

  it('compute rejects the build (non-retryable): LB ERROR, amphora row DELETED', async () => {
    sys.compute.faults = { buildRejected: true };
    const lb = await createLb();
    await expectErrorWithoutLeak(lb.id);
  });

  it('instance goes to ERROR while booting: the built instance is deleted (compensation)', async () => {
    sys.compute.faults = { statusError: true };
    const lb = await createLb();
    await expectErrorWithoutLeak(lb.id);
  });

  it('an ERROR load balancer can be deleted', async () => {
    sys.compute.faults = { buildRejected: true };
    const lb = await createLb();
    await waitForStatus(lb.id, 'ERROR');
    sys.compute.faults = {};
    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status).toBe(204);
    await gone(lb.id);
  });
});
