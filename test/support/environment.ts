/**
 * Each test file gets its own database: a copy of the migrated one global-setup made, taken before the
 * file's modules load and dropped after its last test. So table-wide counts, each test system's health
 * monitor and housekeeping see only the file's own rows, never what an earlier file left behind.
 */
import path from 'node:path';
import { Client } from 'pg';
import NodeEnvironment from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { databaseName, databaseUrlFor, dropDatabase, quoteIdentifier } from '../../platform/database';

let files = 0;

export default class PerFileDatabaseEnvironment extends NodeEnvironment {
  private readonly file: string;
  private databaseUrl?: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.file = path.basename(context.testPath, '.test.ts');
  }

  override async setup(): Promise<void> {
    await super.setup();
    const template = process.env.DATABASE_URL;
    if (!template) throw new Error('DATABASE_URL is not set: test/support/global-setup.ts did not run');
    const name = `${databaseName(template)}_${++files}_${this.file.replace(/[^a-z0-9]/gi, '_')}`.slice(0, 63);
    this.databaseUrl = databaseUrlFor(template, name);
    const client = new Client({ connectionString: databaseUrlFor(template, 'postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(databaseName(template))}`);
    } finally {
      await client.end();
    }
    this.global.process.env.DATABASE_URL = this.databaseUrl;
  }

  override async teardown(): Promise<void> {
    if (this.databaseUrl && !process.env.KEEP_TEST_DATABASE) await dropDatabase(this.databaseUrl);
    await super.teardown();
  }
}
