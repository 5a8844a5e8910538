/**
 * `npm start`: the whole system on local defaults.
 *   1. PostgreSQL: create the database if missing, apply migrations.
 *   2. Temporal: TEMPORAL_ADDRESS if set (our search attributes registered there), else a local dev
 *      server with its Web UI, persisting to .data/ so flows survive a restart.
 *   3. With DATA_PLANE=local: root, and Debian's amphora packages installed where missing.
 *   4. The worker and the API, in this process.
 */
import { logger } from '../common/logger';
import { config } from '../config';
import { ensureDatabase } from '../platform/database';
import { ensureLocalDataPlane } from '../platform/local-data-plane';
import { migrate } from '../platform/migrate';
import { startSystem } from '../platform/system';
import { connectClient, registerSearchAttributes } from '../platform/temporal';
import { ensureTemporalCli } from '../platform/temporal-cli';
import { startDevServer, type DevServer } from '../platform/temporal-dev-server';
import { fail, runUntilSignalled } from './run';

async function main() {
  await ensureDatabase(config.database.url);
  await migrate(config.database.url);
  await ensureLocalDataPlane(config, logger);

  let devServer: DevServer | undefined;
  let address = config.temporal.address;
  if (address) {
    const client = await connectClient(address, config.temporal.namespace);
    await registerSearchAttributes(client, config.temporal.namespace, logger);
    await client.connection.close();
  } else {
    const cli = await ensureTemporalCli(config.temporal, logger);
    devServer = await startDevServer({ cli, namespace: config.temporal.namespace, ...config.temporal.devServer }, logger);
    address = devServer.address;
  }

  const system = await startSystem({ config, log: logger, temporalAddress: address });
  logger.info(
    { api: system.apiUrl, temporal: address, webUi: devServer?.uiUrl },
    'Octavia control plane running (Ctrl-C to stop)',
  );
  runUntilSignalled('octavia-temporal', async () => {
    await system.stop();
    await devServer?.stop();
  });
}

main().catch(fail);
