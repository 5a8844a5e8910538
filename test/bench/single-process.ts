/**
 * The benchmark's single shape: the API and the worker in one process (what `startSystem` makes when
 * neither is turned off), against TEMPORAL_ADDRESS and a migrated DATABASE_URL (test/bench/system.ts).
 */
import { logger } from '../../common/logger';
import { config } from '../../config';
import { startSystem } from '../../platform/system';
import { defaultTemporalAddress } from '../../bin/address';
import { fail, runUntilSignalled } from '../../bin/run';

startSystem({ config, log: logger, temporalAddress: defaultTemporalAddress() })
  .then((system) => runUntilSignalled('octavia-temporal', system.stop))
  .catch(fail);
