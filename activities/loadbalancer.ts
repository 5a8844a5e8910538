/**
 * Load balancer state transitions. Each is one conditional update (or one transaction), so a flow
 * makes one database round trip per step and a retried step is harmless.
 */
import { AmphoraRole, AmphoraStatus, OperatingStatus, ProvisioningStatus, Topology } from '../common/status';
import type { ActivityDeps } from './deps';
import { deleteLoadBalancerChildren } from '../db/children';
import { releaseLoadBalancer } from '../db/loadbalancers';
import { activateLoadBalancerTree, failLoadBalancerTree } from './children';

const pending = [ProvisioningStatus.PENDING_CREATE, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.PENDING_DELETE];

export function loadBalancerActivities({ db, compute, config }: ActivityDeps) {
  return {
    /** What the create flow builds: the topology chosen at the API (flavor or default). */
    async getLoadBalancerTopology(loadBalancerId: string): Promise<Topology> {
      const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id: loadBalancerId }, select: { topology: true } });
      return lb.topology;
    },

    /**
     * The anti-affinity server group of an ACTIVE_STANDBY pair, created once and recorded on the load
     * balancer (a retry finds it there). Returns null when anti-affinity is disabled.
     */
    async ensureServerGroup(loadBalancerId: string): Promise<string | null> {
      const amp = config.openstack.amphora;
      if (!amp.enableAntiAffinity) return null;
      const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id: loadBalancerId } });
      if (lb.serverGroupId) return lb.serverGroupId;
      const id = await compute.createServerGroup(`octavia-lb-${loadBalancerId}`, amp.antiAffinityPolicy);
      await db.loadBalancer.update({ where: { id: loadBalancerId }, data: { serverGroupId: id } });
      return id;
    },

    /** Deletes the pair's server group (compensation, and the last step of a delete). Idempotent. */
    async deleteServerGroup(loadBalancerId: string): Promise<void> {
      const lb = await db.loadBalancer.findUnique({ where: { id: loadBalancerId } });
      if (!lb?.serverGroupId) return;
      await compute.deleteServerGroup(lb.serverGroupId);
      await db.loadBalancer.update({ where: { id: loadBalancerId }, data: { serverGroupId: null } });
    },

    /** update_load_balancer: writes the new values (the load balancer is PENDING_UPDATE). */
    async applyLoadBalancerUpdate(input: { loadBalancerId: string; updates: Record<string, unknown> }): Promise<void> {
      await db.loadBalancer.update({ where: { id: input.loadBalancerId }, data: { ...input.updates, updatedAt: new Date() } });
    },

    /** The end of an update or failover: ACTIVE again. */
    async markLoadBalancerActive(loadBalancerId: string): Promise<void> {
      await releaseLoadBalancer(db, loadBalancerId, ProvisioningStatus.PENDING_UPDATE, ProvisioningStatus.ACTIVE, new Date());
    },

    /** Cascade delete: every child of the load balancer, in one transaction. */
    async deleteLoadBalancerChildren(loadBalancerId: string): Promise<void> {
      await db.$transaction((tx) => deleteLoadBalancerChildren(tx, loadBalancerId));
    },

    /**
     * The create flow's last step: amphorae ALLOCATED and the load balancer ACTIVE, together. Its
     * operating status stays as the API wrote it (OFFLINE): as in Octavia (MarkLBActiveInDB), only the
     * amphorae's heartbeats make it ONLINE. (Flows recorded before this change call the same step.)
     */
    async finishLoadBalancerCreate(input: { loadBalancerId: string; amphoraIds: string[] }): Promise<void> {
      const now = new Date();
      await db.$transaction(async (tx) => {
        await tx.amphora.updateMany({
          where: { id: { in: input.amphoraIds }, status: { not: AmphoraStatus.DELETED } },
          data: { status: AmphoraStatus.ALLOCATED, updatedAt: now },
        });
        // A single-call create's tree is ACTIVE with its load balancer (Octavia's MarkLBActiveInDB with
        // mark_subobjects): the configuration just pushed carried it.
        await activateLoadBalancerTree(tx, input.loadBalancerId, now);
        await tx.loadBalancer.updateMany({
          where: { id: input.loadBalancerId, provisioningStatus: ProvisioningStatus.PENDING_CREATE },
          data: { provisioningStatus: ProvisioningStatus.ACTIVE, updatedAt: now },
        });
      });
    },

    /**
     * The amphorae serving a load balancer, with their roles (failover order). FAILOVER_STOPPED ones
     * too: a load balancer failover is how an operator recovers from a failover storm.
     */
    async listLoadBalancerAmphoraeWithRoles(loadBalancerId: string): Promise<{ id: string; role: AmphoraRole | null }[]> {
      return db.amphora.findMany({
        where: { loadBalancerId, status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.FAILOVER_STOPPED] } },
        select: { id: true, role: true },
        orderBy: { id: 'asc' },
      });
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
      const now = new Date();
      await db.$transaction(async (tx) => {
        // A failed create takes the tree of a single-call create with it: ERROR, never left PENDING.
        await failLoadBalancerTree(tx, loadBalancerId, now);
        await releaseLoadBalancer(tx, loadBalancerId, pending, ProvisioningStatus.ERROR, now);
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
