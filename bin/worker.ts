/** `npm run worker`: the Temporal worker alone, for deployments that scale workers apart from the API. */
import { logger } from '../common/logger';
import { config } from '../config';
import { ensureLocalDataPlane } from '../platform/local-data-plane';
import { startSystem } from '../platform/system';
import { defaultTemporalAddress } from './address';
import { fail, runUntilSignalled } from './run';

ensureLocalDataPlane(config, logger)
  .then(() => startSystem({ config, log: logger, temporalAddress: defaultTemporalAddress(), api: false }))
  .then((system) => runUntilSignalled('worker', system.stop))
  .catch(fail);
