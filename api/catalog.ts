/**
 * What flavors, availability zones and their profiles share: each is used by other rows (load
 * balancers use flavors and zones, flavors and zones use profiles), and may not be deleted (nor a
 * profile's metadata changed) while it is. The check and the change run under a lock of the row
 * (SELECT ... FOR UPDATE), which a row being created with it waits for (its foreign key's share lock),
 * so neither can slip past the other.
 */
import { Prisma } from '../generated/prisma/client';
import type { Tx } from './lifecycle';
import type { Resource } from './resource';
import { NotFound, ObjectInUse } from '../common/errors';

export interface Guarded {
  /** What is guarded: its table is its model's name in snake_case, as the Prisma schema maps them. */
  resource: Resource<never>;
  /** How many rows use it. */
  users(tx: Tx, key: string): Promise<number>;
  /** Octavia's name in the 409, when it spells it otherwise than in the 404. */
  inUseName?: string;
}

const snake = (model: string) => model.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Runs `change` with the row locked; `whenUsed`: refused (409) while other rows use it. */
export async function guarded<T>(tx: Tx, { resource, users, inUseName }: Guarded, key: string, whenUsed: boolean, change: () => Promise<T>): Promise<T> {
  const column = resource.keying.key;
  const cast = Prisma.raw(column === 'id' ? '::uuid' : '');
  const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM ${Prisma.raw(snake(resource.model))} WHERE ${Prisma.raw(column)} = ${key}${cast} FOR UPDATE`;
  if (locked.length === 0) throw new NotFound(resource.name, key);
  if (whenUsed && (await users(tx, key)) > 0) throw new ObjectInUse(inUseName ?? resource.name, key);
  return change();
}

/** A create or rename refused by the database: a taken name (P2002) or a referenced row that is gone (P2003). */
export function refusedWrite(err: unknown, faults: { P2002?: () => Error; P2003?: () => Error }): never {
  const fault = err instanceof Prisma.PrismaClientKnownRequestError ? faults[err.code as 'P2002' | 'P2003'] : undefined;
  throw fault ? fault() : err;
}
