/**
 * Quotas (Octavia api-ref: Quotas): the API (list, show, defaults, update, reset) with defaults from
 * the configuration (DEFAULT_*_QUOTA), and their enforcement on load balancer and listener create:
 * 403 `Quota has been met for resources: ...`, nothing written, and no more objects than the quota
 * even when requests race.
 */
import { randomUUID } from 'node:crypto';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { fault, VIP_SUBNET } from '../support/fixtures';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ DEFAULT_POOL_QUOTA: '7', DEFAULT_MEMBER_QUOTA: '20' });
});
afterAll(async () => {
  await sys?.stop();
});

const project = () => randomUUID().replaceAll('-', '');
const asProject = (projectId: string, method: string, path: string, body?: unknown) => sys.api(method, path, body, { 'x-project-id': projectId });

/** A single project's quotas carry only these keys in Octavia (its QuotaResponse). */
const defaults = {
  load_balancer: -1,
  listener: -1,
  member: 20,
  pool: 7,
  health_monitor: -1,
  l7policy: -1,
  l7rule: -1,
};

async function createLb(projectId: string) {
  return asProject(projectId, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
}

const lbStatus = async (id: string) => (await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body?.loadbalancer?.provisioning_status;
const waitFor = (id: string, status: string) =>
  eventually(async () => ((await lbStatus(id)) === status ? true : undefined), 20000, `load balancer ${id} ${status}`);

describe('the quota API', () => {
  it('shows the defaults from the configuration', async () => {
    expect(await sys.api('GET', '/v2/lbaas/quotas/defaults')).toMatchObject({ status: 200, body: { quota: defaults } });
    expect((await sys.api('GET', '/v2/lbaas/quotas/defaults')).body).toEqual({ quota: defaults });
    const p = project();
    expect((await sys.api('GET', `/v2.0/lbaas/quotas/${p}/default`)).body).toEqual({ quota: defaults });
    // A project without quotas of its own has the defaults.
    expect((await sys.api('GET', `/v2/lbaas/quotas/${p}`)).body).toEqual({ quota: defaults });
  });

  it('updates some quotas (202), fills the rest from the defaults, and resets them', async () => {
    const p = project();
    const res = await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { load_balancer: 5, member: 50, healthmonitor: 3 } });
    const mine = { ...defaults, load_balancer: 5, member: 50, health_monitor: 3 };
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ quota: mine });
    expect((await sys.api('GET', `/v2/lbaas/quotas/${p}`)).body.quota).toEqual(mine);
    expect((await sys.api('GET', `/v2/lbaas/quotas/${p}?fields=member`)).body).toEqual({ quota: { member: 50 } });

    // The deprecated names are accepted; null goes back to the default; -1 is unlimited.
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { loadbalancer: 9, member: null, pool: -1 } });
    expect((await sys.api('GET', `/v2/lbaas/quotas/${p}`)).body.quota).toMatchObject({ load_balancer: 9, member: 20, pool: -1, health_monitor: 3 });

    // The list shows a project's own values (null: the default).
    const list = await sys.api('GET', `/v2/lbaas/quotas?project_id=${p}`);
    expect(list.body).toEqual({
      quotas: [
        {
          project_id: p,
          tenant_id: p,
          load_balancer: 9,
          loadbalancer: 9,
          listener: null,
          pool: -1,
          health_monitor: 3,
          healthmonitor: 3,
          member: null,
          l7policy: null,
          l7rule: null,
        },
      ],
      quotas_links: [],
    });

    const reset = await sys.api('DELETE', `/v2/lbaas/quotas/${p}`);
    expect(reset.status).toBe(202);
    expect(reset.text).toBe('');
    expect((await sys.api('GET', `/v2/lbaas/quotas/${p}`)).body.quota).toEqual(defaults);
  });

  it('is served at /v2/quotas as well (gophercloud\'s path): list, defaults, show, update, reset', async () => {
    const p = project();
    for (const base of ['/v2/quotas', '/v2.0/quotas']) {
      expect(await sys.api('GET', `${base}/defaults`)).toMatchObject({ status: 200, body: { quota: defaults } });
      expect((await sys.api('GET', `${base}/${p}/default`)).body).toEqual({ quota: defaults });
      expect((await sys.api('GET', `${base}/${p}`)).body).toEqual({ quota: defaults });
    }
    const put = await sys.api('PUT', `/v2/quotas/${p}`, { quota: { listener: 4, healthmonitor: 2 } });
    expect({ status: put.status, body: put.body }).toEqual({ status: 202, body: { quota: { ...defaults, listener: 4, health_monitor: 2 } } });
    // One API behind both paths: what one sets, the other shows.
    expect((await sys.api('GET', `/v2/lbaas/quotas/${p}`)).body.quota).toEqual({ ...defaults, listener: 4, health_monitor: 2 });
    const list = await sys.api('GET', `/v2/quotas?project_id=${p}`);
    expect(list.body.quotas).toEqual([expect.objectContaining({ project_id: p, tenant_id: p, listener: 4, health_monitor: 2, healthmonitor: 2 })]);
    expect(await sys.api('PUT', `/v2/quotas/${p}`, { quota: { pool: -2 } })).toMatchObject(
      fault(400, "Invalid input for field/attribute pool. Value: '-2'. Value should be greater or equal to -1"),
    );
    expect((await sys.api('DELETE', `/v2/quotas/${p}`)).status).toBe(202);
    expect((await sys.api('GET', `/v2/quotas/${p}`)).body.quota).toEqual(defaults);
    expect(await sys.api('DELETE', `/v2/quotas/${project()}`)).toMatchObject({ status: 404 });
  });

  it('lists only projects with quotas of their own, pages and selects fields', async () => {
    const [a, b] = [`a-${project()}`.slice(0, 36), `b-${project()}`.slice(0, 36)];
    await sys.api('PUT', `/v2/lbaas/quotas/${a}`, { quota: { listener: 1 } });
    await sys.api('PUT', `/v2/lbaas/quotas/${b}`, { quota: { listener: 2 } });
    const all = (await sys.api('GET', '/v2/lbaas/quotas')).body.quotas.map((q: { project_id: string }) => q.project_id);
    expect(all).toEqual(expect.arrayContaining([a, b]));
    expect(all).toEqual([...all].sort());
    const page = await sys.api('GET', `/v2/lbaas/quotas?limit=1&marker=${a}&fields=project_id&fields=listener`);
    // The next project may be another test file's (one database for all), whose listener quota may be unset (null).
    expect(page.body.quotas).toHaveLength(1);
    expect(Object.keys(page.body.quotas[0]).sort()).toEqual(['listener', 'project_id']);
    expect(page.body.quotas[0].project_id).toBe(all[all.indexOf(a) + 1]);
    expect(page.body.quotas_links.map((l: { rel: string }) => l.rel)).toEqual(['next', 'previous']);
    expect((await sys.api('GET', '/v2/lbaas/quotas?project_id=nobody')).body).toEqual({ quotas: [], quotas_links: [] });
    expect((await sys.api('GET', '/v2/lbaas/quotas?bogus=1')).status).toBe(400);
  });

  it.each<[string, unknown, string]>([
    ['a quota below -1', { quota: { load_balancer: -2 } }, "Invalid input for field/attribute load_balancer. Value: '-2'. Value should be greater or equal to -1"],
    ['a quota above the maximum', { quota: { member: 2000000001 } }, "Invalid input for field/attribute member. Value: '2000000001'. Value should be lower or equal to 2000000000"],
    ['a quota that is not an integer', { quota: { pool: 'ten' } }, "Invalid input for field/attribute quotas. Value: '{'quota': {'pool': 'ten'}}'. invalid literal for int() with base 10: 'ten'"],
    ['an unknown quota', { quota: { bogus: 1 } }, 'Unknown attribute for argument quotas.quota: bogus'],
    ['no quota object', { load_balancer: 1 }, 'Unknown attribute for argument quotas: load_balancer'],
    ['an empty body', {}, "Invalid input for field/attribute quota. Value: 'None'. Mandatory field missing."],
  ])('refuses %s and changes nothing', async (_what, body, message) => {
    const p = project();
    expect(await sys.api('PUT', `/v2/lbaas/quotas/${p}`, body)).toMatchObject(fault(400, message));
    expect(await sys.db.quota.count({ where: { projectId: p } })).toBe(0);
  });

  it('refuses a project id longer than a project id, and unknown resets', async () => {
    const long = 'p'.repeat(37);
    expect(await sys.api('PUT', `/v2/lbaas/quotas/${long}`, { quota: { pool: 1 } })).toMatchObject(
      fault(400, `Invalid input for field/attribute project_id. Value: '${long}'. Value should have a maximum character requirement of 36`),
    );
    expect((await sys.api('GET', `/v2/lbaas/quotas/${long}`)).body.quota).toMatchObject(defaults);
    const p = project();
    expect(await sys.api('DELETE', `/v2/lbaas/quotas/${p}`)).toMatchObject(fault(404, `Quotas ${p} not found.`));
    expect(await sys.api('DELETE', `/v2/lbaas/quotas/${long}`)).toMatchObject(fault(404, `Quotas ${long} not found.`));
  });
});

describe('enforcement', () => {
  it('refuses a load balancer over quota (403) and writes nothing; a deleted one frees its place', async () => {
    const p = project();
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { load_balancer: 1 } });
    const first = await createLb(p);
    expect(first.status).toBe(201);
    await waitFor(first.body.loadbalancer.id, 'ACTIVE');

    const before = await sys.db.loadBalancer.count();
    expect(await createLb(p)).toMatchObject(fault(403, 'Quota has been met for resources: Load Balancer'));
    expect(await sys.db.loadBalancer.count()).toBe(before);
    // Other projects are not affected.
    expect((await createLb(project())).status).toBe(201);

    expect((await sys.api('DELETE', `/v2/lbaas/loadbalancers/${first.body.loadbalancer.id}`)).status).toBe(204);
    await eventually(async () => ((await sys.api('GET', `/v2/lbaas/loadbalancers/${first.body.loadbalancer.id}`)).status === 404 ? true : undefined), 20000);
    expect((await createLb(p)).status).toBe(201);
  });

  it('a quota of 0 allows none', async () => {
    const p = project();
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { load_balancer: 0 } });
    expect(await createLb(p)).toMatchObject(fault(403, 'Quota has been met for resources: Load Balancer'));
    expect(await sys.db.loadBalancer.count({ where: { projectId: p } })).toBe(0);
  });

  it('refuses a listener over quota (403): no listener written, the load balancer stays ACTIVE', async () => {
    const p = project();
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { listener: 1 } });
    const lb = (await createLb(p)).body.loadbalancer;
    await waitFor(lb.id, 'ACTIVE');
    const ok = await asProject(p, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id } });
    expect(ok.status).toBe(201);
    await waitFor(lb.id, 'ACTIVE');

    const refused = await asProject(p, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 81, loadbalancer_id: lb.id } });
    expect(refused).toMatchObject(fault(403, 'Quota has been met for resources: Listener'));
    expect(await sys.db.listener.count({ where: { loadBalancerId: lb.id } })).toBe(1);
    expect(await lbStatus(lb.id)).toBe('ACTIVE');

    // Raising the quota lets it through.
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { listener: 2 } });
    expect((await asProject(p, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 81, loadbalancer_id: lb.id } })).status).toBe(201);
  });

  it('refuses pools, members (single and batch) and health monitors over quota (403), writing nothing', async () => {
    const p = project();
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { pool: 1, member: 2, health_monitor: 1 } });
    const lb = (await createLb(p)).body.loadbalancer;
    await waitFor(lb.id, 'ACTIVE');
    const pool = await asProject(p, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lb.id } });
    expect(pool.status).toBe(201);
    await waitFor(lb.id, 'ACTIVE');
    const poolId = pool.body.pool.id;
    expect(await asProject(p, 'POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lb.id } })).toMatchObject(
      fault(403, 'Quota has been met for resources: Pool'),
    );

    expect((await asProject(p, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '10.0.0.1', protocol_port: 80 } })).status).toBe(201);
    await waitFor(lb.id, 'ACTIVE');
    // A batch keeping the existing member and adding two would make three: refused whole.
    const batch = await asProject(p, 'PUT', `/v2/lbaas/pools/${poolId}/members`, {
      members: [{ address: '10.0.0.1', protocol_port: 80 }, { address: '10.0.0.2', protocol_port: 80 }, { address: '10.0.0.3', protocol_port: 80 }],
    });
    expect(batch).toMatchObject(fault(403, 'Quota has been met for resources: Member'));
    expect(await sys.db.member.count({ where: { poolId } })).toBe(1);
    expect(await lbStatus(lb.id)).toBe('ACTIVE');

    expect((await asProject(p, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } })).status).toBe(201);
    await waitFor(lb.id, 'ACTIVE');
    expect(await sys.db.healthMonitor.count({ where: { poolId } })).toBe(1);
  });

  it('concurrent load balancer creates never exceed the quota', async () => {
    const p = project();
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { load_balancer: 3 } });
    const results = await Promise.all(Array.from({ length: 8 }, () => createLb(p)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 201)) expect(r).toMatchObject(fault(403, 'Quota has been met for resources: Load Balancer'));
    expect(await sys.db.loadBalancer.count({ where: { projectId: p } })).toBe(3);
    await Promise.all(results.filter((r) => r.status === 201).map((r) => waitFor(r.body.loadbalancer.id, 'ACTIVE')));
  });

  it('concurrent listener creates (on different load balancers) never exceed the quota', async () => {
    const p = project();
    const lbs = await Promise.all(Array.from({ length: 4 }, () => createLb(p)));
    await Promise.all(lbs.map((r) => waitFor(r.body.loadbalancer.id, 'ACTIVE')));
    await sys.api('PUT', `/v2/lbaas/quotas/${p}`, { quota: { listener: 2 } });
    const results = await Promise.all(
      lbs.map((r) => asProject(p, 'POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 443, loadbalancer_id: r.body.loadbalancer.id } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 403)).toHaveLength(2);
    expect(await sys.db.listener.count({ where: { projectId: p } })).toBe(2);
    // The refused ones left their load balancers as they were.
    await Promise.all(lbs.map((r) => waitFor(r.body.loadbalancer.id, 'ACTIVE')));
  });
});
