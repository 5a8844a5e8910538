/**
 * How the API changes a load balancer's children, for every resource the same way (Octavia's rules):
 *   1. one transaction: lock the load balancer with a conditional UPDATE (ACTIVE -> PENDING_UPDATE; a
 *      concurrent request finds it PENDING and gets 409), then write the child rows as PENDING_*;
 *      a database constraint that refuses the write (duplicate port, duplicate member) rolls it all back;
 *   2. start the flow, which always leaves PENDING;
 *   3. if the flow cannot be started, undo step 1 and answer 503: nothing half-made.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowExecutionDescription } from '@temporalio/client';
import type { Request, Response } from 'express';
import { batchMembersFlow, childFlow, flowId, startFlow, type FlowName, type FlowRequest } from '../common/flows';
import { OperatingStatus, ProvisioningStatus } from '../common/status';
import type { ChildChange, ChildResource } from '../common/resources';
import { childTable, type Tx } from '../db/children';
import { lockLoadBalancer, releaseLoadBalancer } from '../db/loadbalancers';
import { Prisma } from '../generated/prisma/client';
import { authorize } from './context';
import { noteFlow } from './request-log';
import type { ApiRouter, BodyOf } from './contract';
import type { ApiDeps } from './deps';
import { isUuid } from './listing';
import type { Body, Resource } from './resource';
import { childQuota, enforceQuota } from '../domain/quotas';
import { ApiFault, FlowInProgress, ImmutableObject, NotFound, ServiceUnavailable } from '../common/errors';

export type { Tx };

export interface ChildMutation<T> {
  loadBalancerId: string;
  /** Octavia names the locked parent in its 409: `Load Balancer <id>` or `Pool <id>` for members. */
  lockedName?: { resource: string; id: string };
  /** Writes the child rows (PENDING_*) inside the locking transaction; returns what the response shows. */
  write(tx: Tx): Promise<{ result: T; changes: ChildChange[] }>;
  /** Reverts `write` when the flow cannot start. */
  revert(tx: Tx, result: T): Promise<void>;
  /** Turns a refused write (e.g. a unique violation) into Octavia's fault. */
  refused?(err: unknown): ApiFault | undefined;
  /** A batch member update of this pool: one flow for all the changes. */
  batchPoolId?: string;
}

export async function mutateChildren<T>(deps: ApiDeps, m: ChildMutation<T>): Promise<T> {
  const { db } = deps;
  let written: { result: T; changes: ChildChange[]; projectId: string };
  try {
    written = await db.$transaction(async (tx) => {
      const locked = await lockLoadBalancer(tx, m.loadBalancerId, [ProvisioningStatus.ACTIVE], ProvisioningStatus.PENDING_UPDATE);
      const lb = await tx.loadBalancer.findFirst({
        where: { id: m.loadBalancerId, provisioningStatus: { not: ProvisioningStatus.DELETED } },
        select: { projectId: true },
      });
      if (!lb) throw new NotFound('Load Balancer', m.loadBalancerId);
      if (!locked) {
        const name = m.lockedName ?? { resource: 'Load Balancer', id: m.loadBalancerId };
        throw new ImmutableObject(name.resource, name.id);
      }
      return { ...(await m.write(tx)), projectId: lb.projectId };
    });
  } catch (err) {
    throw m.refused?.(err) ?? err;
  }

  const lb = { id: m.loadBalancerId, projectId: written.projectId };
  const requestId = randomUUID().slice(0, 8);
  const [single] = written.changes;
  const flow =
    m.batchPoolId || !single
      ? batchMembersFlow(m.batchPoolId ?? '', written.changes, lb, requestId)
      : childFlow(single, lb, requestId);
  await startOrRevert(deps, flow, () =>
    db.$transaction(async (tx) => {
      await m.revert(tx, written.result);
      await releaseLoadBalancer(tx, m.loadBalancerId, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.ACTIVE);
    }),
  );
  return written.result;
}

/**
 * Starts the flow of a request whose PENDING state is written. If it cannot start, `revert` undoes the
 * write and the client gets 409 (the same operation's previous flow is still finishing) or 503
 * (Temporal unreachable): nothing half-made either way. `joins`: whether a flow of that id already
 * running is this write's own after all (a concurrent request that saw the write started it first);
 * the request then joins it instead of undoing what that flow works on.
 */
export async function startOrRevert(
  deps: ApiDeps,
  flow: FlowRequest<FlowName>,
  revert: () => Promise<unknown>,
  joins?: (running: WorkflowExecutionDescription) => boolean,
): Promise<void> {
  try {
    await startFlow(deps.temporal, deps.config.temporal.taskQueue, flow);
    noteFlow(flow);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError && joins) {
      const running = await deps.temporal.workflow.getHandle(flow.workflowId ?? flowId(flow)).describe().catch(() => undefined);
      if (running?.status.name === 'RUNNING' && joins(running)) return;
    }
    await revert();
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new FlowInProgress(flow.operation, flow.resourceType, flow.resourceId);
    }
    deps.log.error({ err, workflow: flow.workflow, resourceId: flow.resourceId }, 'Could not start the flow; the request was undone');
    throw new ServiceUnavailable('The workflow service');
  }
}

/**
 * Finds a visible object for a route, or throws Octavia's 404: also for an id that is not a UUID (or,
 * for a resource keyed otherwise, a key PostgreSQL text cannot hold).
 */
export async function findOr404<T>(name: string, id: string, find: (id: string) => Promise<T | null>, key = 'id'): Promise<T> {
  const valid = key === 'id' ? isUuid(id) : !id.includes('\0');
  const found = valid ? await find(id) : null;
  if (!found) throw new NotFound(name, id);
  return found;
}

/**
 * The write and revert of an update or a delete of one child: the row goes PENDING_UPDATE /
 * PENDING_DELETE (the flow applies the updates and settles it), and back to what it was if the flow
 * cannot start. The result is the row as the response shows it.
 */
export function markChild<T extends { id: string; provisioningStatus: string; updatedAt: Date | null }>(
  resource: ChildResource,
  current: T,
  operation: 'update' | 'delete',
  updates?: Record<string, unknown>,
): Pick<ChildMutation<T>, 'write' | 'revert'> {
  const pending = operation === 'update' ? ProvisioningStatus.PENDING_UPDATE : ProvisioningStatus.PENDING_DELETE;
  return {
    write: async (tx) => {
      const data = { provisioningStatus: pending, ...(operation === 'update' ? { updatedAt: new Date() } : {}) };
      const row = (await childTable(tx, resource).update({ where: { id: current.id }, data })) as T;
      return { result: row, changes: [{ resource, id: current.id, operation, ...(updates ? { updates } : {}) }] };
    },
    revert: async (tx) => {
      await childTable(tx, resource).update({
        where: { id: current.id },
        data: { provisioningStatus: current.provisioningStatus, updatedAt: current.updatedAt },
      });
    },
  };
}

/** A write refused by the database with this Prisma code (P2002: a unique constraint) is this fault. */
export const refusedAs = (code: string, fault: () => ApiFault) => (err: unknown) =>
  err instanceof Prisma.PrismaClientKnownRequestError && err.code === code ? fault() : undefined;

/** The load balancer a new child names, whoever's it is, if not DELETED; or Octavia's 404. */
export const findLoadBalancer = ({ db }: ApiDeps, id: string) =>
  findOr404('Load Balancer', id, (i) => db.loadBalancer.findFirst({ where: { id: i, provisioningStatus: { not: ProvisioningStatus.DELETED } } }));

type Target = Pick<ChildMutation<unknown>, 'loadBalancerId' | 'lockedName'>;

/** What a new child is made under: the load balancer it locks, and the project it belongs to (as in Octavia) and counts against. */
export type Owner = Target & { projectId: string };

/**
 * The columns every new child starts with: a new id, its load balancer's project (children belong to
 * it, as in Octavia), PENDING_CREATE, and OFFLINE until its flow has configured it.
 */
export const newChild = (projectId: string, operatingStatus: OperatingStatus = OperatingStatus.OFFLINE) => ({
  id: randomUUID(),
  projectId,
  provisioningStatus: ProvisioningStatus.PENDING_CREATE,
  operatingStatus,
});

/**
 * The POST of a load balancer's child: under its load balancer's lock, `check` (a per-parent limit),
 * the quota (403), then `create` writes the row (PENDING_CREATE) and returns it as the response shows
 * it, then its flow starts; the row goes again if the flow cannot start.
 */
export function createChild<T extends { id: string }>(
  deps: ApiDeps,
  child: ChildResource,
  owner: Owner,
  create: (tx: Tx) => Promise<T>,
  more: { check?(tx: Tx): Promise<void>; refused?: ChildMutation<T>['refused'] } = {},
): Promise<T> {
  return mutateChildren(deps, {
    loadBalancerId: owner.loadBalancerId,
    lockedName: owner.lockedName,
    refused: more.refused,
    write: async (tx) => {
      await more.check?.(tx);
      await enforceQuota(tx, owner.projectId, childQuota[child]);
      const row = await create(tx);
      return { result: row, changes: [{ resource: child, id: row.id, operation: 'create' }] };
    },
    revert: async (tx, row) => {
      await childTable(tx, child).deleteMany({ where: { id: row.id } });
    },
  });
}

type ChildRow = { id: string; projectId: string; provisioningStatus: string; updatedAt: Date | null };

export interface ChildRoutes<R extends ChildRow, U extends Body> {
  /** The flows' name of the resource. */
  child: ChildResource;
  /** The load balancer whose lock a change of `current` takes; it throws when the change is refused. */
  lock(current: R, req: Request, res: Response): Promise<Target>;
  /**
   * PUT /{id}: the update's checks and the columns it writes (its own PUT, when a resource has none);
   * the reply is the resource's preview of them.
   */
  update?(current: R, body: BodyOf<U>, req: Request, res: Response): Promise<Record<string, unknown>>;
}

/**
 * The PUT and DELETE of a load balancer's child, which every child does alike: the object is found,
 * the policy asked about its project (403), the change checked, the row marked PENDING_UPDATE / PENDING_DELETE under its load balancer's lock,
 * and its flow started; a PUT answers what the object will be once its flow has run.
 */
export function childRoutes<R extends ChildRow, U extends Body>(
  deps: ApiDeps,
  routes: ApiRouter,
  collection: { resource: Resource<R> & { bodies: { update: U } }; find(req: Request, res: Response): Promise<R> },
  spec: ChildRoutes<R, U>,
): void {
  const { resource, find } = collection;
  const { update } = spec;
  const lock = async (current: R, req: Request, res: Response): Promise<Target> => {
    const { loadBalancerId, lockedName } = await spec.lock(current, req, res);
    return { loadBalancerId, lockedName };
  };
  if (update) {
    routes.put('/:id', { summary: `Update a ${resource.singular}`, body: resource.bodies.update, response: resource.showSchema }, async (req, res, body) => {
      const current = await find(req, res);
      authorize(req, `${spec.child}:put`, current.projectId);
      const updates = await update(current, body, req, res);
      const row = await mutateChildren(deps, { ...(await lock(current, req, res)), ...markChild(spec.child, current, 'update', updates) });
      res.json({ [resource.singular]: resource.preview({ ...current, ...row }, updates) });
    });
  }
  routes.delete('/:id', { summary: `Delete a ${resource.singular}` }, async (req, res) => {
    const current = await find(req, res);
    authorize(req, `${spec.child}:delete`, current.projectId);
    await mutateChildren(deps, { ...(await lock(current, req, res)), ...markChild(spec.child, current, 'delete') });
    res.status(204).end();
  });
}
