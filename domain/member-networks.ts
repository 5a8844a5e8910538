/**
 * Which member networks an amphora must be plugged into, after Octavia's CalculateAmphoraDelta
 * (controller/worker/v2/tasks/network_tasks.py), by network: every network holding a member's
 * subnet_id (a member being deleted no longer counts) is wanted; what the amphora has on no wanted
 * network is unplugged, except the networks it lives on (the VIP's, the management networks, the one
 * carrying its management address), which are never a member network's to take away.
 *
 * Not done as Octavia does: a further subnet of a network already plugged (Octavia adds a fixed IP to
 * that port, plug_fixed_ip) is not added; a member on it is reached through the network's routing.
 */
import type { PluggedNic } from '../drivers/network/port';

export interface NetworkDelta {
  add: string[];
  remove: string[];
}

export function memberNetworkDelta(o: {
  /** The networks of the members' subnets. */
  wanted: Iterable<string>;
  plugged: PluggedNic[];
  /** The VIP network and the management networks (amp_boot_network_list). */
  keep: Iterable<string>;
  /** The amphora's management address (lb_network_ip): its NIC's network is kept too. */
  managementIp: string | null;
}): NetworkDelta {
  const keep = new Set(o.keep);
  for (const nic of o.plugged) if (o.managementIp && nic.fixedIps.some((f) => f.ipAddress === o.managementIp)) keep.add(nic.networkId);
  const wanted = new Set([...o.wanted].filter((n) => !keep.has(n)));
  const plugged = new Set(o.plugged.map((n) => n.networkId));
  return {
    add: [...wanted].filter((n) => !plugged.has(n)).sort(),
    remove: [...plugged].filter((n) => !wanted.has(n) && !keep.has(n)).sort(),
  };
}
