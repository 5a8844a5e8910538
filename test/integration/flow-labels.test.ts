/**
 * Every flow a load balancer or amphora is part of is found by its search attributes (LoadBalancerId,
 * AmphoraId, ProjectId, ResourceType, Operation) and says what it does (summary, details): the API's
 * starts, the schedules' runs, the health monitor and every child start. Two halves:
 *   - statically, no start in the code bypasses the one labelling (common/flows.ts flowStartOptions);
 *   - at run time, the flows of a load balancer's life (create, a listener, update, a load balancer
 *     failover with its amphora children, an amphora failover, delete) and of housekeeping (a spare
 *     pool run with its children, a cleanup run, the monitor) are listed through the Temporal client by
 *     each attribute.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { allSearchAttributes } from '../../common/search-attributes';
import { housekeepingIds } from '../../platform/schedules';
import { eventually, PROJECT_ID, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const OURS = allSearchAttributes.map((k) => k.name);
jest.setTimeout(120_000);

/** The source files that may start flows (tests and generated code aside). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

/** The text of the call whose opening parenthesis is at `open` (to its matching closing one). */
function callText(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

describe('statically', () => {
  const files = ['api', 'platform', 'workflows', 'common', 'activities', 'bin', 'db', 'domain'].flatMap((d) => sources(path.join(ROOT, d)));
  const starts = /\b(startChild|executeChild|signalWithStart)\s*(<[^>]*>)?\s*\(|\.workflow\.(start|execute)\s*\(|type:\s*'startWorkflow'/g;
  const sites = files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(starts)].map((m) => {
      const at = m.index;
      // A schedule action is an object: the function that builds it must label it.
      const text_ = m[0].startsWith('type:') ? text.slice(Math.max(0, at - 400), at + 400) : callText(text, at + m[0].indexOf('('));
      return { where: `${path.relative(ROOT, file)}:${text.slice(0, at).split('\n').length}`, text: text_ };
    });
  });

  it('finds the starts (API, reconciliation, schedules, health monitor, child starts)', () => {
    const where = sites.map((s) => s.where.split(':')[0]);
    for (const file of ['common/flows.ts', 'platform/schedules.ts', 'workflows/loadbalancer.ts', 'workflows/housekeeping.ts', 'workflows/liveness.ts']) {
      expect(where).toContain(file);
    }
  });

  it('labels every start with flowStartOptions', () => {
    const bypassing = sites.filter((s) => !s.text.includes('flowStartOptions('));
    expect(bypassing.map((s) => s.where)).toEqual([]);
  });

  it('starts flows from the API and the reconciliation only through startFlow', () => {
    const direct = files
      .filter((f) => !f.endsWith(path.join('common', 'flows.ts')))
      .filter((f) => /\.workflow\.start\(/.test(readFileSync(f, 'utf8')) && !f.endsWith(path.join('platform', 'schedules.ts')));
    expect(direct.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});

describe('at run time', () => {
  let sys: TestSystem;
  let lbId: string;
  let firstAmphora: string;
  let secondAmphora: string;
  let listenerId: string;
  const spares: string[] = [];

  const list = async (query?: string): Promise<WorkflowExecutionInfo[]> => {
    const found: WorkflowExecutionInfo[] = [];
    const own = `TaskQueue="${sys.config.temporal.taskQueue}"`;
    for await (const info of sys.temporal.workflow.list({ query: query ? `${own} AND ${query}` : own })) found.push(info);
    return found;
  };
  const attrsOf = (info: WorkflowExecutionInfo) => Object.fromEntries(info.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
  /** Visibility is eventually consistent: waits until the query lists every id in `ids`. */
  const listed = (query: string, ids: string[]) =>
    eventually(
      async () => {
        const found = (await list(query)).map((i) => i.workflowId);
        return ids.every((id) => found.includes(id)) ? found : undefined;
      },
      15000,
      `${query} to list ${ids.join(', ')}`,
    );
  const attributesOf = async (workflowId: string) => {
    const described = await sys.temporal.workflow.getHandle(workflowId).describe();
    // Ours only (the server adds BuildIds, TemporalChangeVersion, ...).
    const attrs = Object.fromEntries(described.typedSearchAttributes.getAll().filter((p) => OURS.includes(p.key.name)).map((p) => [p.key.name, p.value]));
    return { attrs, summary: await described.staticSummary(), details: await described.staticDetails() };
  };

  beforeAll(async () => {
    sys = await startTestSystem({ SPARE_AMPHORA_POOL_SIZE: '2' });
    // Housekeeping: a spare pool run (two createAmphora children) and a cleanup run.
    const ids = housekeepingIds(sys.config);
    for (const id of [ids.sparePool, ids.cleanup]) {
      const schedule = sys.temporal.schedule.getHandle(id);
      await schedule.trigger();
      const run = await eventually(async () => (await schedule.describe()).info.recentActions[0]?.action, 15000, `a run of ${id}`);
      await sys.temporal.workflow.getHandle(run.workflow.workflowId, run.workflow.firstExecutionRunId).result();
    }
    spares.push(...(await sys.db.amphora.findMany({ where: { loadBalancerId: null, status: 'READY' } })).map((a) => a.id));
    expect(spares).toHaveLength(2);

    // A load balancer's life: create (from a spare), a listener, an update, a failover, an amphora failover.
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'web', vip_subnet_id: VIP_SUBNET } });
    expect(res.status).toBe(201);
    lbId = res.body.loadbalancer.id;
    await sys.temporal.workflow.getHandle(`loadbalancer-${lbId}-create`).result();
    firstAmphora = (await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } })).id;
    const listener = await sys.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    expect(listener.status).toBe(201);
    listenerId = listener.body.listener.id;
    await sys.temporal.workflow.getHandle(`listener-${listenerId}-create`).result();
    const failover = await sys.api('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`);
    expect(failover.status).toBe(202);
    await eventually(async () => ((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus === 'ACTIVE' ? true : undefined), 30000, 'the failover');
    secondAmphora = (await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } })).id;
    const amphoraFailover = await sys.api('PUT', `/v2/octavia/amphorae/${secondAmphora}/failover`);
    expect(amphoraFailover.status).toBe(202);
    await sys.temporal.workflow.getHandle(`amphora-${secondAmphora}-failover`).result();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it("a load balancer failover's amphora children carry LoadBalancerId, AmphoraId, ProjectId, ResourceType, Operation, a summary and details", async () => {
    const child = await attributesOf(`amphora-${firstAmphora}-failover`);
    expect(child.attrs).toEqual({ LoadBalancerId: lbId, AmphoraId: firstAmphora, ProjectId: PROJECT_ID, ResourceType: 'amphora', Operation: 'failover' });
    expect(child.summary).toBe(`failover amphora ${firstAmphora} (project ${PROJECT_ID}, STANDALONE, load balancer ${lbId}, load balancer failover)`);
    expect(child.details).toContain(`GET /v2/octavia/amphorae/${firstAmphora}`);
    expect(child.details).toContain(`GET /v2/lbaas/loadbalancers/${lbId}`);
    const described = await sys.temporal.workflow.getHandle(`amphora-${firstAmphora}-failover`).describe();
    expect(described.raw.workflowExecutionInfo?.parentExecution?.workflowId).toMatch(new RegExp(`^loadbalancer-${lbId}-failover-`));
  });

  it('LoadBalancerId lists every flow of the load balancer, children included', async () => {
    const ids = [`loadbalancer-${lbId}-create`, `listener-${listenerId}-create`, `amphora-${firstAmphora}-failover`, `amphora-${secondAmphora}-failover`];
    const found = await listed(`LoadBalancerId="${lbId}"`, ids);
    expect(found.some((id) => id.startsWith(`loadbalancer-${lbId}-failover-`))).toBe(true);
  });

  it('AmphoraId lists the flows of an amphora: its create as a spare and its failover', async () => {
    // The load balancer claimed a spare, so its first amphora was made by the pool.
    expect(spares).toContain(firstAmphora);
    await listed(`AmphoraId="${firstAmphora}"`, [`amphora-${firstAmphora}-create`, `amphora-${firstAmphora}-failover`]);
  });

  it('ProjectId, ResourceType and Operation list them too', async () => {
    await listed(`ProjectId="${PROJECT_ID}" AND ResourceType="loadbalancer"`, [`loadbalancer-${lbId}-create`]);
    await listed(`ResourceType="listener" AND Operation="create"`, [`listener-${listenerId}-create`]);
    await listed(`ResourceType="amphora" AND Operation="failover"`, [`amphora-${firstAmphora}-failover`, `amphora-${secondAmphora}-failover`]);
    await listed(`ResourceType="amphora" AND Operation="create"`, spares.map((id) => `amphora-${id}-create`));
    await listed(`ResourceType="housekeeping" AND Operation="health-monitor"`, [housekeepingIds(sys.config).healthMonitor]);
  });

  it('housekeeping runs are housekeeping, and `ResourceType != "housekeeping"` leaves the operator\'s flows', async () => {
    const housekeeping = await eventually(async () => {
      const found = await list('ResourceType="housekeeping"');
      const ops = new Set(found.map((i) => attrsOf(i).Operation));
      return ['spare-pool', 'cleanup', 'health-monitor'].every((op) => ops.has(op)) ? found : undefined;
    }, 15000, 'the housekeeping runs');
    const others = (await list('ResourceType != "housekeeping"')).map((i) => i.workflowId);
    expect(others).toContain(`loadbalancer-${lbId}-create`);
    for (const run of housekeeping) expect(others).not.toContain(run.workflowId);
  });

  it('every flow that ran carries ResourceType, Operation and a summary; those of a load balancer or amphora their ids', async () => {
    const all = await list();
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const info of all) {
      const attrs = attrsOf(info);
      expect({ id: info.workflowId, ResourceType: typeof attrs.ResourceType, Operation: typeof attrs.Operation }).toEqual({ id: info.workflowId, ResourceType: 'string', Operation: 'string' });
      const { summary } = await attributesOf(info.workflowId);
      expect({ id: info.workflowId, summary: typeof summary }).toEqual({ id: info.workflowId, summary: 'string' });
      if (attrs.ResourceType === 'amphora') expect({ id: info.workflowId, AmphoraId: attrs.AmphoraId }).toEqual({ id: info.workflowId, AmphoraId: expect.any(String) });
      if (['loadbalancer', 'listener'].includes(String(attrs.ResourceType)) || attrs.Operation === 'failover') {
        expect({ id: info.workflowId, LoadBalancerId: attrs.LoadBalancerId, ProjectId: attrs.ProjectId }).toEqual({ id: info.workflowId, LoadBalancerId: lbId, ProjectId: PROJECT_ID });
      }
    }
  });

  it('a create says what it makes: "create load balancer web (project <p>, SINGLE)", with its API link; its result names its amphorae', async () => {
    const create = await attributesOf(`loadbalancer-${lbId}-create`);
    expect(create.summary).toBe(`create load balancer web (project ${PROJECT_ID}, SINGLE)`);
    expect(create.details).toContain(`GET /v2/lbaas/loadbalancers/${lbId}`);
    expect(await sys.temporal.workflow.getHandle(`loadbalancer-${lbId}-create`).result()).toEqual({ status: 'ACTIVE', loadBalancerId: lbId, amphoraIds: [firstAmphora] });
  });

  it('its steps have summaries where the name is not enough', async () => {
    const history = await sys.temporal.workflow.getHandle(`amphora-${secondAmphora}-failover`).fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => (e.userMetadata?.summary?.data ? JSON.parse(Buffer.from(e.userMetadata.summary.data).toString()) : undefined));
    expect(summaries).toContain(`delete the replaced amphora instance amphora-${secondAmphora}`);
    expect(summaries.every((s) => typeof s === 'string')).toBe(true);
  });
});
