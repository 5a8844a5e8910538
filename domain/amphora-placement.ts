/**
 * Where and on what a load balancer's amphorae are built, from its flavor and availability zone:
 *   - the flavor profile's `compute_flavor` (else AMP_FLAVOR_ID);
 *   - the availability zone profile's `compute_zone` (else the compute service's default). A load
 *     balancer whose zone has no row (made before availability zones were checked) keeps passing the
 *     zone's name through, as it always did.
 * Read when the amphora is made (not when the load balancer was), as Octavia reads them for each
 * create and failover flow. Profiles in use cannot change (the API refuses it), so both agree.
 */
import type { Db } from '../db/prisma';

function metadata(text: string): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(text);
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The compute flavor a load balancer's flavor asks for, if any. */
export async function computeFlavorOf(db: Db, loadBalancerId: string | undefined): Promise<string | undefined> {
  if (!loadBalancerId) return undefined;
  const lb = await db.loadBalancer.findUnique({
    where: { id: loadBalancerId },
    select: { flavor: { select: { flavorProfile: { select: { flavorData: true } } } } },
  });
  const value = lb?.flavor ? metadata(lb.flavor.flavorProfile.flavorData).compute_flavor : undefined;
  return typeof value === 'string' && value ? value : undefined;
}

/** The compute zone of a load balancer's availability zone, if any. */
export async function computeZoneOf(db: Db, availabilityZone: string | null | undefined): Promise<string | undefined> {
  if (!availabilityZone) return undefined;
  const az = await db.availabilityZone.findUnique({ where: { name: availabilityZone }, include: { availabilityZoneProfile: true } });
  if (!az) return availabilityZone;
  const value = metadata(az.availabilityZoneProfile.availabilityZoneData).compute_zone;
  return typeof value === 'string' && value ? value : undefined;
}
