/**
 * Amphora agent steps of the flows besides the configuration push (configure.ts): waiting until a new
 * amphora's agent answers (Octavia's AmphoraComputeConnectivityWait: the driver's get_info, with its
 * connection retries), and bringing the VIP up on it with what the network driver plugged.
 */
import type { AmphoraNetworkConfig } from '../drivers/network/port';
import type { MemberNetworkPlug } from './network';
import type { ActivityDeps } from './deps';

export function amphoraAgentActivities({ db, amphoraDriver }: ActivityDeps) {
  async function target(amphoraId: string) {
    const a = await db.amphora.findUniqueOrThrow({ where: { id: amphoraId }, include: { loadBalancer: { select: { vipAddress: true } } } });
    return { target: { amphoraId: a.id, lbNetworkIp: a.lbNetworkIp, role: a.role }, vipAddress: a.loadBalancer?.vipAddress ?? null };
  }

  return {
    /** Returns the HAProxy version the agent reports (what the configuration is rendered for). */
    async waitForAmphoraAgent(amphoraId: string): Promise<string> {
      return (await amphoraDriver.getInfo((await target(amphoraId)).target)).haproxyVersion;
    },

    /** post_vip_plug: the agent finds the NIC by MAC and brings the VIP up on it. Plugged already is fine. */
    async plugVipOnAmphora(input: { amphoraId: string; network: AmphoraNetworkConfig }): Promise<void> {
      const { target: t, vipAddress } = await target(input.amphoraId);
      if (!vipAddress) return;
      await amphoraDriver.plugVip(t, vipAddress, input.network);
    },

    /** post_network_plug: each member NIC plugged by plugMemberNetworks brought up by its amphora's agent. */
    async plugMemberNetworksOnAmphorae(plugs: MemberNetworkPlug[]): Promise<void> {
      for (const plug of plugs) await amphoraDriver.plugNetwork((await target(plug.amphoraId)).target, plug.nic);
    },
  };
}
