/**
 * Database steps of child operations (listeners, pools, members, health monitors). Each is one
 * transaction that moves the children and their load balancer together, so a child flow makes three
 * database round trips whatever its size: apply updates, finish (or fail).
 */
import { OperatingStatus, ProvisioningStatus } from '../common/status';
import type { ChildChange, ChildResource } from '../common/resources';
import { childTable as table } from './db/children';
import type { ActivityDeps } from './deps';

/** A health monitor is ONLINE once ACTIVE (as Octavia shows it); other children keep their operating status. */
const activeData = (resource: ChildResource, now: Date) => ({
  provisioningStatus: ProvisioningStatus.ACTIVE,
  updatedAt: now,
  ...(resource === 'healthmonitor' ? { operatingStatus: OperatingStatus.ONLINE } : {}),
});

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
          const t = table(tx, c.resource);
          if (c.operation === 'delete') await t.deleteMany({ where: { id: c.id } });
          else await t.updateMany({ where: { id: c.id }, data: activeData(c.resource, now) });
        }
        await tx.loadBalancer.updateMany({
          where: { id: input.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_UPDATE },
          data: { provisioningStatus: ProvisioningStatus.ACTIVE, updatedAt: now },
        });
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
        }
        await tx.loadBalancer.updateMany({
          where: { id: input.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_UPDATE },
          data: { provisioningStatus: ProvisioningStatus.ACTIVE, updatedAt: now },
        });
      });
    },
  };
}
