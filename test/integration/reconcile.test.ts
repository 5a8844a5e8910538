/**
 * Start-up reconciliation: objects whose PENDING state was written by an API process that died before
 * it started their flow are settled by the next worker start.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../../common/logger';
import { reconcilePendingFlows } from '../../platform/reconcile';
import { eventually, startTestSystem, type TestSystem } from '../support/system';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.stop();
});

const reconcile = () => reconcilePendingFlows(sys.db, sys.temporal, sys.config, logger);

it('starts the missing create flow of a PENDING_CREATE load balancer, and only once', async () => {
  const id = randomUUID();
  await sys.db.loadBalancer.create({
    // The VIP the API would have allocated before a crash left the flow unstarted.
    data: {
      id, projectId: 'p', provisioningStatus: 'PENDING_CREATE', operatingStatus: 'OFFLINE',
      vipAddress: '198.51.100.1', vipPortId: randomUUID(), vipSubnetId: randomUUID(), vipNetworkId: randomUUID(),
    },
  });
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

it('leaves a recent PENDING_UPDATE alone (its flow may be starting)', async () => {
  const id = randomUUID();
  await sys.db.loadBalancer.create({
    data: { id, projectId: 'p', provisioningStatus: 'PENDING_UPDATE', operatingStatus: 'ONLINE', updatedAt: new Date() },
  });
  await reconcile();
  expect((await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } })).provisioningStatus).toBe('PENDING_UPDATE');
  await sys.db.loadBalancer.update({ where: { id }, data: { provisioningStatus: 'ACTIVE' } });
});
