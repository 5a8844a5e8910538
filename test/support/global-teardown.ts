import { rm } from 'node:fs/promises';
import { dropDatabase } from '../../platform/database';
import { testState } from './state';

export default async function globalTeardown(): Promise<void> {
  await testState.devServer?.stop();
  if (testState.databaseUrl && !process.env.KEEP_TEST_DATABASE) await dropDatabase(testState.databaseUrl);
  if (testState.tmpDir) await rm(testState.tmpDir, { recursive: true, force: true });
}
