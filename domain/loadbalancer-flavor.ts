/**
 * What a new load balancer's flavor and provider decide, checked as Octavia checks them before
 * anything is written:
 *   - a flavor must exist (`Invalid flavor_id.`) and be enabled (`The selected flavor is not allowed
 *     in this deployment: <id>`);
 *   - the provider must be enabled; without one, the flavor profile's provider is used, else the
 *     default; a flavor of another provider is refused (`Flavor '<id>' is not compatible with provider
 *     '<provider>'`);
 *   - the topology is the profile's `loadbalancer_topology`, else LOADBALANCER_TOPOLOGY.
 * The profile's `compute_flavor` is read when the amphorae are made (activities/amphora.ts).
 */
import { Topology } from '../common/status';
import type { Config } from '../config';
import type { Db } from '../db/prisma';
import type { Tx } from '../db/children';
import { DEFAULT_PROVIDER, requireProvider, storedMetadata } from './providers';
import { DisabledOption, ProviderFlavorMismatch, ValidationFailure } from '../common/errors';

export async function loadBalancerPlacement(
  db: Db,
  config: Config,
  body: { flavor_id?: string | null; provider?: string | null },
): Promise<{ provider: string; topology: Topology }> {
  if (!body.flavor_id) {
    return { provider: requireProvider(body.provider ?? DEFAULT_PROVIDER), topology: config.compute.topology };
  }
  const flavor = await db.flavor.findUnique({ where: { id: body.flavor_id }, include: { flavorProfile: true } });
  if (!flavor) throw new ValidationFailure('Invalid flavor_id.');
  if (!flavor.enabled) throw new DisabledOption('flavor', flavor.id);
  const provider = requireProvider(body.provider ?? flavor.flavorProfile.providerName);
  if (provider !== flavor.flavorProfile.providerName) throw new ProviderFlavorMismatch(flavor.id, provider);
  const topology = storedMetadata(flavor.flavorProfile.flavorData).loadbalancer_topology;
  return {
    provider,
    topology: topology === Topology.ACTIVE_STANDBY || topology === Topology.SINGLE ? topology : config.compute.topology,
  };
}

/**
 * A new load balancer's availability zone must exist and be enabled (Octavia's messages). Call it in
 * the transaction that inserts the load balancer: the zone's row stays share-locked until it commits,
 * so the zone cannot be deleted in between.
 */
export async function checkAvailabilityZone(tx: Tx, name: string | null | undefined): Promise<void> {
  if (name === null || name === undefined) return;
  const rows = await tx.$queryRaw<{ enabled: boolean }[]>`SELECT enabled FROM availability_zone WHERE name = ${name} FOR SHARE`;
  const az = rows[0];
  if (!az) throw new ValidationFailure('Invalid availability zone.');
  if (!az.enabled) throw new DisabledOption('availability_zone', name);
}
