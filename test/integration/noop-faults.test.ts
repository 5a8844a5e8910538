/**
 * Trying faults by hand (README): NOOP_FAULTS in the environment breaks the no-op drivers of a whole
 * system, and its flows compensate as they do for a real fault. The system is built from the
 * environment as npm start builds it (test/support/system.ts hands the same settings to its drivers).
 */
import { watchFlows, type Flows, VIP_SUBNET } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

jest.setTimeout(60_000);

let sys: TestSystem;
let flows: Flows;
beforeAll(async () => {
  sys = await startTestSystem({ NOOP_FAULTS: 'config:error,compute:latency:50' });
  flows = watchFlows(sys);
});
afterAll(async () => {
  await sys?.stop();
});

it('NOOP_FAULTS=config:error: every create compensates, the load balancer ends ERROR, no instance is left', async () => {
  expect(sys.amphoraDriver.failUpdates).toBe(1);
  expect(sys.compute.faults.latencyMs).toBe(50);
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  expect(res.status).toBe(201);
  const id: string = res.body.loadbalancer.id;
  const lb = await flows.settledView(`/v2/lbaas/loadbalancers/${id}`);
  expect(lb).toMatchObject({ provisioning_status: 'ERROR', operating_status: 'OFFLINE' });

  // The flow failed at the configuration push, with the injected fault, and undid its amphora.
  const failure = await sys.temporal.workflow.getHandle(`loadbalancer-${id}-create`).result().catch((err: Error) => err);
  const causes: string[] = [];
  for (let e = failure as (Error & { cause?: unknown }) | undefined; e; e = e.cause as typeof e) causes.push(e.message);
  expect(causes).toContainEqual(expect.stringMatching(/^Injected fault: amphora [0-9a-f-]{36} rejected its configuration\.$/));
  const amphorae = await sys.db.amphora.findMany({ where: { loadBalancerId: id } });
  expect(amphorae.map((a) => a.status)).toEqual(['DELETED']);
  expect((await sys.compute.liveInstances()).map((i) => i.id)).not.toContain(amphorae[0]!.computeId);
});
