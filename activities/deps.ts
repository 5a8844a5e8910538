/** What activities are built from: injected, so tests can hand in drivers with injected faults. */
import type { Config } from '../config';
import type { AmphoraDriver } from '../drivers/amphora/port';
import type { AmphoraComputeDriver } from '../drivers/compute/port';
import type { NetworkDriver } from '../drivers/network/port';
import type { Db } from '../db/prisma';

export interface ActivityDeps {
  db: Db;
  compute: AmphoraComputeDriver;
  amphoraDriver: AmphoraDriver;
  network: NetworkDriver;
  config: Config;
}
