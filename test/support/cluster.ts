/**
 * A scratch Temporal cluster (platform/temporal-cluster.ts: the real server on PostgreSQL) on free
 * ports, with its two databases beside a given one and dropped when it stops; and the environment that
 * points several of our processes at one compute service (the Nova emulator: the no-op compute
 * driver's instances live in one process, so two workers cannot share them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../common/logger';
import { tcpAccepts } from '../../common/net';
import type { Config } from '../../config';
import { databaseName, databaseUrlFor, dropDatabase } from '../../platform/database';
import { startCluster, type Cluster } from '../../platform/temporal-cluster';
import type { NovaEmulator } from '../emulators/nova';
import { novaCredentialsEnv } from './nova-env';

/**
 * Nine consecutive ports nobody listens on, for the server's services (frontend .. worker). Below
 * 32768: the server stores its membership ports in a PostgreSQL smallint.
 */
async function freePortRange(n: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const taken = await Promise.all(Array.from({ length: n }, (_, i) => tcpAccepts('127.0.0.1', base + i)));
    if (!taken.some(Boolean)) return base;
  }
}

export interface ScratchCluster extends Cluster {
  /** Its two databases (on databaseUrl's server). */
  databases: string[];
}

/** A server whose databases are `<databaseUrl's name>_t` and `..._t_visibility`; stop() drops them. */
export async function startScratchCluster(config: Config, databaseUrl: string, log: Logger): Promise<ScratchCluster> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-cluster-'));
  const databasePrefix = `${databaseName(databaseUrl)}_t`.slice(0, 50);
  const databases = [databasePrefix, `${databasePrefix}_visibility`];
  const cluster = await startCluster({
    stateDir,
    toolsDir: config.temporal.toolsDir,
    databaseUrl,
    databasePrefix,
    namespace: config.temporal.namespace,
    port: await freePortRange(9),
  }, log);
  return {
    ...cluster,
    databases,
    async stop(signal) {
      await cluster.stop(signal);
      for (const name of databases) await dropDatabase(databaseUrlFor(databaseUrl, name));
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Our processes' settings for the Nova driver on the emulator, as their shared compute service. */
export function novaComputeEnv(nova: NovaEmulator): Record<string, string> {
  return {
    COMPUTE_DRIVER: 'nova',
    ...novaCredentialsEnv(nova),
    AMP_BOOT_NETWORK_LIST: nova.seed.mgmtNetworkId,
    AMP_FLAVOR_ID: nova.seed.amphoraFlavorId,
    AMP_IMAGE_ID: nova.seed.amphoraImageId,
  };
}
