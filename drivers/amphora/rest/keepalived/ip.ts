/**
 * The two things Octavia's keepalived templaters ask Python's `ipaddress` module: an address's version,
 * and a subnet CIDR as `ip_network(cidr).with_prefixlen` prints it (strict: host bits set is an error;
 * IPv6 in Python 3.11's compressed form, which keeps an IPv4-mapped tail in hex unlike inet_ntop).
 */
import { isIP } from 'node:net';
import { AmphoraDriverError } from '../../errors';

/** ipaddress.ip_address(address).version; Octavia fails on what is not an address, and so do we. */
export function ipVersion(address: string): 4 | 6 {
  const version = isIP(address);
  if (version !== 4 && version !== 6) throw new AmphoraDriverError(`${JSON.stringify(address)} does not appear to be an IPv4 or IPv6 address.`);
  return version;
}

/** ipaddress.ip_network(cidr).with_prefixlen: "fd00:0::/64" -> "fd00::/64"; "10.0.0.0" -> "10.0.0.0/32". */
export function networkWithPrefixlen(cidr: string): string {
  const [address = '', prefix, ...rest] = cidr.split('/');
  const version = ipVersion(address);
  const bits = version === 4 ? 32 : 128;
  const length = prefix === undefined ? bits : /^\d+$/.test(prefix) ? Number(prefix) : NaN;
  // A scope id (fe80::1%eth0) is no network address.
  if (rest.length > 0 || address.includes('%') || !(length >= 0 && length <= bits)) {
    throw new AmphoraDriverError(`${JSON.stringify(cidr)} does not appear to be an IPv${version} network.`);
  }
  const value = version === 4 ? ipv4Value(address) : ipv6Value(address);
  const hostBits = (1n << BigInt(bits - length)) - 1n;
  if ((value & hostBits) !== 0n) throw new AmphoraDriverError(`${cidr} has host bits set`);
  return `${version === 4 ? address : formatIpv6(value)}/${length}`;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

/** The 128-bit value of a valid IPv6 address (isIP said so), a dotted IPv4 tail included. */
function ipv6Value(address: string): bigint {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Value(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** Python's IPv6Address.__str__: lower-case hextets, the longest run (leftmost of equals) of 2+ zeros as `::`. */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
