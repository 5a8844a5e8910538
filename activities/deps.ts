/** What activities are built from: injected, so tests can hand in a driver with injected faults. */
import type { Config } from '../config';
import type { AmphoraComputeDriver } from './compute/driver';
import type { Db } from './db/prisma';

export interface ActivityDeps {
  db: Db;
  compute: AmphoraComputeDriver;
  config: Config;
}
