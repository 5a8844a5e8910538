/**
 * Start-up reconciliation: objects whose PENDING state was written by an API process that died before
 * it started their flow are settled by the next worker start.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { loadBalancerFlows, startFlow } from '../../common/flows';
import { logger } from '../../common/logger';
import { FLOW_START_GRACE_MS, reconcilePendingFlows } from '../../platform/reconcile';
import { executions } from '../support/health-monitor';
import { eventually, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

/** A pass now, or `laterMs` from now. */
const reconcile = (laterMs = 0) => reconcilePendingFlows(sys.db, sys.temporal, sys.config, logger, new Date(Date.now() + laterMs));

/** A load balancer as the API's create writes it, before it starts the flow (the VIP allocated). */
const pendingCreate = (createdAt = new Date()) =>
  sys.db.loadBalancer.create({
    data: {
      id: randomUUID(), projectId: 'p', provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE', createdAt,
      vipAddress: '198.51.100.1', vipPortId: randomUUID(), vipSubnetId: randomUUID(), vipNetworkId: randomUUID(),
    },
  });

it('starts the missing create flow of a PENDING_CREATE load balancer, and only once', async () => {
  // Written five minutes ago by a process that crashed before it started the flow.
  const { id } = await pendingCreate(new Date(Date.now() - 5 * 60_000));
  await reconcile();
  await reconcile(); // the flow is running or done: nothing more is started
  await eventually(async () => ((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus === 'ACTIVE' ? true : undefined));
  expect(await sys.db.amphora.count({ where: { loadBalancerId: id } })).toBe(1);
});

it('settles a load balancer left PENDING_UPDATE with no flow: children ERROR, load balancer ACTIVE', async () => {
  const id = randomUUID();
  const listenerId = randomUUID();
  const old = new Date(Date.now() - 5 * 60_000);
  await sys.db.loadBalancer.create({
    data: { id, projectId: 'p', provisioningStatus: 'PENDING_UPDATE', operatingStatus: 'ONLINE', updatedAt: old },
  });
  await sys.db.listener.create({
    data: { id: listenerId, projectId: 'p', loadBalancerId: id, protocol: 'TCP', protocolPort: 1, provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE' },
  });
  await reconcile();
  expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('ACTIVE');
  expect((await sys.db.listener.findUniqueOrThrow({ where: { id: listenerId } })).provisioningStatus).toBe('ERROR');
});

it("leaves a fresh PENDING_CREATE to the request that wrote it: that request's start succeeds, a later pass starts nothing more", async () => {
  const lb = await pendingCreate();
  // A worker starting between the request's write and its start of the flow.
  expect((await reconcile()).deferred).toBeGreaterThanOrEqual(1);
  await expect(sys.temporal.workflow.getHandle(`loadbalancer-${lb.id}-create`).describe()).rejects.toThrow(WorkflowNotFoundError);
  // The request starts its flow (a start from the reconciliation would have made this one fail, and the API answer 409).
  await startFlow(sys.temporal, sys.config.temporal.taskQueue, loadBalancerFlows.create(lb, sys.config));
  // The pass once the grace is over finds it started.
  await reconcile(FLOW_START_GRACE_MS + 1000);
  await eventually(async () => ((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lb.id } })).provisioningStatus === 'ACTIVE' ? true : undefined));
  expect(await executions(sys, `loadbalancer-${lb.id}-create`)).toBe(1);
});

it('leaves a recent PENDING_UPDATE alone (its flow may be starting)', async () => {
  const id = randomUUID();
  await sys.db.loadBalancer.create({
    data: { id, projectId: 'p', provisioningStatus: 'PENDING_UPDATE', operatingStatus: 'ONLINE', updatedAt: new Date() },
  });
  await reconcile();
  expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('PENDING_UPDATE');
  await sys.db.loadBalancer.update({ where: { id }, data: { provisioningStatus: 'ACTIVE' } });
});
