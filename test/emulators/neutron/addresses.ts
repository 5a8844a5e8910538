/** IPv4 arithmetic for the emulated IPAM: CIDRs, pools, membership, OpenStack's fa:16:3e MACs. */
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';

export interface Cidr {
  text: string;
  network: number;
  prefixLength: number;
  size: number;
}

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** An IPv4 CIDR, or undefined when `text` is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, len, extra] = text.split('/');
  const prefixLength = Number(len);
  if (extra !== undefined || !ip || !isIPv4(ip) || len === undefined || !/^\d+$/.test(len) || prefixLength > 32) return undefined;
  const size = 2 ** (32 - prefixLength);
  const network = ipToNumber(ip) - (ipToNumber(ip) % size);
  return { text: `${numberToIp(network)}/${prefixLength}`, network, prefixLength, size };
}

export function contains(cidr: Cidr, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const n = ipToNumber(ip);
  return n >= cidr.network && n < cidr.network + cidr.size;
}

/** Neutron's default pool: every host address but the gateway (network and broadcast excluded). */
export function defaultPools(cidr: Cidr, gateway: string | null): Array<{ start: string; end: string }> {
  const first = cidr.network + 1;
  const last = cidr.network + cidr.size - 2;
  if (last < first) return [];
  const gw = gateway === null ? undefined : ipToNumber(gateway);
  const ranges: Array<[number, number]> = [];
  if (gw === undefined || gw < first || gw > last) ranges.push([first, last]);
  else {
    if (gw > first) ranges.push([first, gw - 1]);
    if (gw < last) ranges.push([gw + 1, last]);
  }
  return ranges.map(([a, b]) => ({ start: numberToIp(a), end: numberToIp(b) }));
}

export function poolAddresses(pools: Array<{ start: string; end: string }>): string[] {
  const out: string[] = [];
  for (const p of pools) for (let n = ipToNumber(p.start); n <= ipToNumber(p.end); n += 1) out.push(numberToIp(n));
  return out;
}

export function randomMac(): string {
  return ['fa', '16', '3e', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
