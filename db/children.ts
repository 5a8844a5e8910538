/**
 * The Prisma table of a load balancer's child resource, through one narrow interface: what the child
 * flows' steps and the API's locking transactions both need.
 */
import type { ChildResource } from '../common/resources';
import type { Prisma } from '../generated/prisma/client';

export type Tx = Prisma.TransactionClient;

export interface ChildTable {
  update(args: { where: { id: string }; data: Record<string, unknown> }): Promise<Record<string, unknown>>;
  updateMany(args: { where: Record<string, unknown>; data: Record<string, unknown> }): Promise<{ count: number }>;
  deleteMany(args: { where: Record<string, unknown> }): Promise<{ count: number }>;
  count(args: { where: Record<string, unknown> }): Promise<number>;
  findMany(args: { where: Record<string, unknown>; select: { id: true } }): Promise<{ id: string }[]>;
}

export function childTable(tx: Tx, resource: ChildResource): ChildTable {
  const tables = {
    listener: tx.listener,
    pool: tx.pool,
    member: tx.member,
    healthmonitor: tx.healthMonitor,
    l7policy: tx.l7Policy,
    l7rule: tx.l7Rule,
  };
  return tables[resource] as unknown as ChildTable;
}

/**
 * Every child of a load balancer, in one transaction (the cascade delete, a single-call create whose
 * flow could not start): L7 policies first (their rules go by ON DELETE CASCADE), since they point at
 * listeners and pools; members and monitors go with their pools.
 */
export async function deleteLoadBalancerChildren(tx: Tx, loadBalancerId: string): Promise<void> {
  await tx.l7Policy.deleteMany({ where: { listener: { loadBalancerId } } });
  await tx.listener.deleteMany({ where: { loadBalancerId } });
  await tx.pool.deleteMany({ where: { loadBalancerId } });
}
