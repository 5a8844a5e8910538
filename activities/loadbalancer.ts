/**
 * Load balancer state transitions. Each is one conditional update (or one transaction), so a flow
 * makes one database round trip per step and a retried step is harmless.
 */
import { AmphoraStatus, OperatingStatus, ProvisioningStatus } from '../common/status';
import type { ActivityDeps } from './deps';

export function loadBalancerActivities({ db }: ActivityDeps) {
  return {
    /** The create flow's last step: amphorae ALLOCATED and the load balancer ACTIVE, together. */
    async finishLoadBalancerCreate(input: { loadBalancerId: string; amphoraIds: string[] }): Promise<void> {
      const now = new Date();
      await db.$transaction([
        db.amphora.updateMany({
          where: { id: { in: input.amphoraIds }, status: { not: AmphoraStatus.DELETED } },
          data: { status: AmphoraStatus.ALLOCATED, updatedAt: now },
        }),
        db.loadBalancer.updateMany({
          where: { id: input.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_CREATE },
          data: {
            provisioningStatus: ProvisioningStatus.ACTIVE,
            operatingStatus: OperatingStatus.ONLINE,
            updatedAt: now,
          },
        }),
      ]);
    },

    /** Amphora ids of a load balancer that still exist, for delete and failover. */
    async listLoadBalancerAmphorae(loadBalancerId: string): Promise<string[]> {
      const rows = await db.amphora.findMany({
        where: { loadBalancerId, status: { not: AmphoraStatus.DELETED } },
        select: { id: true },
        orderBy: { id: 'asc' },
      });
      return rows.map((r) => r.id);
    },

    /** Where every failed flow ends: the object is in a defined state (ERROR), never left PENDING_*. */
    async markLoadBalancerError(loadBalancerId: string): Promise<void> {
      await db.loadBalancer.updateMany({
        where: { id: loadBalancerId, provisioningStatus: { not: ProvisioningStatus.DELETED } },
        data: { provisioningStatus: ProvisioningStatus.ERROR, updatedAt: new Date() },
      });
    },

    /** Soft delete, as Octavia does: DELETED rows are hidden from the API and purged by housekeeping. */
    async markLoadBalancerDeleted(loadBalancerId: string): Promise<void> {
      await db.loadBalancer.updateMany({
        where: { id: loadBalancerId },
        data: {
          provisioningStatus: ProvisioningStatus.DELETED,
          operatingStatus: OperatingStatus.OFFLINE,
          updatedAt: new Date(),
        },
      });
    },
  };
}
