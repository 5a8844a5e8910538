/**
 * The Linux networking the local cloud is made of, through iproute2's `ip` (no netlink library: `ip`
 * is what an operator would type, and its errors read the same). Shared by the local network driver
 * (the tenant network) and the local compute driver (the management network, each amphora's netns).
 *
 * Every helper is idempotent: it checks what exists, and a create that races another one and finds
 * the thing made ("File exists") counts as done. Named namespaces are /run/netns/<name>, as `ip netns`
 * keeps them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class IpCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`ip ${args.join(' ')}: ${stderr.trim()}`);
    this.name = 'IpCommandError';
  }

  get missing(): boolean {
    return /does not exist|Cannot find device|No such file|Invalid "netns"|Cannot open network namespace/i.test(this.stderr);
  }

  get exists(): boolean {
    return /File exists/i.test(this.stderr);
  }
}

/** Runs `ip [-n netns] args...`; resolves to its stdout. */
export async function ip(args: string[], netns?: string): Promise<string> {
  const full = netns ? ['-n', netns, ...args] : args;
  try {
    const { stdout } = await run('ip', full, { timeout: 15_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new IpCommandError(full, e.stderr || e.message);
  }
}

/** Runs `ip`, treating "already there" as success (a create that raced another, or a retried step). */
async function ipCreate(args: string[], netns?: string): Promise<void> {
  try {
    await ip(args, netns);
  } catch (err) {
    if (!(err instanceof IpCommandError && err.exists)) throw err;
  }
}

/** Runs `ip`, treating "not there" as success (a delete of what is already gone). */
export async function ipDelete(args: string[], netns?: string): Promise<void> {
  try {
    await ip(args, netns);
  } catch (err) {
    if (!(err instanceof IpCommandError && err.missing)) throw err;
  }
}

export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

export async function ensureNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await ipCreate(['netns', 'add', name]);
  await ip(['link', 'set', 'lo', 'up'], name);
}

export async function deleteNetns(name: string): Promise<void> {
  if (netnsExists(name)) await ipDelete(['netns', 'delete', name]);
}

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  try {
    await ip(['link', 'show', 'dev', name], netns);
    return true;
  } catch (err) {
    if (err instanceof IpCommandError && err.missing) return false;
    throw err;
  }
}

/** Interface names in a namespace (or the root one). */
export async function linkNames(netns?: string): Promise<string[]> {
  const links = JSON.parse(await ip(['-json', 'link', 'show'], netns)) as Array<{ ifname: string }>;
  return links.map((l) => l.ifname);
}

export interface VethSpec {
  /** The end that stays in `netns` (undefined: the root namespace). */
  name: string;
  netns?: string;
  /** The other end, made directly in `peerNetns` (undefined: the root namespace). */
  peerName: string;
  peerNetns?: string;
  peerMac?: string;
}

/**
 * Makes a veth pair unless its first end exists already (one end never exists without the other). A
 * "File exists" counts as done only when it is that first end that exists (a concurrent make of the
 * same pair), not when the peer's name was taken in its namespace.
 */
export async function ensureVeth(v: VethSpec): Promise<void> {
  if (await linkExists(v.name, v.netns)) return;
  const peer = ['name', v.peerName, ...(v.peerMac ? ['address', v.peerMac] : []), ...(v.peerNetns ? ['netns', v.peerNetns] : [])];
  try {
    await ip(['link', 'add', v.name, 'type', 'veth', 'peer', ...peer], v.netns);
  } catch (err) {
    if (!(err instanceof IpCommandError && err.exists && (await linkExists(v.name, v.netns)))) throw err;
  }
}

export interface BridgedNetwork {
  /** The namespace that holds the bridge (made if missing). */
  netns: string;
  bridge: string;
  /** Address/prefix of the bridge itself (a subnet's gateway), if any. */
  bridgeAddress?: string;
  /** The root namespace's leg on the bridge: its name there, its name on the bridge side, its address/prefix. */
  uplink: { hostName: string; bridgeName: string; hostAddress: string };
}

/**
 * A layer-2 network inside a namespace of its own, with one leg in the root namespace so the host
 * (the controller, curl) reaches it directly. Everything else plugs into the bridge by a veth.
 */
export async function ensureBridgedNetwork(n: BridgedNetwork): Promise<void> {
  await ensureNetns(n.netns);
  if (!(await linkExists(n.bridge, n.netns))) await ipCreate(['link', 'add', n.bridge, 'type', 'bridge'], n.netns);
  if (n.bridgeAddress) await ip(['addr', 'replace', n.bridgeAddress, 'dev', n.bridge], n.netns);
  await ip(['link', 'set', n.bridge, 'up'], n.netns);
  await ensureVeth({ name: n.uplink.hostName, peerName: n.uplink.bridgeName, peerNetns: n.netns });
  await ip(['link', 'set', n.uplink.bridgeName, 'master', n.bridge, 'up'], n.netns);
  await ip(['addr', 'replace', n.uplink.hostAddress, 'dev', n.uplink.hostName]);
  await ip(['link', 'set', n.uplink.hostName, 'up']);
}

/** Removes such a network: the uplink (both ends go together) and the namespace with its bridge. */
export async function deleteBridgedNetwork(n: { netns: string; uplink: { hostName: string } }): Promise<void> {
  await ipDelete(['link', 'delete', n.uplink.hostName]);
  await deleteNetns(n.netns);
}
