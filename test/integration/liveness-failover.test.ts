/**
 * The liveness monitor starts automatic failovers as workflows itself (workflows/liveness.ts): the
 * load balancer is locked by a database step, then `amphora-<id>-failover` is started as a child
 * workflow that the monitor abandons (it outlives the monitor's continue-as-new and replacement).
 * When the start fails because that failover is already running, the lock is undone and the claim
 * kept. Heartbeats are written straight into amphora_health (what the health manager records), so
 * this file does not depend on how heartbeats travel.
 */
import { temporal } from '@temporalio/proto';
import { housekeepingIds } from '../../platform/schedules';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const { EventType, ParentClosePolicy } = temporal.api.enums.v1;
jest.setTimeout(90_000);

let sys: TestSystem;
const watched: string[] = [];
beforeAll(async () => {
  sys = await startTestSystem({ HEARTBEAT_INTERVAL: '0.5', HEARTBEAT_TIMEOUT: '2', HEALTH_CHECK_INTERVAL: '0.25' });
});
afterAll(async () => {
  // No stale heartbeats left for the next file's monitor.
  await sys?.db.amphoraHealth.deleteMany({ where: { amphoraId: { in: watched } } });
  await sys?.stop();
});

async function activeLb(): Promise<{ lbId: string; amphoraId: string }> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  expect(res.status).toBe(201);
  const lbId: string = res.body.loadbalancer.id;
  await sys.temporal.workflow.getHandle(`loadbalancer-${lbId}-create`).result();
  const [amphora] = await sys.db.amphora.findMany({ where: { loadBalancerId: lbId } });
  return { lbId, amphoraId: amphora!.id };
}

/** The amphora heartbeated once, a minute ago: stale at the next check. */
async function goesSilent(amphoraId: string): Promise<void> {
  watched.push(amphoraId);
  await sys.db.amphoraHealth.create({ data: { amphoraId, lastUpdate: new Date(Date.now() - 60_000) } });
}

const monitor = () => sys.temporal.workflow.getHandle(housekeepingIds(sys.config).healthMonitor);

/** The monitor's events about the child `workflowId` (its current run). */
async function childEvents(workflowId: string) {
  const events = (await monitor().fetchHistory()).events ?? [];
  return events.filter(
    (e) =>
      e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === workflowId ||
      e.startChildWorkflowExecutionFailedEventAttributes?.workflowId === workflowId,
  );
}

it('fails a silent amphora over in a child workflow of the monitor, abandoned by it', async () => {
  const { lbId, amphoraId } = await activeLb();
  await goesSilent(amphoraId);
  const failoverId = `amphora-${amphoraId}-failover`;
  const handle = sys.temporal.workflow.getHandle(failoverId);
  await eventually(async () => ((await handle.describe().catch(() => null)) ? true : undefined), 15000, 'the failover flow');
  await handle.result();

  const described = await handle.describe();
  expect(described.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(housekeepingIds(sys.config).healthMonitor);
  const [initiated] = await childEvents(failoverId);
  expect(initiated?.startChildWorkflowExecutionInitiatedEventAttributes?.parentClosePolicy).toBe(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON);

  const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } });
  expect(lb.provisioningStatus).toBe('ACTIVE');
  const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: lbId, status: { not: 'DELETED' } } });
  expect(amphorae.map((a) => a.id)).not.toContain(amphoraId);
  expect(amphorae).toHaveLength(1);
});

it('undoes the lock and keeps the claim when that failover is already running', async () => {
  const { lbId, amphoraId } = await activeLb();
  const failoverId = `amphora-${amphoraId}-failover`;
  // Something runs under the failover's id (a monitor that checks nothing and sleeps).
  const placeholder = await sys.temporal.workflow.start('monitorAmphoraHealth', {
    taskQueue: sys.config.temporal.taskQueue,
    workflowId: failoverId,
    args: [{ checkIntervalSeconds: 3600, heartbeatTimeoutSeconds: 3600, heartbeatIntervalSeconds: 3600, failoverThreshold: null, failoverThreads: 1 }],
  });
  try {
    await goesSilent(amphoraId);
    await eventually(
      async () => ((await childEvents(failoverId)).some((e) => e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED) ? true : undefined),
      15000,
      'the refused start',
    );
    // The revert is the monitor's next step after the refused start.
    await eventually(async () => ((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus === 'ACTIVE' ? true : undefined), 10000, 'the lock undone');
    expect((await sys.db.amphoraHealth.findUniqueOrThrow({ where: { amphoraId } })).busy).toBe(true);
    expect((await sys.db.amphora.findUniqueOrThrow({ where: { id: amphoraId } })).status).toBe('ALLOCATED');
  } finally {
    await placeholder.terminate('test done');
  }
});
