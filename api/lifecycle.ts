/**
 * How the API changes a load balancer's children, for every resource the same way (Octavia's rules):
 *   1. one transaction: lock the load balancer with a conditional UPDATE (ACTIVE -> PENDING_UPDATE; a
 *      concurrent request finds it PENDING and gets 409), then write the child rows as PENDING_*;
 *      a database constraint that refuses the write (duplicate port, duplicate member) rolls it all back;
 *   2. start the flow, which always leaves PENDING;
 *   3. if the flow cannot be started, undo step 1 and answer 503: nothing half-made.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { batchMembersFlow, childFlow, startFlow, type FlowName, type FlowRequest } from '../common/flows';
import { ProvisioningStatus } from '../common/status';
import type { ChildChange, ChildResource } from '../common/resources';
import { childTable, type Tx } from '../db/children';
import type { ApiDeps } from './deps';
import { isUuid } from './listing';
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
      const locked = await tx.loadBalancer.updateMany({
        where: { id: m.loadBalancerId, provisioningStatus: ProvisioningStatus.ACTIVE },
        data: { provisioningStatus: ProvisioningStatus.PENDING_UPDATE, updatedAt: new Date() },
      });
      const lb = await tx.loadBalancer.findFirst({
        where: { id: m.loadBalancerId, provisioningStatus: { not: ProvisioningStatus.DELETED } },
        select: { projectId: true },
      });
      if (!lb) throw new NotFound('Load Balancer', m.loadBalancerId);
      if (locked.count === 0) {
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
      await tx.loadBalancer.updateMany({
        where: { id: m.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_UPDATE },
        data: { provisioningStatus: ProvisioningStatus.ACTIVE },
      });
    }),
  );
  return written.result;
}

/**
 * Starts the flow of a request whose PENDING state is written. If it cannot start, `revert` undoes the
 * write and the client gets 409 (the same operation's previous flow is still finishing) or 503
 * (Temporal unreachable): nothing half-made either way.
 */
export async function startOrRevert(deps: ApiDeps, flow: FlowRequest<FlowName>, revert: () => Promise<unknown>): Promise<void> {
  try {
    await startFlow(deps.temporal, deps.config.temporal.taskQueue, flow);
  } catch (err) {
    await revert();
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new FlowInProgress(flow.operation, flow.resourceType, flow.resourceId);
    }
    deps.log.error({ err, workflow: flow.workflow, resourceId: flow.resourceId }, 'Could not start the flow; the request was undone');
    throw new ServiceUnavailable('The workflow service');
  }
}

/** Finds a visible object by id for a route, or throws Octavia's 404 (also for ids that are not UUIDs). */
export async function findOr404<T>(name: string, id: string, find: (id: string) => Promise<T | null>): Promise<T> {
  const found = isUuid(id) ? await find(id) : null;
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
