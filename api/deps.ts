/** What the API is built from. */
import type { Client } from '@temporalio/client';
import type { AmphoraDriver } from '../drivers/amphora/port';
import type { AmphoraComputeDriver } from '../drivers/compute/port';
import type { NetworkDriver } from '../drivers/network/port';
import type { Db } from '../db/prisma';
import type { Logger } from '../common/logger';
import type { Config } from '../config';

export interface ApiDeps {
  db: Db;
  temporal: Client;
  config: Config;
  log: Logger;
  /** Reads amphora statistics (load balancer, listener and amphora stats). */
  amphoraDriver: AmphoraDriver;
  /** Validates what flavor and availability zone profiles name (compute flavors, zones). */
  compute: AmphoraComputeDriver;
  /** Allocates VIPs in the create request (as Octavia 11) and checks the vip_* ids a client names. */
  network: NetworkDriver;
}
