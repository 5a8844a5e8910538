/** What the API is built from. */
import type { Client } from '@temporalio/client';
import type { Db } from '../activities/db/prisma';
import type { Logger } from '../common/logger';
import type { Config } from '../config';

export interface ApiDeps {
  db: Db;
  temporal: Client;
  config: Config;
  log: Logger;
}
