/**
 * The VIP security group's ingress rules, as Octavia's _update_security_group_rules decides them: one
 * rule per listener port and protocol (tcp, or udp / sctp for those listeners), one per allowed CIDR
 * when the listener has some, and one per listener peer port (tcp, from anywhere); rules of other protocols (VRRP 112, AH 51) and egress rules are never
 * removed. A rule is identified as Octavia does, by (port_range_max, protocol, remote_ip_prefix).
 */
import type { VipListener } from '../port';
import type { NeutronRule } from './wire';

/** VRRP's and IPsec AH's IP protocol numbers: keepalived's adverts between ACTIVE_STANDBY amphorae. */
export const VRRP_PROTOCOL = 112;
export const AUTH_HEADER_PROTOCOL = 51;

const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp'];

export interface ListenerRule {
  protocol: 'tcp' | 'udp' | 'sctp';
  port: number;
  cidr: string | null;
}

const key = (port: number | null, protocol: string, cidr: string | null) => `${port}/${protocol}/${cidr ?? ''}`;

export function listenerRules(listeners: VipListener[]): ListenerRule[] {
  const out = new Map<string, ListenerRule>();
  for (const l of listeners) {
    const protocol = l.protocol === 'UDP' ? 'udp' : l.protocol === 'SCTP' ? 'sctp' : 'tcp';
    const cidrs = l.allowedCidrs.length ? l.allowedCidrs : [null];
    for (const cidr of cidrs) out.set(key(l.protocolPort, protocol, cidr), { protocol, port: l.protocolPort, cidr });
  }
  // The peer port carries HAProxy's stick-table sync (TCP): open to all unless a listener opened it so.
  for (const l of listeners) {
    if (l.peerPort && !out.has(key(l.peerPort, 'tcp', '0.0.0.0/0'))) out.set(key(l.peerPort, 'tcp', null), { protocol: 'tcp', port: l.peerPort, cidr: null });
  }
  return [...out.values()];
}

/** What to delete (listener rules no longer wanted) and what to create (wanted, not there). */
export function planRules(existing: NeutronRule[], wanted: ListenerRule[]): { remove: NeutronRule[]; add: ListenerRule[] } {
  const ours = existing.filter((r) => r.direction === 'ingress' && r.protocol !== null && PORT_PROTOCOLS.includes(r.protocol.toLowerCase()));
  const have = new Set(ours.map((r) => key(r.port_range_max, (r.protocol as string).toLowerCase(), r.remote_ip_prefix)));
  const want = new Set(wanted.map((w) => key(w.port, w.protocol, w.cidr)));
  return {
    remove: ours.filter((r) => !want.has(key(r.port_range_max, (r.protocol as string).toLowerCase(), r.remote_ip_prefix))),
    add: wanted.filter((w) => !have.has(key(w.port, w.protocol, w.cidr))),
  };
}

/** Whether an ingress rule for this IP protocol number (Neutron answers it as a string) is there. */
export function hasProtocolRule(existing: NeutronRule[], protocol: number): boolean {
  return existing.some((r) => r.direction === 'ingress' && r.protocol === String(protocol));
}
