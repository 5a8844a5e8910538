/** Every recorded flow history still replays on the current workflow code (see test/replay/record.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

// Replay workers log their lifecycle at INFO; only problems matter here.
Runtime.install({ logger: new DefaultLogger('WARN') });

const DIR = path.resolve(__dirname, '../fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

it.each(files)('%s replays deterministically', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEMPORAL_WORKFLOW_BUNDLE! } }, history, file);
});
