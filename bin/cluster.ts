/**
 * `npm run cluster`: a real Temporal server on PostgreSQL (platform/temporal-cluster.ts) in the
 * foreground, on TEMPORAL_DEV_SERVER_PORT (7233), with its databases `temporal` and
 * `temporal_visibility` beside DATABASE_URL's. Then, in other shells, against it:
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npm run migrate
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npm run worker     (as many as wanted)
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 API_BIND_PORT=<port> npm run api   (as many as wanted)
 */
import path from 'node:path';
import { logger } from '../common/logger';
import { config, projectRoot } from '../config';
import { startCluster } from '../platform/temporal-cluster';
import { fail, runUntilSignalled } from './run';

startCluster(
  {
    stateDir: path.join(projectRoot, '.data', 'temporal-cluster'),
    toolsDir: config.temporal.toolsDir,
    databaseUrl: config.database.url,
    databasePrefix: 'temporal',
    namespace: config.temporal.namespace,
    port: config.temporal.devServer.port,
  },
  logger,
)
  .then((cluster) => runUntilSignalled('Temporal server', () => cluster.stop()))
  .catch(fail);
