/**
 * The saga (workflows/saga.ts) on a real worker and dev server: an undo whose fallback fails does not
 * stop the undos after it nor the caller's settle; compensating does not change the list (a second
 * run undoes in the same order); compensations run when the flow is cancelled. And through a real
 * flow: a create whose undo and fallback both fail still deletes its server group and ends ERROR.
 */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import type { ProbeSteps } from './saga.workflows';
import { VIP_SUBNET } from '../support/fixtures';

jest.setTimeout(120_000);
// The probe's failures are on purpose; the assertions tell the story.
Runtime.install({ logger: new DefaultLogger('ERROR', () => undefined) });

describe('Saga', () => {
  let sys: TestSystem;
  let worker: Worker;
  let connection: NativeConnection;
  let running: Promise<void>;
  const taskQueue = `saga-${randomUUID()}`;
  const calls: string[] = [];
  const steps: ProbeSteps = {
    async step(name) {
      calls.push(name);
    },
    async failingStep(name) {
      calls.push(name);
      throw ApplicationFailure.nonRetryable(`${name} failed`);
    },
  };

  beforeAll(async () => {
    sys = await startTestSystem({}, { worker: false });
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./saga.workflows'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
    connection = await NativeConnection.connect({ address: sys.config.temporal.address! });
    worker = await Worker.create({ connection, taskQueue, workflowBundle: bundle, activities: steps });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await connection?.close();
    await sys?.stop();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  const run = (waitForSignal: boolean) =>
    sys.temporal.workflow.start('sagaProbe', { taskQueue, workflowId: `saga-probe-${randomUUID()}`, args: [{ waitForSignal }] });
  const oneRun = ['undo c', 'undo b', 'fallback b', 'undo a'];

  it('runs every undo newest first, on past a failing fallback, the same order twice, then the caller settles', async () => {
    const handle = await run(false);
    await handle.result();
    expect(calls).toEqual([...oneRun, ...oneRun, 'settled']);
  });

  it('compensates a cancelled flow to the end', async () => {
    const handle = await run(true);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(calls).toEqual([...oneRun, 'settled']);
  });
});

describe('createLoadBalancer whose undo and fallback both fail', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('still deletes the server group and ends ERROR', async () => {
    // The configuration push fails; each amphora's undo (delete) and its fallback (mark ERROR) fail too.
    for (const step of ['pushLoadBalancerConfig', 'deleteAmphora', 'markAmphoraError']) sys.failingSteps.add(step);
    const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
    expect(res.status).toBe(201);
    const id: string = res.body.loadbalancer.id;
    await sys.temporal.workflow.getHandle(`loadbalancer-${id}-create`).result().catch(() => undefined);
    const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
    expect([lb.provisioningStatus, lb.serverGroupId]).toEqual(['ERROR', null]);
    // What could not be undone is left as it was (both amphorae, with their instances), not forgotten silently.
    sys.failingSteps.clear();
    const left = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
    expect(left).toHaveLength(2);
    // Tidy up for the next test file: the leftovers deleted as housekeeping would.
    for (const a of left) await sys.temporal.workflow.execute('deleteAmphora', { taskQueue: sys.config.temporal.taskQueue, workflowId: `amphora-${a.id}-delete`, args: [{ amphoraId: a.id, bootTimeoutSeconds: 30 }] });
    await eventually(async () => ((await sys.compute.liveInstances()).length === 0 ? true : undefined));
  });
});
