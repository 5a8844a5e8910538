/**
 * keepalived VRRP in the amphorae of an ACTIVE_STANDBY load balancer, as Octavia's vrrp subflow does
 * it (CreateVRRPGroupForLB, then per amphora AmphoraUpdateVRRPInterface, AmphoraVRRPUpdate,
 * AmphoraVRRPStart): the VIP lives on the MASTER, and the BACKUP takes it when the MASTER's
 * advertisements stop.
 *
 * The group's password is a secret: it is made, read and rendered into keepalived's configuration
 * inside these steps, from the database, and never leaves them (no activity input, result or log
 * carries it or the rendered text).
 */
import { DomainError } from '../common/errors';
import { AmphoraRole, AmphoraStatus } from '../common/status';
import { DEFAULT_AGENT_CONFIG } from '../drivers/amphora/rest/agent-config';
import { DEFAULT_VRRP_ID, VRRP_PRIORITY, newVrrpGroup, renderKeepalivedVrrpConfig } from '../drivers/amphora/rest/keepalived';
import type { Amphora, LoadBalancer, VrrpGroup } from '../generated/prisma/client';
import type { ActivityDeps } from './deps';

export function vrrpActivities({ db, amphoraDriver, network, config }: ActivityDeps) {
  const options = config.dataPlane.keepalivedVrrp;

  return {
    /** The load balancer's VRRP group, made once: a retry (or a later call) keeps the first one. */
    async ensureVrrpGroup(loadBalancerId: string): Promise<void> {
      const group = newVrrpGroup(loadBalancerId, options);
      await db.vrrpGroup.upsert({
        where: { loadBalancerId },
        create: { loadBalancerId, vrrpGroupName: group.name, vrrpAuthType: group.authType, vrrpAuthPass: group.authPass, advertInt: group.advertInt },
        update: {},
      });
    },

    /**
     * One amphora of the pair, in Octavia's order: the NIC its agent holds its VRRP address on (keepalived's
     * interface), recorded with vrrp_id and its role's priority; then keepalived's configuration, with the
     * other amphorae of the pair as unicast peers, uploaded, and keepalived started (the agent reloads a
     * running one). `replacing`: the amphora a failover is replacing, no longer a peer although it is
     * still ALLOCATED until the switch. Idempotent: the same calls again.
     */
    async configureAmphoraVrrp(input: { loadBalancerId: string; amphoraId: string; replacing?: string }): Promise<void> {
      const lb = await db.loadBalancer.findUniqueOrThrow({
        where: { id: input.loadBalancerId },
        include: {
          vrrpGroup: true,
          amphorae: { where: { status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.PENDING_CREATE] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
        },
      });
      const amphora = lb.amphorae.find((a) => a.id === input.amphoraId);
      // As Octavia's update_vrrp_conf and start_vrrp_service: an amphora no longer serving is ignored.
      if (!amphora) return;
      const { group, vipAddress, vipSubnetId, role, vrrpIp } = pairMember(lb, amphora);
      const target = { amphoraId: amphora.id, lbNetworkIp: amphora.lbNetworkIp, role };

      const vrrpInterface = await amphoraDriver.getInterface(target, vrrpIp);
      const vrrpPriority = VRRP_PRIORITY[role];
      await db.amphora.update({ where: { id: amphora.id }, data: { vrrpInterface, vrrpId: DEFAULT_VRRP_ID, vrrpPriority, updatedAt: new Date() } });

      const subnet = await network.getSubnet(vipSubnetId);
      // The renderer peers with ALLOCATED amphorae, as Octavia configures VRRP once the pair is allocated;
      // ours are configured while the ones being built are still PENDING_CREATE, so the pair is given as
      // it will be. An amphora without a VRRP address is not plugged: nothing to peer with yet.
      const pair = lb.amphorae
        .filter((a) => a.id !== input.replacing && a.vrrpIp)
        .map((a) => ({ id: a.id, vrrpIp: a.vrrpIp, status: AmphoraStatus.ALLOCATED }));
      const keepalivedConfig = renderKeepalivedVrrpConfig(
        {
          group: { name: group.vrrpGroupName, authType: group.vrrpAuthType, authPass: group.vrrpAuthPass, advertInt: group.advertInt },
          vipAddress,
          vipSubnet: { subnetCidr: subnet.cidr, gateway: subnet.gatewayIp, hostRoutes: subnet.hostRoutes },
          amphora: { role, vrrpIp, vrrpInterface, vrrpId: DEFAULT_VRRP_ID, vrrpPriority },
          amphorae: pair,
        },
        options,
        DEFAULT_AGENT_CONFIG.basePath,
      );
      await amphoraDriver.uploadVrrpConfig(target, keepalivedConfig);
      await amphoraDriver.startVrrp(target);
    },
  };
}

type LoadBalancerWithPair = LoadBalancer & { vrrpGroup: VrrpGroup | null; amphorae: Amphora[] };

/** What configuring VRRP on one amphora needs, or why it cannot be (final: retrying changes nothing). */
function pairMember(lb: LoadBalancerWithPair, amphora: Amphora) {
  const fail = (why: string) => new DomainError(`Cannot configure VRRP on amphora ${amphora.id}: ${why}.`);
  if (!lb.vrrpGroup) throw fail(`load balancer ${lb.id} has no VRRP group`);
  if (!lb.vipAddress || !lb.vipSubnetId) throw fail(`load balancer ${lb.id} has no VIP`);
  const role = amphora.role;
  if (role !== AmphoraRole.MASTER && role !== AmphoraRole.BACKUP) throw fail(`its role is ${role}, not MASTER or BACKUP`);
  if (!amphora.vrrpIp) throw fail('it has no VRRP address (its VIP is not plugged)');
  return { group: lb.vrrpGroup, vipAddress: lb.vipAddress, vipSubnetId: lb.vipSubnetId, role, vrrpIp: amphora.vrrpIp };
}
