/**
 * An operator who cancels a flow (Web UI, `temporal workflow cancel`) cancels its forward steps, never
 * its compensations: a load balancer create cancelled at any step that builds leaves no compute
 * instance, no amphora row but DELETED ones, no server group, and the load balancer ERROR. Each step is held when it starts (an activity interceptor on a real worker), the
 * flow is cancelled while it is held, then the step goes on: what it makes must be undone too.
 * A cancel that arrives during the last forward step (the configuration push) or the commit comes too
 * late: the step in flight is waited for, the commit is not cancellable (workflows/saga.ts), and the
 * flow completes with its load balancer ACTIVE.
 */
import { CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

jest.setTimeout(120_000);

/** Holds a named step the next time it starts, until the test releases it. */
class Holds {
  private readonly armed = new Map<string, { reached: () => void; released: Promise<void> }>();

  at(step: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    const released = new Promise<void>((r) => (release = r));
    this.armed.set(step, { reached, released });
    return { reached: reachedP, release };
  }

  readonly interceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      execute: async (input, next) => {
        const hold = this.armed.get(ctx.info.activityType);
        if (hold) {
          this.armed.delete(ctx.info.activityType);
          hold.reached();
          await hold.released;
        }
        return next(input);
      },
    },
  });
}

/** A test system whose worker holds steps. */
function withHoldingSystem(env: Record<string, string>, body: (get: () => { sys: TestSystem; holds: Holds }) => void) {
  let sys: TestSystem;
  const holds = new Holds();
  beforeAll(async () => {
    sys = await startTestSystem(env, { activityInterceptors: [holds.interceptor] });
  });
  afterAll(async () => {
    await sys?.stop();
  });
  afterEach(() => {
    sys.compute.faults = {};
  });
  body(() => ({ sys, holds }));
}

async function createLb(sys: TestSystem): Promise<{ id: string; handle: WorkflowHandle }> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  expect(res.status).toBe(201);
  const id: string = res.body.loadbalancer.id;
  return { id, handle: sys.temporal.workflow.getHandle(`loadbalancer-${id}-create`) };
}

/** Cancels the create while `step` is held, lets the step go on, and returns how the flow ended. */
async function cancelAt(sys: TestSystem, holds: Holds, step: string): Promise<{ id: string; outcome: unknown }> {
  const hold = holds.at(step);
  const { id, handle } = await createLb(sys);
  await hold.reached;
  await handle.cancel();
  hold.release();
  const outcome = await handle.result().then(
    () => 'completed',
    (err: unknown) => err,
  );
  return { id, outcome };
}

function expectCancelled(outcome: unknown): void {
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
}

/** Nothing of the load balancer is left: every instance belongs to a live amphora, its own are DELETED. */
async function expectNothingLeft(sys: TestSystem, lbId: string): Promise<void> {
  const live = await sys.compute.liveInstances();
  const rows = await sys.db.amphora.findMany({ where: { computeId: { in: live.map((i) => i.id) }, status: { not: 'DELETED' } } });
  const tracked = new Set(rows.map((r) => r.computeId));
  expect(live.filter((i) => !tracked.has(i.id)).map((i) => i.name)).toEqual([]);
  const own = await sys.db.amphora.findMany({ where: { loadBalancerId: lbId } });
  expect(own.filter((a) => a.status !== 'DELETED').map((a) => [a.id, a.status])).toEqual([]);
  const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } });
  expect([lb.provisioningStatus, lb.serverGroupId]).toEqual(['ERROR', null]);
}

async function expectActive(sys: TestSystem, lbId: string, amphorae: number): Promise<void> {
  expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus).toBe('ACTIVE');
  const own = await sys.db.amphora.findMany({ where: { loadBalancerId: lbId } });
  expect(own.map((a) => a.status)).toEqual(Array(amphorae).fill('ALLOCATED'));
  const live = new Set((await sys.compute.liveInstances()).map((i) => i.id));
  expect(own.every((a) => live.has(a.computeId!))).toBe(true);
}

describe('createLoadBalancer (SINGLE, built) cancelled', () => {
  withHoldingSystem({}, (get) => {
    it.each([
      'getLoadBalancerTopology',
      'claimSpareAmphora',
      'createAmphoraRecord',
      'buildAmphoraCompute',
      'waitForAmphoraCompute',
      'waitForAmphoraAgent',
      'plugAmphoraVip',
      'plugVipOnAmphora',
      'updateLoadBalancerVip',
    ])(
      'at %s: the flow ends cancelled, nothing leaks, the load balancer is ERROR',
      async (step) => {
        const { sys, holds } = get();
        const { id, outcome } = await cancelAt(sys, holds, step);
        expectCancelled(outcome);
        await expectNothingLeft(sys, id);
      },
    );

    it.each(['pushLoadBalancerConfig', 'finishLoadBalancerCreate'])('at %s: too late, the flow completes, ACTIVE on its amphora', async (step) => {
      const { sys, holds } = get();
      const { id, outcome } = await cancelAt(sys, holds, step);
      expect(outcome).toBe('completed');
      await expectActive(sys, id, 1);
    });

    it('while the boot wait polls: the heartbeating activity learns of the cancel and stops; nothing leaks', async () => {
      const { sys, holds } = get();
      sys.compute.faults = { buildHangs: true };
      const hold = holds.at('waitForAmphoraCompute');
      const { id, handle } = await createLb(sys);
      await hold.reached;
      hold.release();
      // A poll or two, then the cancel: delivered to the activity with its next heartbeat.
      await new Promise((r) => setTimeout(r, 300));
      await handle.cancel();
      expectCancelled(await handle.result().catch((err: unknown) => err));
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.activityTaskCanceledEventAttributes)).toBe(true);
      await expectNothingLeft(sys, id);
    });
  });
});

describe('createLoadBalancer (ACTIVE_STANDBY, built into its server group) cancelled', () => {
  withHoldingSystem({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' }, (get) => {
    it.each(['ensureServerGroup', 'createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute'])(
      'at %s: both amphorae and the server group gone, the load balancer is ERROR',
      async (step) => {
        const { sys, holds } = get();
        const { id, outcome } = await cancelAt(sys, holds, step);
        expectCancelled(outcome);
        await expectNothingLeft(sys, id);
      },
    );

    // A pair's keepalived is configured after the push: a cancel during the push is honoured there;
    // one during that last agent step (which completes: it does not heartbeat) comes too late.
    it.each(['pushLoadBalancerConfig'])('at %s: the pair is undone, the load balancer is ERROR', async (step) => {
      const { sys, holds } = get();
      const { id, outcome } = await cancelAt(sys, holds, step);
      expectCancelled(outcome);
      await expectNothingLeft(sys, id);
    });

    it.each(['configureAmphoraVrrp', 'finishLoadBalancerCreate'])('at %s: too late, the flow completes, ACTIVE on both amphorae', async (step) => {
      const { sys, holds } = get();
      const { id, outcome } = await cancelAt(sys, holds, step);
      expect(outcome).toBe('completed');
      await expectActive(sys, id, 2);
    });
  });
});
