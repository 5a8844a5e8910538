/**
 * Network steps of the flows (Octavia's network tasks): plugging each amphora into its load balancer's
 * VIP network, keeping the VIP's filtering in line with the listeners, and releasing the VIP. Each is
 * idempotent, as the network driver's calls are: a retried plug finds the port the first try made.
 */
import { DomainError } from '../common/errors';
import { AmphoraStatus, ProvisioningStatus } from '../common/status';
import { memberNetworkDelta } from '../domain/member-networks';
import { HAPROXY_BASE_PEER_PORT } from '../drivers/amphora/port';
import { DEFAULT_VRRP_ID } from '../drivers/amphora/rest/keepalived';
import type { AmphoraNetworkConfig, MemberNic, Vip } from '../drivers/network/port';
import type { ActivityDeps } from './deps';

type VipColumns = { vipAddress: string | null; vipPortId: string | null; vipSubnetId: string | null; vipNetworkId: string | null; vipQosPolicyId: string | null };

/** The VIP the API allocated, as the network driver knows it; null for a load balancer without one. */
function vipOf(lb: VipColumns): Vip | null {
  if (!lb.vipAddress || !lb.vipPortId || !lb.vipSubnetId || !lb.vipNetworkId) return null;
  return { ipAddress: lb.vipAddress, portId: lb.vipPortId, subnetId: lb.vipSubnetId, networkId: lb.vipNetworkId, qosPolicyId: lb.vipQosPolicyId };
}

/** A member network plugged into an amphora, for the agent's post_network_plug. */
export interface MemberNetworkPlug {
  amphoraId: string;
  nic: MemberNic;
}

export function networkActivities({ db, network, config }: ActivityDeps) {
  async function amphoraWithVip(amphoraId: string) {
    const amphora = await db.amphora.findUniqueOrThrow({ where: { id: amphoraId }, include: { loadBalancer: true } });
    const vip = amphora.loadBalancer ? vipOf(amphora.loadBalancer) : null;
    return { amphora, vip, lb: amphora.loadBalancer };
  }

  return {
    /**
     * plug_vip for one amphora: its port on the VIP network (with the VIP as an allowed address), recorded
     * on the amphora row (vrrp_* / ha_*), and what the amphora agent's VIP plug needs returned.
     */
    async plugAmphoraVip(amphoraId: string): Promise<AmphoraNetworkConfig> {
      const { amphora, vip, lb } = await amphoraWithVip(amphoraId);
      if (!vip || !lb) throw new DomainError(`Amphora ${amphoraId} has no load balancer VIP to plug.`);
      const net = await network.plugVip({ amphoraId, computeId: amphora.computeId ?? '' }, vip, lb.topology);
      await db.amphora.update({
        where: { id: amphoraId },
        // vrrp_id 1 on every amphora, whatever its topology, as Octavia's UpdateAmphoraeVIPData records it.
        data: { vrrpIp: net.vrrpIp, vrrpPortId: net.vrrpPortId, haIp: net.haIp, haPortId: net.haPortId, vrrpId: DEFAULT_VRRP_ID, updatedAt: new Date() },
      });
      return net;
    },

    /**
     * unplug_vip (compensation, delete and failover of the old amphora). Nothing plugged is fine. The
     * row stops naming the VRRP port, which is gone: a failover that fails after this leaves an amphora
     * the database knows to be off the VIP network (its address stays, for the pair's peers).
     */
    async unplugAmphoraVip(amphoraId: string): Promise<void> {
      const { amphora, vip } = await amphoraWithVip(amphoraId);
      if (!vip) return;
      await network.unplugVip({ amphoraId, computeId: amphora.computeId ?? '' }, vip);
      if (amphora.vrrpPortId) await db.amphora.update({ where: { id: amphoraId }, data: { vrrpPortId: null, updatedAt: new Date() } });
    },

    /** update_vip: the VIP's filtering follows the listeners that are not being deleted. */
    async updateLoadBalancerVip(loadBalancerId: string): Promise<void> {
      const lb = await db.loadBalancer.findUniqueOrThrow({
        where: { id: loadBalancerId },
        include: { listeners: { where: { provisioningStatus: { not: ProvisioningStatus.PENDING_DELETE } } } },
      });
      const vip = vipOf(lb);
      if (!vip) return;
      const listeners = lb.listeners.map((l) => ({ protocol: l.protocol, protocolPort: l.protocolPort, allowedCidrs: l.allowedCidrs, peerPort: HAPROXY_BASE_PEER_PORT }));
      await network.updateVip(loadBalancerId, vip, listeners, lb.topology);
    },

    /**
     * CalculateAmphoraDelta + HandleNetworkDelta: each amphora (the load balancer's serving ones, or
     * `amphoraIds`, a failover's replacement) is plugged into every network its members' subnets are on
     * and unplugged from the member networks no member needs any more (`exclude`: members, or pools with
     * their members, this flow deletes). Returns the NICs plugged now, for the agent's post_network_plug.
     * Idempotent: a retry finds what the first try plugged (and returns it again).
     */
    async plugMemberNetworks(input: { loadBalancerId: string; amphoraIds?: string[]; exclude?: string[] }): Promise<MemberNetworkPlug[]> {
      const exclude = new Set(input.exclude ?? []);
      const lb = await db.loadBalancer.findUniqueOrThrow({
        where: { id: input.loadBalancerId },
        include: { pools: { include: { members: true } } },
      });
      const subnets = new Set<string>();
      for (const pool of lb.pools) {
        if (exclude.has(pool.id) || pool.provisioningStatus === ProvisioningStatus.PENDING_DELETE) continue;
        for (const m of pool.members) {
          if (m.subnetId && !exclude.has(m.id) && m.provisioningStatus !== ProvisioningStatus.PENDING_DELETE) subnets.add(m.subnetId);
        }
      }
      const wanted = new Set<string>();
      for (const subnetId of subnets) wanted.add((await network.getSubnet(subnetId)).networkId);
      const amphorae = await db.amphora.findMany({
        where: input.amphoraIds
          ? { id: { in: input.amphoraIds } }
          : { loadBalancerId: input.loadBalancerId, status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.PENDING_CREATE] } },
      });
      const keep = [...(lb.vipNetworkId ? [lb.vipNetworkId] : []), ...config.openstack.amphora.bootNetworkIds];
      const plugs: MemberNetworkPlug[] = [];
      for (const a of amphorae) {
        if (!a.computeId) continue;
        const ref = { amphoraId: a.id, computeId: a.computeId };
        const delta = memberNetworkDelta({ wanted, plugged: await network.getPluggedNetworks(a.computeId), keep, managementIp: a.lbNetworkIp });
        for (const networkId of delta.add) plugs.push({ amphoraId: a.id, nic: await network.plugNetwork(ref, networkId) });
        for (const networkId of delta.remove) await network.unplugNetwork(ref, networkId);
      }
      return plugs;
    },

    /** deallocate_vip: the last network step of a delete. A VIP already released is fine. */
    async deallocateLoadBalancerVip(loadBalancerId: string): Promise<void> {
      const lb = await db.loadBalancer.findUniqueOrThrow({ where: { id: loadBalancerId } });
      const vip = vipOf(lb);
      if (vip) await network.deallocateVip(loadBalancerId, vip);
    },
  };
}
