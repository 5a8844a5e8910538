/**
 * A test system with NETWORK_DRIVER=neutron and COMPUTE_DRIVER=nova against the Nova + Keystone +
 * Neutron emulators (test/emulators/neutron), the amphora driver no-op: the flows make real (emulated)
 * Neutron ports, security groups and rules, and Nova's os-interface attach rewrites the VRRP ports as
 * real Nova does. `leaks()` compares what Neutron holds with what the database knows.
 */
import { createNovaDriver, type NovaComputeDriver } from '../../drivers/compute';
import { HAPROXY_BASE_PEER_PORT } from '../../drivers/amphora/port';
import { securityGroupName } from '../../drivers/network/neutron';
import { logger } from '../../common/logger';
import { startNeutronCloud, type NeutronCloud } from '../emulators/neutron';
import { novaCredentialsEnv } from './nova-env';
import { startTestSystem, type TestSystem } from './system';

export interface NeutronTestSystem extends TestSystem<NovaComputeDriver> {
  cloud: NeutronCloud;
  /** The VIP network made at start (10.77.0.0/24). */
  vipNetworkId: string;
  vipSubnetId: string;
  /**
   * Octavia's objects in Neutron the database does not know (`extra`) and those it knows that Neutron
   * lacks (`missing`): VIP and VRRP ports, `lb-<id>` groups, each group's listener rules, and the ports
   * Nova made for amphorae (member networks), which must belong to a live amphora's instance.
   */
  leaks(): Promise<{ extra: string[]; missing: string[] }>;
}

export async function startNeutronTestSystem(env: Record<string, string> = {}): Promise<NeutronTestSystem> {
  const cloud = await startNeutronCloud({ nova: { bootMs: 30, deleteMs: 30 }, neutron: { activeMs: 10, detachMs: 60 } });
  const vip = cloud.neutron.addNetwork({ name: 'vip-net', cidr: '10.77.0.0/24' });
  const sys = await startTestSystem(
    {
      ...novaCredentialsEnv(cloud.nova),
      COMPUTE_DRIVER: 'nova',
      NETWORK_DRIVER: 'neutron',
      AMP_FLAVOR_ID: cloud.nova.seed.amphoraFlavorId,
      AMP_IMAGE_ID: cloud.nova.seed.amphoraImageId,
      AMP_ACTIVE_WAIT_SEC: '0.05',
      NOVA_REQUEST_TIMEOUT_SECONDS: '5',
      NEUTRON_REQUEST_TIMEOUT_SECONDS: '5',
      NETWORK_RETRY_INTERVAL: '0.05',
      NETWORK_PORT_DETACH_TIMEOUT: '5',
      NETWORK_MAX_RETRIES: '5',
      ...env,
    },
    { compute: (config) => createNovaDriver(config.openstack, { log: logger.child({ component: 'nova' }) }) },
  );

  async function leaks() {
    // Nova's time first: a server deleted a moment ago releases its ports.
    cloud.nova.liveServers();
    const inv = cloud.neutron.inventory();
    const state = cloud.neutron.state;
    // Only this cloud's load balancers (the database may hold other test files' rows).
    const onNetwork = await sys.db.loadBalancer.findMany({ where: { vipNetworkId: { in: [...state.networks.keys()] } }, include: { listeners: true } });
    const lbs = onNetwork.filter((lb) => lb.provisioningStatus !== 'DELETED');
    const amphorae = await sys.db.amphora.findMany({
      where: { status: { not: 'DELETED' }, vrrpPortId: { not: null }, loadBalancerId: { in: onNetwork.map((lb) => lb.id) } },
    });
    const want = new Set<string>();
    // A listener whose flow failed (ERROR) may or may not have its rule yet: update_vip gives it one at
    // the load balancer's next listener change, as Octavia's does. Either is known.
    const either = new Set<string>();
    for (const lb of lbs) {
      if (lb.vipPortId) want.add(`port ${lb.vipPortId}`);
      want.add(`group ${securityGroupName(lb.id)}`);
      const live = lb.listeners.filter((l) => l.provisioningStatus !== 'DELETED' && l.provisioningStatus !== 'PENDING_DELETE');
      // HAProxy's peer port (HAPROXY_BASE_PEER_PORT), opened with the first listener.
      if (live.some((l) => l.provisioningStatus !== 'ERROR')) want.add(`rule ${securityGroupName(lb.id)} tcp/${HAPROXY_BASE_PEER_PORT}/`);
      else if (live.length > 0) either.add(`rule ${securityGroupName(lb.id)} tcp/${HAPROXY_BASE_PEER_PORT}/`);
      for (const l of live) {
        const protocol = l.protocol === 'UDP' ? 'udp' : l.protocol === 'SCTP' ? 'sctp' : 'tcp';
        for (const cidr of l.allowedCidrs.length ? l.allowedCidrs : [null]) {
          (l.provisioningStatus === 'ERROR' ? either : want).add(`rule ${securityGroupName(lb.id)} ${protocol}/${l.protocolPort}/${cidr ?? ''}`);
        }
      }
    }
    for (const a of amphorae) want.add(`port ${a.vrrpPortId}`);
    // Ports Nova made for an instance (member networks): only on a live amphora's instance.
    const instances = new Set(
      (await sys.db.amphora.findMany({ where: { status: { not: 'DELETED' }, computeId: { not: null } }, select: { computeId: true } })).map((a) => a.computeId),
    );
    const have = new Set<string>();
    for (const p of inv.ports) if (p.deviceOwner === 'compute:nova' && !instances.has(p.deviceId)) have.add(`nova port ${p.id} of ${p.deviceId || 'nothing'}`);
    // Ours, and a user's port a load balancer uses as its VIP.
    const vipPorts = new Set(lbs.map((lb) => lb.vipPortId));
    for (const p of inv.ports) if (p.deviceOwner === 'Octavia' || p.name.startsWith('octavia-lb-') || vipPorts.has(p.id)) have.add(`port ${p.id}`);
    for (const id of inv.securityGroups) {
      const group = state.securityGroups.get(id)!;
      have.add(`group ${group.name}`);
      for (const r of state.rules.values()) {
        if (r.securityGroupId !== id || r.direction !== 'ingress' || r.portRangeMax === null) continue;
        have.add(`rule ${group.name} ${String(r.protocol).toLowerCase()}/${r.portRangeMax}/${r.remoteIpPrefix ?? ''}`);
      }
    }
    return { extra: [...have].filter((x) => !want.has(x) && !either.has(x)).sort(), missing: [...want].filter((x) => !have.has(x)).sort() };
  }

  return {
    ...sys,
    cloud,
    vipNetworkId: vip.networkId,
    vipSubnetId: vip.subnetId,
    leaks,
    async stop() {
      await sys.stop();
      sys.compute.close();
      await cloud.stop();
    },
  };
}
