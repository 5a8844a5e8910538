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
