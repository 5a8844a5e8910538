/** `npm run bundle-workflows -- <file>`: the workflow bundle a worker loads with TEMPORAL_WORKFLOW_BUNDLE=<file>. */
import { logger } from '../common/logger';
import { writeWorkflowBundle } from '../platform/workflow-bundle';
import { fail } from './run';

const file = process.argv[2];
if (!file) fail(new Error('usage: bundle-workflows <file>'));
writeWorkflowBundle(file, logger).catch(fail);
