/**
 * Shared fixtures of the flow tests: a load balancer tree made through the API, and waiting for the
 * flows a request started by awaiting their results through the Temporal client, instead of polling
 * the API or the database until a status leaves PENDING_*.
 *
 * Create and delete flows have ids a test can compute (`<resource>-<id>-<operation>`, common/flows.ts),
 * but updates carry a request id the API draws at random; so the fixture records every flow the API
 * starts through the system's Temporal client (the API and the test share that client) and awaits
 * exactly those. The real start still happens: this observes Temporal, it does not stand in for it.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { FlowName } from '../../common/flows';
import type { AmphoraComputeDriver } from '../../drivers/compute';
import { eventually, type TestSystem as SystemOf } from './system';

/** Any test system: the no-op compute driver's, or the Nova emulator's (test/support/neutron-system.ts). */
type TestSystem = SystemOf<AmphoraComputeDriver>;

/** The VIP subnet of the tests' load balancers (the no-op network driver accepts any). */
export const VIP_SUBNET = '8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11';

/** The flows requests start (common/flows.ts FlowInputs); the long-running health monitor is not one. */
const REQUEST_FLOWS = new Set<string>([
  'createLoadBalancer',
  'updateLoadBalancer',
  'deleteLoadBalancer',
  'failoverLoadBalancer',
  'failoverAmphora',
  'changeChildren',
  'registerOpenstackFlavor',
  'deleteOpenstackFlavor',
] satisfies FlowName[]);

export interface Flows {
  /** Awaits every flow started since the last call; a flow that failed counts as done (the test reads the state it left). */
  settled(): Promise<void>;
  /** settled(), then the object at an API path as GET shows it (`{ listener: {...} }` unwrapped). */
  settledView(path: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** settledView() of an object that must have come back ACTIVE (a load balancer after its child flows). */
  settledActive(path: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** settled(), then expects the object at `path` gone (404). */
  gone(path: string): Promise<void>;
  /** The ids of the flows started so far, oldest first (awaited or not). */
  readonly started: readonly string[];
}

const watched = new WeakMap<TestSystem, Flows>();

/** The flows of `sys`'s requests from now on (one recorder per system, however often called). */
export function watchFlows(sys: TestSystem): Flows {
  const known = watched.get(sys);
  if (known) return known;
  const client = sys.temporal.workflow;
  const start = client.start.bind(client);
  const pending: WorkflowHandle[] = [];
  const started: string[] = [];
  client.start = (async (type: Parameters<typeof start>[0], options: Parameters<typeof start>[1]) => {
    const handle = await start(type, options);
    const name = typeof type === 'string' ? type : type.name;
    if (REQUEST_FLOWS.has(name)) {
      pending.push(handle);
      started.push(handle.workflowId);
    }
    return handle;
  }) as typeof client.start;

  const flows: Flows = {
    started,
    async settled() {
      while (pending.length > 0) {
        const batch = pending.splice(0);
        await Promise.all(batch.map((h) => ended(h.result())));
      }
    },
    async settledView(path) {
      await flows.settled();
      const res = await sys.api('GET', path);
      if (res.status !== 200) throw new Error(`GET ${path} after its flows: ${res.status} ${res.text}`);
      return Object.values(res.body as Record<string, Record<string, unknown>>)[0]!;
    },
    async settledActive(path) {
      const view = await flows.settledView(path);
      expect(view.provisioning_status).toBe('ACTIVE');
      return view;
    },
    async gone(path) {
      await flows.settled();
      expect((await sys.api('GET', path)).status).toBe(404);
    },
  };
  watched.set(sys, flows);
  return flows;
}

/**
 * A check for requests that must be refused: `refused(method, path, body, expected)` expects the answer
 * `expected` ({ status, body }) and that nothing `snapshot` reads (the file's counts, rows, statuses)
 * changed. `sys` is a getter, so a file can make the check before its beforeAll starts the system.
 */
export function refusalCheck(sys: () => Pick<TestSystem, 'api'>, snapshot: () => Promise<unknown>) {
  return async (method: string, path: string, body: unknown, expected: { status: number; body: unknown }): Promise<void> => {
    const before = await snapshot();
    const res = await sys().api(method, path, body);
    expect({ status: res.status, body: res.body }).toEqual(expected);
    expect(await snapshot()).toEqual(before);
  };
}

/** An Octavia fault body (WSME's: `faultcode` Client for 4xx, Server for 5xx) as a matcher for sys.api's answer. */
export const fault = (status: number, faultstring: string) => ({
  status,
  body: { faultcode: status >= 500 ? 'Server' : 'Client', faultstring, debuginfo: null },
});

/** Awaits one flow by its id (`<resource>-<id>-<operation>`), started by anyone. */
export async function awaitFlow(sys: Pick<TestSystem, 'temporal'>, workflowId: string): Promise<unknown> {
  return sys.temporal.workflow.getHandle(workflowId).result();
}

/** Awaits a flow's end whether it completed or failed (the test reads the state it left). */
const ended = (p: Promise<unknown>) => p.catch((err) => {
  if (!(err instanceof WorkflowFailedError)) throw err;
});

/**
 * POSTs a load balancer (on VIP_SUBNET unless the body says otherwise), awaits its create flow and
 * expects it to have left the load balancer `expected`; returns the row.
 */
export async function createLoadBalancer(sys: TestSystem, expected = 'ACTIVE', body: Record<string, unknown> = {}) {
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET, ...body } });
  if (res.status !== 201) throw new Error(`POST /v2/lbaas/loadbalancers: ${res.status} ${res.text}`);
  const id = res.body.loadbalancer.id as string;
  await ended(awaitFlow(sys, `loadbalancer-${id}-create`));
  const row = await sys.db.loadBalancer.findUniqueOrThrow({ where: { id } });
  expect(row.provisioningStatus).toBe(expected);
  return row;
}

/**
 * Polls until a load balancer has left PENDING_* and expects `expected`: for flows the test did not
 * start itself and cannot await by id (the health manager's failovers, the spare pool's).
 */
export async function settledLoadBalancer(sys: TestSystem, id: string, expected = 'ACTIVE') {
  const lb = await eventually(async () => {
    const row = await sys.db.loadBalancer.findUnique({ where: { id } });
    return row && !row.provisioningStatus.startsWith('PENDING') ? row : undefined;
  }, 30000, `load balancer ${id} to settle`);
  expect(lb.provisioningStatus).toBe(expected);
  return lb;
}

/** Builds one spare amphora (`id`, or a new one) with the createAmphora flow; returns its id. */
export async function makeSpare(sys: TestSystem, id: string = randomUUID()): Promise<string> {
  await sys.temporal.workflow.execute('createAmphora', {
    taskQueue: sys.config.temporal.taskQueue,
    workflowId: `amphora-${id}-create`,
    args: [{ amphoraId: id, bootTimeoutSeconds: 30 }],
  });
  return id;
}

export interface TreeSpec {
  vipSubnetId: string;
  /** More of the load balancer's POST body (name, description, ...). */
  loadBalancer?: Record<string, unknown>;
  /** Omit to stop at the load balancer. */
  listener?: Record<string, unknown>;
  pool?: Record<string, unknown>;
  members?: Record<string, unknown>[];
  healthMonitor?: Record<string, unknown>;
}

export interface Tree {
  loadBalancerId: string;
  listenerId?: string;
  poolId?: string;
  memberIds: string[];
  healthMonitorId?: string;
}

/**
 * LB -> listener -> pool -> members -> health monitor, each created through the API and its flow
 * awaited (`<resource>-<id>-create`) before the next, as a client would; each must end ACTIVE. Any API
 * and Temporal client will do (a test system's, or a deployment's: cluster.test.ts).
 */
export async function createTree(sys: Pick<TestSystem, 'api' | 'temporal'>, spec: TreeSpec): Promise<Tree> {
  const create = async (resource: string, path: string, body: Record<string, unknown>) => {
    const res = await sys.api('POST', path, { [resource]: body });
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
    const id = res.body[resource].id as string;
    await awaitFlow(sys, `${resource}-${id}-create`);
    const view = await sys.api('GET', `${path}/${id}`);
    if (view.body?.[resource]?.provisioning_status !== 'ACTIVE') throw new Error(`${resource} ${id} settled ${view.text}`);
    return id;
  };
  const tree: Tree = { loadBalancerId: await create('loadbalancer', '/v2/lbaas/loadbalancers', { vip_subnet_id: spec.vipSubnetId, ...spec.loadBalancer }), memberIds: [] };
  const lb = { loadbalancer_id: tree.loadBalancerId };
  if (spec.listener) tree.listenerId = await create('listener', '/v2/lbaas/listeners', { ...lb, ...spec.listener });
  if (spec.pool) {
    const parent = tree.listenerId ? { listener_id: tree.listenerId } : lb;
    tree.poolId = await create('pool', '/v2/lbaas/pools', { ...parent, ...spec.pool });
    for (const member of spec.members ?? []) tree.memberIds.push(await create('member', `/v2/lbaas/pools/${tree.poolId}/members`, member));
    if (spec.healthMonitor) tree.healthMonitorId = await create('healthmonitor', '/v2/lbaas/healthmonitors', { pool_id: tree.poolId, ...spec.healthMonitor });
  }
  return tree;
}
