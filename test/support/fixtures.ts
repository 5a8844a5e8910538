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
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { FlowName } from '../../common/flows';
import type { TestSystem } from './system';

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
        await Promise.all(batch.map((h) => h.result().catch((err) => {
          if (!(err instanceof WorkflowFailedError)) throw err;
        })));
      }
    },
    async settledView(path) {
      await flows.settled();
      const res = await sys.api('GET', path);
      if (res.status !== 200) throw new Error(`GET ${path} after its flows: ${res.status} ${res.text}`);
      return Object.values(res.body as Record<string, Record<string, unknown>>)[0]!;
    },
  };
  watched.set(sys, flows);
  return flows;
}

/** Awaits one flow by its id (`<resource>-<id>-<operation>`), started by anyone. */
export async function awaitFlow(sys: TestSystem, workflowId: string): Promise<unknown> {
  return sys.temporal.workflow.getHandle(workflowId).result();
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
 * awaited (`<resource>-<id>-create`) before the next, as a client would; each must end ACTIVE.
 */
export async function createTree(sys: TestSystem, spec: TreeSpec): Promise<Tree> {
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
