/**
 * IPv4 subnets as the local networks use them: host n of a CIDR, membership, and MAC addresses in
 * OpenStack's fa:16:3e prefix (what Neutron gives every port, so an amphora's NICs look as on a cloud).
 */
import { randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';

export interface Cidr {
  /** As given, normalised (`169.254.160.0/24`). */
  text: string;
  network: number;
  prefixLength: number;
  /** Number of addresses, network and broadcast included. */
  size: number;
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toText(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses an IPv4 CIDR with at least four addresses; throws on anything else (a configuration error). */
export function parseCidr(text: string): Cidr {
  const [ip, len] = text.split('/');
  const prefixLength = Number(len);
  if (!ip || !isIPv4(ip) || !Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) {
    throw new Error(`Not an IPv4 CIDR between /8 and /30: ${text}`);
  }
  const size = 2 ** (32 - prefixLength);
  const network = toNumber(ip) - (toNumber(ip) % size);
  return { text: `${toText(network)}/${prefixLength}`, network, prefixLength, size };
}

/** Host number `n` of the subnet (1 is the first usable address); throws outside the usable range. */
export function hostAt(cidr: Cidr, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > cidr.size - 2) throw new Error(`No host ${n} in ${cidr.text}`);
  return toText(cidr.network + n);
}

/** The host number of `ip` in the subnet: 0 is the network address, size-1 the broadcast; undefined outside. */
export function hostNumber(cidr: Cidr, ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  const offset = toNumber(ip) - cidr.network;
  return offset >= 0 && offset < cidr.size ? offset : undefined;
}

export function randomMac(): string {
  return ['fa', '16', '3e', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
