/**
 * Database steps of child operations (listeners, pools, members, health monitors, L7 policies and rules). Each is one
 * transaction that moves the children and their load balancer together, so a child flow makes three
 * database round trips whatever its size: apply updates, finish (or fail).
 */
import { OperatingStatus, ProvisioningStatus } from '../common/status';
import { childResources, type ChildChange, type ChildResource } from '../common/resources';
import { childTable as table, type Tx } from '../db/children';
import type { ActivityDeps } from './deps';
import { releaseLoadBalancer } from '../db/loadbalancers';

const activeData = (now: Date) => ({ provisioningStatus: ProvisioningStatus.ACTIVE, updatedAt: now });

/**
 * Health monitors, L7 policies and rules: ONLINE once ACTIVE, OFFLINE when disabled (Octavia's
 * MarkHealthMonitorActiveInDB, MarkL7*ActiveInDB), on create and on every update. Listeners, pools and
 * members keep their operating status: only heartbeats change it.
 */
const BY_ADMIN_STATE: readonly ChildResource[] = ['healthmonitor', 'l7policy', 'l7rule'];

async function activate(tx: Tx, c: ChildChange, now: Date): Promise<void> {
  const t = table(tx, c.resource);
  if (!BY_ADMIN_STATE.includes(c.resource)) {
    await t.updateMany({ where: { id: c.id }, data: activeData(now) });
    return;
  }
  for (const enabled of [true, false]) {
    const data = { ...activeData(now), operatingStatus: enabled ? OperatingStatus.ONLINE : OperatingStatus.OFFLINE };
    await t.updateMany({ where: { id: c.id, enabled }, data });
    // The rules created with a policy (single-call create) are settled by the policy's flow.
    if (c.resource === 'l7policy' && c.operation === 'create') {
      await tx.l7Rule.updateMany({ where: { l7PolicyId: c.id, enabled, provisioningStatus: ProvisioningStatus.PENDING_CREATE }, data });
    }
  }
}

/**
 * Deletes a child row. An L7 policy's removal closes the gap it leaves in its listener's positions
 * (Octavia's ordering list): done here, where the row disappears, so a delete that fails (policy
 * ERROR, still in place) keeps its position. Idempotent: a retried step finds the row gone and
 * renumbers nothing.
 */
async function remove(tx: Tx, c: ChildChange): Promise<void> {
  if (c.resource !== 'l7policy') {
    await table(tx, c.resource).deleteMany({ where: { id: c.id } });
    return;
  }
  const policy = await tx.l7Policy.findUnique({ where: { id: c.id }, select: { listenerId: true, position: true } });
  if (!policy) return;
  await tx.l7Policy.delete({ where: { id: c.id } });
  await tx.l7Policy.updateMany({
    where: { listenerId: policy.listenerId, position: { gt: policy.position } },
    data: { position: { decrement: 1 } },
  });
}

/**
 * The children a single-call create wrote with its load balancer, while they are PENDING_CREATE: the
 * load balancer's create flow settles them with it. Only such a create leaves children PENDING_CREATE
 * under a load balancer that is itself PENDING_CREATE (a child's own create needs it ACTIVE).
 */
const pendingTree = (loadBalancerId: string) => {
  const pending = { provisioningStatus: ProvisioningStatus.PENDING_CREATE };
  return {
    listener: { ...pending, loadBalancerId },
    pool: { ...pending, loadBalancerId },
    member: { ...pending, pool: { loadBalancerId } },
    healthmonitor: { ...pending, pool: { loadBalancerId } },
    l7policy: { ...pending, listener: { loadBalancerId } },
    l7rule: { ...pending, l7Policy: { listener: { loadBalancerId } } },
  } satisfies Record<ChildResource, Record<string, unknown>>;
};

/** The create flow's success: the tree ACTIVE, each child as its own create flow would leave it. */
export async function activateLoadBalancerTree(tx: Tx, loadBalancerId: string, now: Date): Promise<void> {
  const where = pendingTree(loadBalancerId);
  // Rules go with their policies (activate).
  for (const resource of ['listener', 'pool', 'member', 'healthmonitor', 'l7policy'] as const) {
    const rows = await table(tx, resource).findMany({ where: where[resource], select: { id: true } });
    for (const { id } of rows) await activate(tx, { resource, id, operation: 'create' }, now);
  }
}

/** The create flow's failure: the tree ERROR with its load balancer (the cascade delete removes it). */
export async function failLoadBalancerTree(tx: Tx, loadBalancerId: string, now: Date): Promise<void> {
  const where = pendingTree(loadBalancerId);
  for (const resource of childResources) {
    await table(tx, resource).updateMany({ where: where[resource], data: { provisioningStatus: ProvisioningStatus.ERROR, updatedAt: now } });
  }
}

export function childActivities({ db }: ActivityDeps) {
  return {
    /** Writes the requested updates (Octavia applies them in the flow, while the object is PENDING_UPDATE). */
    async applyChildUpdates(changes: ChildChange[]): Promise<void> {
      const now = new Date();
      await db.$transaction(async (tx) => {
        for (const c of changes) {
          if (c.operation === 'update' && c.updates) {
            await table(tx, c.resource).updateMany({ where: { id: c.id }, data: { ...c.updates, updatedAt: now } });
          }
        }
      });
    },

    /** Success: created and updated children ACTIVE, deleted ones gone, the load balancer ACTIVE. */
    async finishChildChanges(input: { loadBalancerId: string; changes: ChildChange[] }): Promise<void> {
      const now = new Date();
      await db.$transaction(async (tx) => {
        for (const c of input.changes) {
          if (c.operation === 'delete') await remove(tx, c);
          else await activate(tx, c, now);
        }
        await releaseLoadBalancer(tx, input.loadBalancerId, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.ACTIVE, now);
      });
    },

    /** Failure: the children ERROR, the load balancer back to ACTIVE (it still serves its old configuration). */
    async failChildChanges(input: { loadBalancerId: string; changes: ChildChange[] }): Promise<void> {
      const now = new Date();
      await db.$transaction(async (tx) => {
        for (const c of input.changes) {
          await table(tx, c.resource).updateMany({
            where: { id: c.id },
            data: { provisioningStatus: ProvisioningStatus.ERROR, updatedAt: now },
          });
          if (c.resource === 'l7policy' && c.operation === 'create') {
            await tx.l7Rule.updateMany({
              where: { l7PolicyId: c.id, provisioningStatus: ProvisioningStatus.PENDING_CREATE },
              data: { provisioningStatus: ProvisioningStatus.ERROR, updatedAt: now },
            });
          }
        }
        await releaseLoadBalancer(tx, input.loadBalancerId, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.ACTIVE, now);
      });
    },
  };
}
