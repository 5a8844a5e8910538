import { rm } from 'node:fs/promises';
import { dropDatabase } from '../../platform/database';
import { testState } from './state';

export default async function globalTeardown(): Promise<void> {
  // In memory: nothing to flush, so no need to wait for a graceful stop.
  await testState.devServer?.stop('SIGKILL');
  if (testState.databaseUrl && !process.env.KEEP_TEST_DATABASE) await dropDatabase(testState.databaseUrl);
  if (testState.tmpDir) await rm(testState.tmpDir, { recursive: true, force: true });
}
