/**
 * The boot wait (workflows/activities.ts bootWait): its heartbeat timeout follows AMP_ACTIVE_WAIT_SEC,
 * so a poll interval longer than the former fixed 10 s heartbeat timeout (Octavia's default interval
 * is 10 s) never times an attempt out; and AMP_BOOT_TIMEOUT_SECONDS bounds the whole wait, retries
 * included (schedule-to-close), not each of several attempts. A wait that runs out fails by itself
 * with a clear failure just before the server would time it out, and polls no more: the instance the
 * compensation deletes is never polled again.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const { EventType } = temporal.api.enums.v1;
jest.setTimeout(90_000);

async function create(sys: TestSystem): Promise<{ id: string; handle: WorkflowHandle }> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
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
    failed: ofIt.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)?.activityTaskFailedEventAttributes,
    summary: scheduled?.userMetadata?.summary,
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

  it('bounds the whole wait: it fails by itself, saying so, before its schedule-to-close timeout; then the create compensates and nothing polls the deleted instance', async () => {
    sys.compute.faults = { buildHangs: true };
    // Every poll of an instance, and when: none may come after the compensation deleted it.
    const polls: { at: number; found: boolean }[] = [];
    const getAmphora = sys.compute.getAmphora.bind(sys.compute);
    sys.compute.getAmphora = async (lookup) => {
      try {
        const instance = await getAmphora(lookup);
        polls.push({ at: Date.now(), found: true });
        return instance;
      } catch (err) {
        polls.push({ at: Date.now(), found: false });
        throw err;
      }
    };
    try {
      const { id, handle } = await create(sys);
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      const ended = Date.now();
      const wait = await bootWaitEvents(handle);
      expect(wait.scheduleToCloseSeconds).toBe(2);
      expect(wait.timedOut).toBeUndefined();
      const [amphora] = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
      const expected = new RegExp(`^amphora ${amphora!.id} not ACTIVE within its boot timeout of 2 s \\(status BUILD after \\d+ s\\)$`);
      expect(wait.failed?.failure?.message).toMatch(expected);
      expect(wait.failed?.failure?.applicationFailureInfo).toMatchObject({ type: 'AmphoraBootTimeout', nonRetryable: true });
      expect(String(wait.summary?.data ? Buffer.from(wait.summary.data).toString() : '')).toContain(`wait for amphora-${amphora!.id} to be ACTIVE`);
      // The flow's failure names the root cause too.
      expect(failure).toMatchObject({ cause: { cause: { message: expect.stringMatching(expected) } } });
      const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
      expect(lb.provisioningStatus).toBe('ERROR');
      expect(amphora!.status).toBe('DELETED');
      // Two more poll intervals: a wait still running would have polled (and not found) the instance by now.
      await new Promise((r) => setTimeout(r, 2500));
      expect(polls.filter((p) => p.at > ended)).toEqual([]);
      expect(polls.every((p) => p.found)).toBe(true);
    } finally {
      sys.compute.getAmphora = getAmphora;
    }
  });
});
