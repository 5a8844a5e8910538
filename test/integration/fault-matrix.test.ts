/**
 * Fault injection at every step of every create / failover / update / delete flow: the named activity
 * fails (non-retryably) the next time it runs. After each, the objects are in a defined state (never
 * PENDING_*) and the no-op compute service holds no instance without a live amphora row.
 */
import { randomUUID } from 'node:crypto';
import { eventually, startTestSystem, type TestSystem } from '../support/system';

const SUBNET = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';
jest.setTimeout(120_000);

async function settledLb(sys: TestSystem, id: string) {
  return eventually(async () => {
    const row = await sys.db.loadBalancer.findUnique({ where: { id } });
    return row && !row.provisioningStatus.startsWith('PENDING') ? row : undefined;
  }, 30000, `load balancer ${id} to settle`);
}

async function expectNoOrphans(sys: TestSystem) {
  const live = await sys.compute.liveInstances();
  const rows = await sys.db.amphora.findMany({ where: { computeId: { in: live.map((i) => i.id) } } });
  const tracked = new Set(rows.filter((r) => r.status !== 'DELETED').map((r) => r.computeId));
  expect(live.filter((i) => !tracked.has(i.id)).map((i) => i.name)).toEqual([]);
}

async function createLb(sys: TestSystem) {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
  expect(res.status).toBe(201);
  return res.body.loadbalancer.id as string;
}

async function makeSpare(sys: TestSystem) {
  const id = randomUUID();
  await sys.temporal.workflow.execute('createAmphora', {
    taskQueue: sys.config.temporal.taskQueue,
    workflowId: `amphora-${id}-create`,
    args: [{ amphoraId: id, bootTimeoutSeconds: 30 }],
  });
  return id;
}

function withSystem(env: Record<string, string>, body: (get: () => TestSystem) => void) {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem(env);
  });
  afterAll(async () => {
    await sys?.stop();
  });
  afterEach(async () => {
    sys.failingSteps.clear();
    await expectNoOrphans(sys);
  });
  body(() => sys);
}

describe('createLoadBalancer (SINGLE, built)', () => {
  withSystem({}, (sys) => {
    it.each(['getLoadBalancerTopology', 'claimSpareAmphora', 'createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute', 'pushLoadBalancerConfig', 'finishLoadBalancerCreate'])(
      'fails at %s: LB ERROR, amphora gone',
      async (step) => {
        sys().failingSteps.add(step);
        const id = await createLb(sys());
        expect((await settledLb(sys(), id)).provisioningStatus).toBe('ERROR');
        const amphorae = await sys().db.amphora.findMany({ where: { loadBalancerId: id } });
        expect(amphorae.filter((a) => a.status !== 'DELETED')).toEqual([]);
      },
    );
  });
});

describe('createLoadBalancer (SINGLE, from a spare)', () => {
  withSystem({}, (sys) => {
    it.each(['pushLoadBalancerConfig', 'finishLoadBalancerCreate'])('fails at %s: LB ERROR, the spare back in the pool', async (step) => {
      const spare = await makeSpare(sys());
      sys().failingSteps.add(step);
      const id = await createLb(sys());
      expect((await settledLb(sys(), id)).provisioningStatus).toBe('ERROR');
      const row = await sys().db.amphora.findUniqueOrThrow({ where: { id: spare } });
      expect([row.status, row.loadBalancerId]).toEqual(['READY', null]);
    });
  });
});

describe('createLoadBalancer (ACTIVE_STANDBY)', () => {
  withSystem({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' }, (sys) => {
    it.each(['ensureServerGroup', 'createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute', 'pushLoadBalancerConfig', 'finishLoadBalancerCreate'])(
      'fails at %s: LB ERROR, both amphorae and the server group gone',
      async (step) => {
        // The built path: spares released above must not form a pair on two hosts (housekeeping.test.ts
        // covers pairs claimed from spares).
        await sys().db.amphora.updateMany({ where: { status: 'READY', loadBalancerId: null }, data: { hostId: null } });
        sys().failingSteps.add(step);
        const id = await createLb(sys());
        const lb = await settledLb(sys(), id);
        expect(lb.provisioningStatus).toBe('ERROR');
        await sys().temporal.workflow.getHandle(`loadbalancer-${id}-create`).result().catch(() => undefined);
        const amphorae = await sys().db.amphora.findMany({ where: { loadBalancerId: id } });
        expect(amphorae.filter((a) => a.status !== 'DELETED')).toEqual([]);
        expect((await sys().db.loadBalancer.findUniqueOrThrow({ where: { id } })).serverGroupId).toBeNull();
      },
    );
  });
});

describe('failoverAmphora', () => {
  withSystem({}, (sys) => {
    it.each(['getAmphoraForFailover', 'claimSpareAmphora', 'createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute', 'pushLoadBalancerConfig', 'switchAmphora'])(
      'fails at %s: LB ERROR, the old amphora still serving, no replacement left',
      async (step) => {
        const id = await createLb(sys());
        await settledLb(sys(), id);
        const [old] = await sys().db.amphora.findMany({ where: { loadBalancerId: id } });
        sys().failingSteps.add(step);
        expect((await sys().api('PUT', `/v2/octavia/amphorae/${old!.id}/failover`)).status).toBe(202);
        await eventually(async () => ((await settledLb(sys(), id)).provisioningStatus === 'ERROR' ? true : undefined));
        await sys().temporal.workflow.getHandle(`amphora-${old!.id}-failover`).result().catch(() => undefined);
        const amphorae = await sys().db.amphora.findMany({ where: { loadBalancerId: id } });
        expect(amphorae.filter((a) => a.status !== 'DELETED').map((a) => [a.id, a.status])).toEqual([[old!.id, 'ALLOCATED']]);
      },
    );
  });
});

describe('createAmphora (spare)', () => {
  withSystem({}, (sys) => {
    it.each(['createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute', 'markAmphoraReady'])(
      'fails at %s: no spare counted READY, nothing left',
      async (step) => {
        sys().failingSteps.add(step);
        const id = randomUUID();
        await expect(makeSpareWithId(sys(), id)).rejects.toThrow();
        const row = await sys().db.amphora.findUnique({ where: { id } });
        expect(row === null || row.status === 'DELETED').toBe(true);
      },
    );
  });
});

async function makeSpareWithId(sys: TestSystem, id: string) {
  await sys.temporal.workflow.execute('createAmphora', {
    taskQueue: sys.config.temporal.taskQueue,
    workflowId: `amphora-${id}-create`,
    args: [{ amphoraId: id, bootTimeoutSeconds: 30 }],
  });
}

describe('child, update and delete flows', () => {
  withSystem({}, (sys) => {
    it.each(['pushLoadBalancerConfig', 'finishChildChanges'])('listener create fails at %s: listener ERROR, LB ACTIVE', async (step) => {
      const lb = await createLb(sys());
      await settledLb(sys(), lb);
      sys().failingSteps.add(step);
      const res = await sys().api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 1000, loadbalancer_id: lb } });
      const listenerId = res.body.listener.id;
      expect((await settledLb(sys(), lb)).provisioningStatus).toBe('ACTIVE');
      expect((await sys().db.listener.findUniqueOrThrow({ where: { id: listenerId } })).provisioningStatus).toBe('ERROR');
    });

    it.each(['applyLoadBalancerUpdate', 'pushLoadBalancerConfig', 'markLoadBalancerActive'])('LB update fails at %s: LB ERROR', async (step) => {
      const lb = await createLb(sys());
      await settledLb(sys(), lb);
      sys().failingSteps.add(step);
      expect((await sys().api('PUT', `/v2/lbaas/loadbalancers/${lb}`, { loadbalancer: { name: 'n' } })).status).toBe(200);
      expect((await settledLb(sys(), lb)).provisioningStatus).toBe('ERROR');
    });

    it.each(['deleteLoadBalancerChildren', 'listLoadBalancerAmphorae', 'deleteAmphora', 'deleteServerGroup', 'markLoadBalancerDeleted'])(
      'LB delete fails at %s: LB ERROR, and a second delete succeeds',
      async (step) => {
        const lb = await createLb(sys());
        await settledLb(sys(), lb);
        sys().failingSteps.add(step);
        expect((await sys().api('DELETE', `/v2/lbaas/loadbalancers/${lb}`)).status).toBe(204);
        expect((await settledLb(sys(), lb)).provisioningStatus).toBe('ERROR');
        sys().failingSteps.clear();
        // 409 while the failed flow is still finishing (it settled the LB a moment before it ends).
        await eventually(async () => ((await sys().api('DELETE', `/v2/lbaas/loadbalancers/${lb}`)).status === 204 ? true : undefined));
        expect((await settledLb(sys(), lb)).provisioningStatus).toBe('DELETED');
      },
    );
  });
});
