/**
 * `npm run record-histories [-- <scenario>...]`: runs flows on a real dev server and database and saves
 * their event histories under test/fixtures/histories/. test/unit/replay.test.ts replays every saved
 * history against the current workflow code, so a change that breaks determinism for flows already
 * running fails CI.
 *
 * Histories are append-only (scripts/check-histories.sh fails CI when one changes or goes): a
 * recording never overwrites a file; when `<name>.json` exists, it is saved as `<name>.<n>.json` with
 * the next free n. Record the flows you changed (with a versioning patch) by naming their scenarios;
 * without names, every scenario is recorded again.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import globalSetup from '../support/global-setup';
import globalTeardown from '../support/global-teardown';
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const OUT = path.resolve(__dirname, '../fixtures/histories');
/** A member subnet the no-op network driver puts on a network of its own (not the VIP's). */
const MEMBER_SUBNET = '3f1c2d4e-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const BOOT = { bootTimeoutSeconds: 30, activeWaitSeconds: 0.05 };

/** The first free file name for `name`: `<name>.json`, else `<name>.<n>.json`. */
function freeName(name: string): string {
  for (let n = 1; ; n++) {
    const file = path.join(OUT, n === 1 ? `${name}.json` : `${name}.${n}.json`);
    if (!existsSync(file)) return file;
  }
}

async function save(handle: WorkflowHandle, name: string): Promise<void> {
  await handle.result().catch(() => undefined);
  const file = freeName(name);
  await writeFile(file, historyToJSON(await handle.fetchHistory()), { flag: 'wx' });
  console.log(`recorded ${path.basename(file)}`);
}

const handleOf = (sys: TestSystem, workflowId: string, runId?: string) => sys.temporal.workflow.getHandle(workflowId, runId);

async function createLb(sys: TestSystem): Promise<string> {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
  const id: string = res.body.loadbalancer.id;
  await handleOf(sys, `loadbalancer-${id}-create`).result().catch(() => undefined);
  return id;
}

/** Waits for the load balancer's current flow to end (the API answers 409 while it runs). */
async function whenSettled(sys: TestSystem, id: string): Promise<void> {
  await eventually(async () => {
    const lb = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
    return lb.provisioningStatus.startsWith('PENDING') ? undefined : true;
  });
}

type Scenario = (systems: { single: TestSystem; pair: TestSystem; quiet: TestSystem }) => Promise<void>;

const scenarios: Record<string, Scenario> = {
  async 'create-loadbalancer-ok'({ single }) {
    const id = await createLb(single);
    await save(handleOf(single, `loadbalancer-${id}-create`), 'create-loadbalancer-ok');
  },

  async 'create-loadbalancer-tree-ok'({ single }) {
    // A single-call create whose member is on a subnet of its own: the create-member-networks branch.
    const member = { address: '10.0.0.5', protocol_port: 80, subnet_id: '5d7b3c1e-2f4a-4b6c-8d9e-0a1b2c3d4e5f' };
    const pool = { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [member] };
    const res = await single.api('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { vip_subnet_id: VIP_SUBNET, listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: pool }] },
    });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
    await save(handleOf(single, `loadbalancer-${res.body.loadbalancer.id}-create`), 'create-loadbalancer-tree-ok');
  },

  async 'create-loadbalancer-compensated'({ single }) {
    single.compute.faults = { statusError: true };
    try {
      const id = await createLb(single);
      await save(handleOf(single, `loadbalancer-${id}-create`), 'create-loadbalancer-compensated');
    } finally {
      single.compute.faults = {};
    }
  },

  async 'create-loadbalancer-fallback-failed'({ single }) {
    // The push fails, the amphora's undo and its fallback fail too: the saga runs on and settles.
    for (const step of ['pushLoadBalancerConfig', 'deleteAmphora', 'markAmphoraError']) single.failingSteps.add(step);
    try {
      const id = await createLb(single);
      await save(handleOf(single, `loadbalancer-${id}-create`), 'create-loadbalancer-fallback-failed');
    } finally {
      single.failingSteps.clear();
    }
  },

  async 'create-loadbalancer-active-standby-ok'({ pair }) {
    const id = await createLb(pair);
    await save(handleOf(pair, `loadbalancer-${id}-create`), 'create-loadbalancer-active-standby-ok');
  },

  async 'create-loadbalancer-active-standby-compensated'({ pair }) {
    pair.compute.faults = { statusError: true };
    try {
      const id = await createLb(pair);
      await save(handleOf(pair, `loadbalancer-${id}-create`), 'create-loadbalancer-active-standby-compensated');
    } finally {
      pair.compute.faults = {};
    }
  },

  async 'update-loadbalancer-ok'({ single }) {
    const id = await createLb(single);
    const res = await single.api('PUT', `/v2/lbaas/loadbalancers/${id}`, { loadbalancer: { name: 'renamed' } });
    if (res.status !== 200) throw new Error(`update: ${res.status} ${res.text}`);
    const [flow] = await listFlows(single, `LoadBalancerId="${id}" AND Operation="update"`);
    await save(handleOf(single, flow!), 'update-loadbalancer-ok');
  },

  async 'change-children-ok'({ single }) {
    const lb = await createLb(single);
    const created = await single.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb } });
    const listener: string = created.body.listener.id;
    await save(handleOf(single, `listener-${listener}-create`), 'change-children-create-listener-ok');
    await whenSettled(single, lb);
    await single.api('PUT', `/v2/lbaas/listeners/${listener}`, { listener: { name: 'renamed' } });
    const [update] = await listFlows(single, `LoadBalancerId="${lb}" AND ResourceType="listener" AND Operation="update"`);
    await save(handleOf(single, update!), 'change-children-update-listener-ok');
    await whenSettled(single, lb);
    const pool = await single.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', listener_id: listener } });
    await handleOf(single, `pool-${pool.body.pool.id}-create`).result();
    // A member on another network than the VIP's: the batch plugs it (member-network-steps).
    await single.api('PUT', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { members: [{ address: '192.0.2.10', protocol_port: 80, subnet_id: MEMBER_SUBNET }] });
    const [batch] = await listFlows(single, `LoadBalancerId="${lb}" AND Operation="members"`);
    await save(handleOf(single, batch!), 'change-children-batch-members-ok');
    await whenSettled(single, lb);
    await single.api('DELETE', `/v2/lbaas/listeners/${listener}`);
    await save(handleOf(single, `listener-${listener}-delete`), 'change-children-delete-listener-ok');
  },

  async 'failover-amphora-ok'({ single }) {
    const lb = await createLb(single);
    const [amphora] = await single.db.amphora.findMany({ where: { loadBalancerId: lb } });
    await single.api('PUT', `/v2/octavia/amphorae/${amphora!.id}/failover`);
    await save(handleOf(single, `amphora-${amphora!.id}-failover`), 'failover-amphora-ok');
  },

  async 'failover-loadbalancer-ok'({ pair }) {
    const lb = await createLb(pair);
    await pair.api('PUT', `/v2/lbaas/loadbalancers/${lb}/failover`);
    const [flow] = await listFlows(pair, `LoadBalancerId="${lb}" AND ResourceType="loadbalancer" AND Operation="failover"`);
    await save(handleOf(pair, flow!), 'failover-loadbalancer-ok');
  },

  async 'delete-loadbalancer-cascade-ok'({ single }) {
    const lb = await createLb(single);
    await single.api('POST', '/v2/lbaas/listeners', { listener: { protocol: 'TCP', protocol_port: 443, loadbalancer_id: lb } });
    await whenSettled(single, lb);
    await single.api('DELETE', `/v2/lbaas/loadbalancers/${lb}?cascade=true`);
    await save(handleOf(single, `loadbalancer-${lb}-delete`), 'delete-loadbalancer-cascade-ok');
  },

  async 'housekeeping-ok'({ quiet }) {
    const taskQueue = quiet.config.temporal.taskQueue;
    const pool = await quiet.temporal.workflow.start('maintainSparePool', {
      taskQueue,
      workflowId: `record-spare-pool-${randomUUID()}`,
      args: [{ poolSize: 1, concurrency: 5, ...BOOT }],
    });
    await save(pool, 'maintain-spare-pool-ok');
    const [spare] = await quiet.db.amphora.findMany({ where: { loadBalancerId: null, status: 'READY' } });
    await save(handleOf(quiet, `amphora-${spare!.id}-create`), 'create-amphora-ok');
    // The spare gets stuck (ERROR a while ago): cleanup deletes it with its instance.
    await quiet.db.amphora.update({ where: { id: spare!.id }, data: { status: 'ERROR', updatedAt: new Date(Date.now() - 3600_000) } });
    const cleanup = await quiet.temporal.workflow.start('cleanupDeleted', {
      taskQueue,
      workflowId: `record-cleanup-${randomUUID()}`,
      args: [{ amphoraExpirySeconds: 604800, loadBalancerExpirySeconds: 604800, errorAmphoraAgeSeconds: 60, staleBootingSeconds: 1200, batchSize: 100 }],
    });
    await save(cleanup, 'cleanup-deleted-ok');
    const doomed = randomUUID();
    await quiet.temporal.workflow.execute('createAmphora', { taskQueue, workflowId: `amphora-${doomed}-create`, args: [{ amphoraId: doomed, ...BOOT }] });
    await save(
      await quiet.temporal.workflow.start('deleteAmphora', { taskQueue, workflowId: `amphora-${doomed}-delete`, args: [{ amphoraId: doomed, ...BOOT }] }),
      'delete-amphora-ok',
    );
  },

  async 'maintain-spare-pool-all-failed'({ quiet }) {
    // Every build of the run fails (the instance goes to ERROR): the run fails (patch spare-pool-fails-when-none-built).
    quiet.compute.faults = { statusError: true };
    try {
      const pool = await quiet.temporal.workflow.start('maintainSparePool', {
        taskQueue: quiet.config.temporal.taskQueue,
        workflowId: `record-spare-pool-${randomUUID()}`,
        args: [{ poolSize: 1, ...BOOT, concurrency: 1 }],
      });
      await save(pool, 'maintain-spare-pool-all-failed');
    } finally {
      quiet.compute.faults = {};
    }
  },

  async 'monitor-amphora-health-failover'({ quiet }) {
    // The system's own monitor checks once an hour here; this run's first check finds the stale
    // amphora and starts its failover as a child, and the run continues as new after a few checks.
    const lb = await createLb(quiet);
    const [amphora] = await quiet.db.amphora.findMany({ where: { loadBalancerId: lb } });
    // Stale for this run (2 s), not for the other systems' monitors (60 s).
    await quiet.db.amphoraHealth.create({ data: { amphoraId: amphora!.id, lastUpdate: new Date(Date.now() - 10_000) } });
    const handle = await quiet.temporal.workflow.start('monitorAmphoraHealth', {
      taskQueue: quiet.config.temporal.taskQueue,
      workflowId: `record-monitor-${randomUUID()}`,
      args: [{ checkIntervalSeconds: 0.3, heartbeatTimeoutSeconds: 2, heartbeatIntervalSeconds: 0.5, failoverThreshold: null, failoverThreads: 10, checksPerRun: 10 }],
    });
    const failover = handleOf(quiet, `amphora-${amphora!.id}-failover`);
    await eventually(() => failover.describe().then(() => true, () => undefined), 15000, 'the failover');
    await failover.result();
    await eventually(async () => ((await handle.describe()).runId !== handle.firstExecutionRunId ? true : undefined), 15000, 'continue-as-new');
    await handle.terminate('recorded');
    await save(handleOf(quiet, handle.workflowId, handle.firstExecutionRunId), 'monitor-amphora-health-failover');
    await quiet.db.amphoraHealth.deleteMany({ where: { amphoraId: amphora!.id } });
  },

  async 'openstack-flavor-ok'({ single }) {
    const made = await single.api('POST', '/v1/openstack_flavors', { name: `record-${randomUUID().slice(0, 8)}`, ram: 512, vcpus: 1, disk: 0 });
    const id: string = made.body.uuid;
    await single.api('POST', `/v1/openstack_flavors/${id}/register`);
    await save(handleOf(single, `openstackflavor-${id}-register`), 'register-openstack-flavor-ok');
    await single.api('DELETE', `/v1/openstack_flavors/${id}`);
    await save(handleOf(single, `openstackflavor-${id}-delete`), 'delete-openstack-flavor-ok');
  },
};

async function listFlows(sys: TestSystem, query: string): Promise<string[]> {
  return eventually(async () => {
    const ids: string[] = [];
    for await (const wf of sys.temporal.workflow.list({ query })) ids.push(wf.workflowId);
    return ids.length > 0 ? ids : undefined;
  }, 10000, query);
}

async function main() {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(w in scenarios));
  if (unknown.length > 0) throw new Error(`Unknown scenarios ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  await globalSetup();
  const systems = {
    single: await startTestSystem(),
    pair: await startTestSystem({ LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY', ENABLE_ANTI_AFFINITY: 'true' }),
    quiet: await startTestSystem({ HEALTH_CHECK_INTERVAL: '3600' }),
  };
  try {
    for (const name of wanted.length > 0 ? wanted : Object.keys(scenarios)) await scenarios[name]!(systems);
  } finally {
    for (const sys of Object.values(systems)) await sys.stop();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
