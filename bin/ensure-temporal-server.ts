/** Builds the Temporal server and its SQL tool into the tools cache unless there (.ci/run, before the tests). */
import { logger } from '../common/logger';
import { config } from '../config';
import { ensureTemporalServer } from '../platform/temporal-cluster';

ensureTemporalServer(config.temporal.toolsDir, logger).then(
  ({ server }) => logger.info({ server }, 'Temporal server ready to run'),
  (err) => {
    logger.fatal({ err }, 'Could not build the Temporal server');
    process.exit(1);
  },
);
