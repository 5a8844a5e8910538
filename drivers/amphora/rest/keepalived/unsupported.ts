/**
 * What keepalived/LVS cannot serve, as the sentences that end Octavia's 501
 * `Provider 'amphora' does not support a requested option: <sentence>`. Octavia's amphora provider
 * refuses one thing for UDP and SCTP pools (api/drivers/amphora_driver/v2/driver.py _validate_members):
 * a member whose IP version no VIP of the load balancer has, because the template puts each member in
 * the virtual server of its own IP version and a load balancer without such a VIP has none (the
 * member would silently get no traffic).
 */
import type { LoadBalancerConfig } from '../../port';
import { ipVersion } from './ip';
import { isLvsProtocol } from './lvs';

const familyMix = (protocol: string) =>
  `This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in ${protocol} load balancers.`;

/**
 * For a member added to (or updated in) a pool: Octavia checks it against the VIPs of the load
 * balancers of the pool's listeners (none: nothing to check).
 */
export function unsupportedLvsMemberFeatures(poolProtocol: string, memberAddress: string, vipAddresses: string[]): string[] {
  if (!isLvsProtocol(poolProtocol) || vipAddresses.length === 0) return [];
  const version = ipVersion(memberAddress);
  return vipAddresses.some((vip) => ipVersion(vip) === version) ? [] : [familyMix(poolProtocol)];
}

/** Everything in a load balancer's UDP/SCTP listeners keepalived cannot serve, each sentence once. */
export function unsupportedLvsFeatures(config: LoadBalancerConfig): string[] {
  const vips = config.vipAddress === null ? [] : [config.vipAddress];
  const servedPools = new Set(config.listeners.map((l) => l.defaultPoolId));
  const problems = config.pools
    .filter((p) => servedPools.has(p.id))
    .flatMap((p) => p.members.flatMap((m) => unsupportedLvsMemberFeatures(p.protocol, m.address, vips)));
  return [...new Set(problems)];
}
