/**
 * Starts what the integration tests run against, once per `npm test`: a real Temporal dev server (in
 * memory, no UI, on free ports) and a fresh PostgreSQL database with every migration applied, which
 * each test file copies into its own (test/support/environment.ts). The workflow bundle is built
 * once here, not by every test's worker.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../../common/logger';
import { loadConfig } from '../../config';
import { ensureDatabase } from '../../platform/database';
import { migrate } from '../../platform/migrate';
import { ensureTemporalCli } from '../../platform/temporal-cli';
import { startDevServer } from '../../platform/temporal-dev-server';
import { writeWorkflowBundle } from '../../platform/workflow-bundle';
import { testState } from './state';
import { freeLoopbackPort } from '../../common/net';


export default async function globalSetup(): Promise<void> {
  const base = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
  const log = logger.child({ component: 'test-setup' });
  log.level = 'warn';

  const dbUrl = new URL(base.database.url);
  dbUrl.pathname = `/octavia_test_${Date.now()}_${process.pid}`;
  const databaseUrl = dbUrl.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  const cli = await ensureTemporalCli(base.temporal, log);
  const devServer = await startDevServer(
    { cli, ip: '127.0.0.1', port: await freeLoopbackPort(), namespace: base.temporal.namespace },
    log,
  );

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'octavia-test-'));
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  await writeWorkflowBundle(bundlePath, log);

  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: devServer.address,
    // Every worker the tests start, in this process or a child, loads it.
    TEMPORAL_WORKFLOW_BUNDLE: bundlePath,
    TEST_TEMPORAL_CLI: cli,
    NOOP_STATE_FILE: '',
    HEARTBEAT_KEY_FILE: '',
    LOCAL_STATE_DIR: path.join(tmp, 'local-cloud'),
    CERT_STATE_DIR: path.join(tmp, 'pki'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
    AMP_ACTIVE_WAIT_SEC: '0.05',
  });
  testState.devServer = devServer;
  testState.databaseUrl = databaseUrl;
  testState.tmpDir = tmp;
}
