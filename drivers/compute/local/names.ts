/**
 * Names of what a local amphora is made of, in one place: the local network driver plugs ports into
 * the same namespace the compute driver made.
 */

/** The amphora's own network namespace (its "VM"), one per compute instance. */
export function amphoraNetns(computeId: string): string {
  return `octavia-amp-${computeId}`;
}

/** The amphora's leg on the management bridge (inside the management namespace): `amp<index>`. */
export function mgmtTap(index: number): string {
  return `amp${index}`;
}
