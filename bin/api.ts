/** `npm run api`: the API alone, for deployments that scale it apart from the workers. */
import { logger } from '../common/logger';
import { config } from '../config';
import { startSystem } from '../platform/system';
import { defaultTemporalAddress } from './address';
import { fail, runUntilSignalled } from './run';

startSystem({ config, log: logger, temporalAddress: defaultTemporalAddress(), worker: false })
  .then((system) => runUntilSignalled('api', system.stop))
  .catch(fail);
