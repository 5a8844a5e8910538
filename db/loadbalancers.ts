/**
 * The load balancer's lock, in one place. A flow owns a load balancer while it is PENDING_*: taking it
 * is one conditional UPDATE (a concurrent request's UPDATE matches no row and gets its 409), and giving
 * it back only ever moves it out of the PENDING state it was put in, so a late undo can never overwrite
 * the next request's lock.
 */
import { ProvisioningStatus } from '../common/status';
import type { Db } from './prisma';
import type { Tx } from './children';

type Client = Db | Tx;

/** Moves the load balancer from one of `from` to `to`; false when it was in none of them (or is gone). */
export async function lockLoadBalancer(db: Client, id: string, from: readonly ProvisioningStatus[], to: ProvisioningStatus): Promise<boolean> {
  const { count } = await db.loadBalancer.updateMany({
    where: { id, provisioningStatus: { in: [...from] } },
    data: { provisioningStatus: to, updatedAt: new Date() },
  });
  return count === 1;
}

/**
 * Gives the lock back: `held` (one state or several) -> `to`, only while it is still held. `at`: the
 * flow settled it (its updated_at moves); without it the lock is undone as if never taken.
 */
export async function releaseLoadBalancer(
  db: Client,
  id: string,
  held: ProvisioningStatus | readonly ProvisioningStatus[],
  to: ProvisioningStatus,
  at?: Date,
): Promise<void> {
  await db.loadBalancer.updateMany({
    where: { id, provisioningStatus: { in: Array.isArray(held) ? [...held] : [held as ProvisioningStatus] } },
    data: { provisioningStatus: to, ...(at ? { updatedAt: at } : {}) },
  });
}
