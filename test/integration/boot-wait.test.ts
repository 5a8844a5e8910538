/**
 * The boot wait (workflows/activities.ts bootWait): its heartbeat timeout follows AMP_ACTIVE_WAIT_SEC,
 * so a poll interval longer than the former fixed 10 s heartbeat timeout (Octavia's default interval
 * is 10 s) never times an attempt out; and AMP_BOOT_TIMEOUT_SECONDS bounds the whole wait, retries
 * included (schedule-to-close), not each of several attempts.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startTestSystem, type TestSystem } from '../support/system';

const SUBNET = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';
const { EventType, TimeoutType } = temporal.api.enums.v1;
jest.setTimeout(90_000);

async function create(sys: TestSystem): Promise<{ id: string; handle: WorkflowHandle }> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
  expect(res.status).toBe(201);
  const id: string = res.body.loadbalancer.id;
  return { id, handle: sys.temporal.workflow.getHandle(`loadbalancer-${id}-create`) };
}

/** The boot wait's events in the flow's history: how it was scheduled, how its attempt(s) ended. */
async function bootWaitEvents(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'waitForAmphoraCompute');
  const ofIt = events.filter((e) => Object.values(e).some((a) => (a as { scheduledEventId?: unknown } | null)?.scheduledEventId?.toString() === scheduled?.eventId?.toString()));
  const seconds = (d: { seconds?: unknown } | null | undefined) => Number(d?.seconds ?? 0);
  const attrs = scheduled?.activityTaskScheduledEventAttributes;
  return {
    heartbeatTimeoutSeconds: seconds(attrs?.heartbeatTimeout),
    scheduleToCloseSeconds: seconds(attrs?.scheduleToCloseTimeout),
    started: ofIt.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)?.activityTaskStartedEventAttributes,
    timedOut: ofIt.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)?.activityTaskTimedOutEventAttributes,
  };
}

describe('AMP_ACTIVE_WAIT_SEC above the former 10 s heartbeat timeout', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // Still in BUILD at the first poll; the next poll, 11 s later, finds it ACTIVE.
    sys = await startTestSystem({ AMP_ACTIVE_WAIT_SEC: '11', NOOP_BUILD_DELAY_MS: '1000' });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('boots in one attempt: the heartbeat timeout leaves room for the poll interval', async () => {
    const { id, handle } = await create(sys);
    await handle.result();
    const wait = await bootWaitEvents(handle);
    expect(wait.heartbeatTimeoutSeconds).toBeGreaterThan(2 * 11);
    expect(wait.started?.attempt).toBe(1);
    expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('ACTIVE');
  });
});

describe('AMP_BOOT_TIMEOUT_SECONDS', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ AMP_BOOT_TIMEOUT_SECONDS: '2' });
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('bounds the whole wait (schedule-to-close), then the create compensates', async () => {
    sys.compute.faults = { buildHangs: true };
    const { id, handle } = await create(sys);
    await handle.result().catch(() => undefined);
    const wait = await bootWaitEvents(handle);
    expect(wait.scheduleToCloseSeconds).toBe(2);
    expect(wait.timedOut?.failure?.timeoutFailureInfo?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
    const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
    expect(lb.provisioningStatus).toBe('ERROR');
    expect((await sys.db.amphora.findMany({ where: { loadBalancerId: id } })).map((a) => a.status)).toEqual(['DELETED']);
  });
});
