/**
 * Fault injection at every step of every create / failover / update / delete flow: the named activity
 * fails (non-retryably) the next time it runs. After each, the objects are in a defined state (never
 * PENDING_*) and the compute service holds no instance without a live amphora row. The same faults run
 * again with NETWORK_DRIVER=neutron COMPUTE_DRIVER=nova on the emulators (with the data-plane steps
 * they add), where after each Neutron holds no port, security group or rule the database does not know
 * and lacks none it does.
 */
import { randomUUID } from 'node:crypto';
import type { AmphoraComputeDriver } from '../../drivers/compute';
import { startNeutronTestSystem, type NeutronTestSystem } from '../support/neutron-system';
import { eventually, startTestSystem, type TestSystem as SystemOf } from '../support/system';
import { makeSpare, VIP_SUBNET } from '../support/fixtures';

/** The no-op compute driver's system, or the emulated cloud's (test/support/neutron-system.ts). */
type TestSystem = SystemOf<AmphoraComputeDriver>;
const isNeutron = (sys: TestSystem): sys is NeutronTestSystem => 'cloud' in sys;

jest.setTimeout(120_000);

async function settledLb(sys: TestSystem, id: string) {
  return eventually(async () => {
    const row = await sys.db.loadBalancer.findUnique({ where: { id } });
    return row && !row.provisioningStatus.startsWith('PENDING') ? row : undefined;
  }, 30000, `load balancer ${id} to settle`);
}

async function liveInstances(sys: TestSystem): Promise<Array<{ id: string; name: string }>> {
  if (isNeutron(sys)) return sys.cloud.nova.liveServers();
  return (sys as SystemOf).compute.liveInstances();
}

async function untracked(sys: TestSystem): Promise<string[]> {
  const live = await liveInstances(sys);
  const rows = await sys.db.amphora.findMany({ where: { computeId: { in: live.map((i) => i.id) } } });
  const tracked = new Set(rows.filter((r) => r.status !== 'DELETED').map((r) => r.computeId));
  return live.filter((i) => !tracked.has(i.id)).map((i) => i.name);
}

async function expectNoOrphans(sys: TestSystem) {
  if (isNeutron(sys)) {
    // Nova deletes a server a moment after its 204: what is left must go by itself, soon.
    await eventually(async () => ((await untracked(sys)).length === 0 ? true : undefined), 5000, 'untracked servers to go').catch(() => undefined);
  }
  expect(await untracked(sys)).toEqual([]);
  if (isNeutron(sys)) expect(await sys.leaks()).toEqual({ extra: [], missing: [] });
}

async function createLb(sys: TestSystem) {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: isNeutron(sys) ? sys.vipSubnetId : VIP_SUBNET } });
  expect(res.status).toBe(201);
  return res.body.loadbalancer.id as string;
}

/** How to start a kind of system; `key` names it, so that describes asking for the same one share it. */
interface SystemKind {
  key: string;
  start(): Promise<TestSystem>;
}

/**
 * The file's systems, one per kind, started by the first describe that asks and stopped at the end of
 * the file: every describe leaves no orphan behind (afterEach), so the next one starts from a clean
 * compute service either way, without a start of its own.
 */
const systems = new Map<string, Promise<TestSystem>>();
afterAll(async () => {
  for (const started of systems.values()) await (await started.catch(() => undefined))?.stop();
});

/** The no-op compute driver's system with this environment. */
const noop = (env: Record<string, string> = {}): SystemKind => ({ key: `noop ${JSON.stringify(env)}`, start: () => startTestSystem(env) });

function withSystem(kind: SystemKind, body: (get: () => TestSystem) => void) {
  let sys: TestSystem;
  beforeAll(async () => {
    if (!systems.has(kind.key)) systems.set(kind.key, kind.start());
    sys = await systems.get(kind.key)!;
  });
  afterEach(async () => {
    sys.failingSteps.clear();
    await expectNoOrphans(sys);
  });
  body(() => sys);
}

describe('createLoadBalancer (SINGLE, built)', () => {
  withSystem(noop(), (sys) => {
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
  withSystem(noop(), (sys) => {
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
  withSystem(noop({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' }), (sys) => {
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
  withSystem(noop(), (sys) => {
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
  withSystem(noop(), (sys) => {
    it.each(['createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute', 'markAmphoraReady'])(
      'fails at %s: no spare counted READY, nothing left',
      async (step) => {
        sys().failingSteps.add(step);
        const id = randomUUID();
        await expect(makeSpare(sys(), id)).rejects.toThrow();
        const row = await sys().db.amphora.findUnique({ where: { id } });
        expect(row === null || row.status === 'DELETED').toBe(true);
      },
    );
  });
});

describe('child, update and delete flows', () => {
  withSystem(noop(), (sys) => {
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

// --- NETWORK_DRIVER=neutron COMPUTE_DRIVER=nova on the emulators ------------------------------------

const neutron = (env: Record<string, string> = {}): SystemKind => ({ key: `neutron ${JSON.stringify(env)}`, start: () => startNeutronTestSystem(env) });

describe.each([
  {
    topology: 'SINGLE',
    env: {} as Record<string, string>,
    steps: ['createAmphoraRecord', 'buildAmphoraCompute', 'waitForAmphoraCompute', 'waitForAmphoraAgent', 'plugAmphoraVip', 'plugVipOnAmphora', 'updateLoadBalancerVip', 'pushLoadBalancerConfig', 'finishLoadBalancerCreate'],
    outcome: 'LB ERROR with its VIP port and group, no amphora, no VRRP port',
  },
  {
    topology: 'ACTIVE_STANDBY',
    env: { LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' },
    steps: ['ensureServerGroup', 'plugAmphoraVip', 'plugVipOnAmphora', 'updateLoadBalancerVip', 'configureAmphoraVrrp', 'finishLoadBalancerCreate'],
    outcome: 'LB ERROR, both amphorae and their VRRP ports gone',
  },
])('neutron: createLoadBalancer ($topology)', ({ env, steps, outcome }) => {
  withSystem(neutron(env), (sys) => {
    it.each(steps)(`fails at %s: ${outcome}`, async (step) => {
      sys().failingSteps.add(step);
      const id = await createLb(sys());
      expect((await settledLb(sys(), id)).provisioningStatus).toBe('ERROR');
      await sys().temporal.workflow.getHandle(`loadbalancer-${id}-create`).result().catch(() => undefined);
      const amphorae = await sys().db.amphora.findMany({ where: { loadBalancerId: id } });
      expect(amphorae.filter((a) => a.status !== 'DELETED')).toEqual([]);
    });
  });
});

describe('neutron: failoverAmphora', () => {
  withSystem(neutron(), (sys) => {
    it.each(['buildAmphoraCompute', 'waitForAmphoraAgent', 'unplugAmphoraVip', 'plugAmphoraVip', 'plugVipOnAmphora', 'plugMemberNetworks', 'pushLoadBalancerConfig', 'switchAmphora'])(
      'fails at %s: LB ERROR, the old amphora still there, the replacement and its ports gone',
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

    it('without a fault: the replacement has a VRRP port, the old one\'s is gone', async () => {
      const id = await createLb(sys());
      await settledLb(sys(), id);
      const [old] = await sys().db.amphora.findMany({ where: { loadBalancerId: id } });
      expect((await sys().api('PUT', `/v2/octavia/amphorae/${old!.id}/failover`)).status).toBe(202);
      await sys().temporal.workflow.getHandle(`amphora-${old!.id}-failover`).result();
      const [now] = await sys().db.amphora.findMany({ where: { loadBalancerId: id, status: 'ALLOCATED' } });
      expect(now!.id).not.toBe(old!.id);
      const port = (sys() as NeutronTestSystem).cloud.neutron.state.port(now!.vrrpPortId!);
      expect(port.deviceId).toBe(now!.computeId);
    });
  });
});

describe('neutron: listener, member and delete flows', () => {
  withSystem(neutron(), (sys) => {
    it('listener add and remove: the group\'s rules follow', async () => {
      const lb = await createLb(sys());
      await settledLb(sys(), lb);
      const res = await sys().api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 8080, loadbalancer_id: lb } });
      await sys().temporal.workflow.getHandle(`listener-${res.body.listener.id}-create`).result();
      expect(await (sys() as NeutronTestSystem).leaks()).toEqual({ extra: [], missing: [] });
      expect((await sys().api('DELETE', `/v2/lbaas/listeners/${res.body.listener.id}`)).status).toBe(204);
      await sys().temporal.workflow.getHandle(`listener-${res.body.listener.id}-delete`).result();
    });

    it.each(['pushLoadBalancerConfig', 'updateLoadBalancerVip', 'finishChildChanges'])('listener create fails at %s: listener ERROR, LB ACTIVE', async (step) => {
      const lb = await createLb(sys());
      await settledLb(sys(), lb);
      sys().failingSteps.add(step);
      const res = await sys().api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 1000, loadbalancer_id: lb } });
      const listenerId = res.body.listener.id;
      expect((await settledLb(sys(), lb)).provisioningStatus).toBe('ACTIVE');
      await sys().temporal.workflow.getHandle(`listener-${listenerId}-create`).result().catch(() => undefined);
      expect((await sys().db.listener.findUniqueOrThrow({ where: { id: listenerId } })).provisioningStatus).toBe('ERROR');
    });

    it.each(['plugMemberNetworks', 'plugMemberNetworksOnAmphorae'])('member create on another network fails at %s: member ERROR, LB ACTIVE', async (step) => {
      const n = sys() as NeutronTestSystem;
      const other = n.cloud.neutron.addNetwork({ name: `members-${step}`, cidr: step === 'plugMemberNetworks' ? '10.91.0.0/24' : '10.92.0.0/24' });
      const lb = await createLb(sys());
      await settledLb(sys(), lb);
      const pool = await sys().api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } });
      await sys().temporal.workflow.getHandle(`pool-${pool.body.pool.id}-create`).result();
      sys().failingSteps.add(step);
      const member = await sys().api('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '10.91.0.5', protocol_port: 80, subnet_id: other.subnetId } });
      await sys().temporal.workflow.getHandle(`member-${member.body.member.id}-create`).result().catch(() => undefined);
      expect((await settledLb(sys(), lb)).provisioningStatus).toBe('ACTIVE');
      expect((await sys().db.member.findUniqueOrThrow({ where: { id: member.body.member.id } })).provisioningStatus).toBe('ERROR');
    });

    it.each(['deleteLoadBalancerChildren', 'unplugAmphoraVip', 'deleteAmphora', 'deallocateLoadBalancerVip', 'markLoadBalancerDeleted'])(
      'LB cascade delete fails at %s: LB ERROR, and a second delete removes everything',
      async (step) => {
        const lb = await createLb(sys());
        await settledLb(sys(), lb);
        const listener = await sys().api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 443, loadbalancer_id: lb } });
        await sys().temporal.workflow.getHandle(`listener-${listener.body.listener.id}-create`).result();
        sys().failingSteps.add(step);
        expect((await sys().api('DELETE', `/v2/lbaas/loadbalancers/${lb}?cascade=true`)).status).toBe(204);
        expect((await settledLb(sys(), lb)).provisioningStatus).toBe('ERROR');
        await sys().temporal.workflow.getHandle(`loadbalancer-${lb}-delete`).result().catch(() => undefined);
        sys().failingSteps.clear();
        await eventually(async () => ((await sys().api('DELETE', `/v2/lbaas/loadbalancers/${lb}?cascade=true`)).status === 204 ? true : undefined));
        expect((await settledLb(sys(), lb)).provisioningStatus).toBe('DELETED');
        await sys().temporal.workflow.getHandle(`loadbalancer-${lb}-delete`).result().catch(() => undefined);
      },
    );
  });
});
