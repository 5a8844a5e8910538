/** The Prisma client over node-postgres (Prisma 7's driver adapter: no native query engine). */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

export function createPrismaClient(url: string, poolSize: number): Db {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: poolSize }),
    // Prisma's defaults (2 s to get a connection for a transaction, 5 s for it to finish) fail requests
    // with P2028 as soon as more requests are in flight than the pool has connections on a busy host;
    // a request should rather wait its turn. What still times out is a 503 (api/errors.ts).
    transactionOptions: { maxWait: 10_000, timeout: 30_000 },
  });
}
