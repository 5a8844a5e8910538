/**
 * What an operator reads, from the real system (API, worker, dev server, database): the request log
 * line, the flow-end line, errors with their cause chain, secrets redacted, the Temporal SDK's lines in
 * the same JSON stream, and the metrics moving after flows.
 */
import { serializeError } from '../../common/logger';
import { captureLogs, type CapturedLogs, type LogLine } from '../support/logs';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

let sys: TestSystem;
let logs: CapturedLogs;

beforeAll(async () => {
  logs = captureLogs('info');
  sys = await startTestSystem({}, { log: logs.log });
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.failingSteps.clear();
  logs.log.level = 'info';
});

async function createLb(): Promise<string> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  expect(res.status).toBe(201);
  return res.body.loadbalancer.id as string;
}

/** Awaits a flow through the Temporal client; a failed one counts as done. */
async function settled(workflowId: string): Promise<void> {
  await sys.temporal.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
}

const line = (match: (l: LogLine) => boolean, what: string) => eventually(async () => logs.lines().find(match), 10000, what);

async function metrics(): Promise<string> {
  const res = await fetch(`${sys.apiUrl}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample (`name{labels}`), 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const l of text.split('\n')) {
    if (!l.startsWith(name)) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(l);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

describe('log lines', () => {
  it('writes one info line per request with its status, duration, load balancer and flow; no headers at info', async () => {
    const id = await createLb();
    await settled(`loadbalancer-${id}-create`);
    const req = await line((l) => l.msg.startsWith('POST /v2/lbaas/loadbalancers 201'), 'the request line');
    expect(req.level).toBe(30);
    expect(req.msg).toMatch(new RegExp(`^POST /v2/lbaas/loadbalancers 201 \\d+ ms lb=${id} flow=loadbalancer-${id}-create$`));
    expect(req).toMatchObject({ req: { method: 'POST', route: '/v2/lbaas/loadbalancers' }, res: { status: 201 }, loadBalancerId: id });
    expect((req.req as Record<string, unknown>).headers).toBeUndefined();

    // A GET of the object: its route pattern, not its id, labels it.
    await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`);
    const get = await line((l) => l.msg.startsWith(`GET /v2/lbaas/loadbalancers/${id} 200`), 'the GET line');
    expect((get.req as { route: string }).route).toBe('/v2/lbaas/loadbalancers/:id');
  });

  it('writes one line when a flow ends: type, object, outcome, duration', async () => {
    const id = await createLb();
    await settled(`loadbalancer-${id}-create`);
    const end = await line((l) => l.msg.startsWith(`flow createLoadBalancer loadbalancer-${id}-create`), 'the flow line');
    expect(end.level).toBe(30);
    expect(end.msg).toMatch(new RegExp(`^flow createLoadBalancer loadbalancer-${id}-create completed in \\d+ ms lb=${id}$`));
    expect(end).toMatchObject({ flow: { type: 'createLoadBalancer', workflowId: `loadbalancer-${id}-create`, outcome: 'completed', compensated: false }, loadBalancerId: id });
  });

  it('logs a failed flow with its outcome, its compensation and the root cause; the SDK line carries the error, not {}', async () => {
    sys.failingSteps.add('pushLoadBalancerConfig');
    const id = await createLb();
    await settled(`loadbalancer-${id}-create`);
    const end = await line((l) => l.msg.startsWith(`flow createLoadBalancer loadbalancer-${id}-create failed`), 'the failed flow line');
    expect(end.level).toBe(40);
    expect(end.msg).toMatch(/failed in \d+ ms, compensated lb=.*: ApplicationFailure\(InjectedFault\): Injected fault in step pushLoadBalancerConfig$/);
    expect(end.error).toMatchObject({
      type: 'ActivityFailure',
      activityType: 'pushLoadBalancerConfig',
      rootCause: 'ApplicationFailure(InjectedFault): Injected fault in step pushLoadBalancerConfig',
      cause: { type: 'ApplicationFailure', failureType: 'InjectedFault', nonRetryable: true },
    });

    // The SDK's own "Workflow failed" warning, through the same logger: the error with its chain.
    const sdk = await line((l) => l.msg === 'Workflow failed' && l.workflowId === `loadbalancer-${id}-create`, "the SDK's Workflow failed line");
    expect(sdk.component).toBe('temporal');
    const error = sdk.error as { message: string; cause?: { message: string } };
    expect(error.message).toBe('Activity task failed');
    expect(error.cause?.message).toBe('Injected fault in step pushLoadBalancerConfig');
    expect(JSON.stringify(sdk)).not.toContain('"error":{}');
  });

  it('logs why a spare could not be built: the root cause under the ChildWorkflowFailure', async () => {
    sys.failingSteps.add('buildAmphoraCompute');
    const workflowId = `test-spare-pool-${Date.now()}`;
    // A run whose every build failed fails itself (its outcome visible in the Web UI), saying why.
    const run = sys.temporal.workflow.execute('maintainSparePool', {
      taskQueue: sys.config.temporal.taskQueue,
      workflowId,
      args: [{ poolSize: 1, bootTimeoutSeconds: 30, activeWaitSeconds: 1 }],
    });
    const failure = await run.then(() => undefined, (err: { cause?: { message?: string; type?: string } }) => err.cause);
    expect(failure).toMatchObject({ type: 'SparePoolBuildsFailed', message: expect.stringContaining('built 0, failed 1') });
    const warn = await line((l) => l.msg.startsWith('A spare amphora could not be built') && l.workflowId === workflowId, 'the spare pool warning');
    expect(warn.error).toMatchObject({
      type: 'ChildWorkflowFailure',
      workflowType: 'createAmphora',
      rootCause: 'ApplicationFailure(InjectedFault): Injected fault in step buildAmphoraCompute',
    });
  });

  it("drops the SDK's task tokens and writes no colour codes", async () => {
    const failed = logs.lines().find((l) => l.msg === 'Activity failed' || l.msg === 'Workflow failed');
    expect(failed).toBeDefined();
    for (const raw of logs.raw) {
      expect(raw).not.toContain('taskToken');
      expect(raw).not.toMatch(/\u001b\[/);
    }
  });

  it('writes headers only at debug, and never a secret', async () => {
    logs.log.level = 'debug';
    const token = 'gAAAAABsecret-token-value-1234567890';
    await sys.api('GET', '/v2/lbaas/loadbalancers?limit=1', undefined, { 'X-Auth-Token': token, Authorization: `Bearer ${token}` });
    const req = await line((l) => l.msg.startsWith('GET /v2/lbaas/loadbalancers?limit=1 200'), 'the debug request line');
    const headers = (req.req as { headers: Record<string, string> }).headers;
    expect(headers['x-project-id']).toBeDefined();
    expect(headers['x-auth-token']).toBe('***');
    expect(headers.authorization).toBe('***');
    expect(logs.raw.join('\n')).not.toContain(token);

    // Any field that holds a secret, at any depth the drivers log it.
    logs.log.info({ password: 'hunter2', nested: { adminPass: 'p4ss', key: 'heartbeat-key', privateKey: '-----BEGIN' } }, 'secrets test');
    const secrets = logs.raw.find((l) => l.includes('secrets test'))!;
    for (const s of ['hunter2', 'p4ss', 'heartbeat-key', '-----BEGIN']) expect(secrets).not.toContain(s);
  });
});

describe('the error serializer', () => {
  it('writes type, message and the cause chain, also for errors that crossed a structured clone', () => {
    const inner = new Error('amphora 1 not ACTIVE after 300 s (status BUILD)');
    inner.name = 'BootTimeout';
    const outer = Object.assign(new Error('Child Workflow execution failed', { cause: inner }), { name: 'ChildWorkflowFailure' });
    expect(serializeError(outer, { stack: false })).toEqual({
      type: 'ChildWorkflowFailure',
      message: 'Child Workflow execution failed',
      rootCause: 'BootTimeout: amphora 1 not ACTIVE after 300 s (status BUILD)',
      cause: { type: 'BootTimeout', message: 'amphora 1 not ACTIVE after 300 s (status BUILD)' },
    });
    // A structured clone keeps the message and the cause, not the class: the stack still names it.
    const cloned = structuredClone(outer);
    expect(serializeError(cloned).type).toBe('ChildWorkflowFailure');
    expect(serializeError(cloned).rootCause).toContain('not ACTIVE');
    // Serializing twice changes nothing (workflow code serializes before its line reaches the logger).
    const once = serializeError(outer, { stack: false });
    expect(serializeError(once)).toEqual(once);
  });
});

describe('metrics', () => {
  it('counts flows, requests and objects, and serves the Temporal runtime metrics', async () => {
    const before = await metrics();
    const id = await createLb();
    await settled(`loadbalancer-${id}-create`);
    sys.failingSteps.add('pushLoadBalancerConfig');
    const failed = await createLb();
    await settled(`loadbalancer-${failed}-create`);
    sys.failingSteps.clear();
    // The sink runs right after the flow's last activation: wait until it has counted both.
    const after = await eventually(async () => {
      const text = await metrics();
      const done = sample(text, 'octavia_flows_failed_total', { type: 'createLoadBalancer', outcome: 'failed' }) > sample(before, 'octavia_flows_failed_total', { type: 'createLoadBalancer', outcome: 'failed' });
      return done ? text : undefined;
    });

    const t = { type: 'createLoadBalancer' };
    expect(sample(after, 'octavia_flows_started_total', t) - sample(before, 'octavia_flows_started_total', t)).toBe(2);
    expect(sample(after, 'octavia_flows_completed_total', t) - sample(before, 'octavia_flows_completed_total', t)).toBe(1);
    expect(sample(after, 'octavia_flows_compensated_total', t) - sample(before, 'octavia_flows_compensated_total', t)).toBe(1);
    expect(sample(after, 'octavia_flow_duration_seconds_count', { ...t, outcome: 'completed' })).toBeGreaterThan(sample(before, 'octavia_flow_duration_seconds_count', { ...t, outcome: 'completed' }));

    const post = { method: 'POST', route: '/v2/lbaas/loadbalancers', status: '201' };
    expect(sample(after, 'octavia_api_requests_total', post) - sample(before, 'octavia_api_requests_total', post)).toBe(2);
    expect(sample(after, 'octavia_api_request_duration_seconds_count', { method: 'POST', route: '/v2/lbaas/loadbalancers' })).toBeGreaterThanOrEqual(2);

    const active = await sys.db.loadBalancer.count({ where: { provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE' } });
    expect(sample(after, 'octavia_objects', { resource: 'loadbalancer', provisioning_status: 'ACTIVE', operating_status: 'ONLINE' })).toBe(active);
    expect(sample(after, 'octavia_objects', { resource: 'loadbalancer', provisioning_status: 'ERROR' })).toBeGreaterThanOrEqual(1);

    // Spares against the pool size (no pool in this system), and the heartbeat counters.
    expect(after).toMatch(/^octavia_spare_amphorae\{status="READY"\} 0$/m);
    expect(after).toMatch(/^octavia_spare_amphora_pool_size 0$/m);
    expect(after).toContain('# TYPE octavia_heartbeats_received_total counter');
    expect(after).toContain('# TYPE octavia_heartbeats_dropped_total counter');

    // The worker's Temporal runtime metrics, appended from the core's Prometheus endpoint.
    expect(after).toMatch(/^temporal_workflow_completed_total\{.*\} \d+/m);
    expect(after).toMatch(/^temporal_workflow_task_execution_latency_bucket\{/m);
  });
});
