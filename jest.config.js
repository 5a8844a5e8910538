/**
 * One jest run: unit tests and integration tests against a real Temporal dev server and a fresh
 * PostgreSQL database, both started by test/support/global-setup.ts and stopped by global-teardown.ts.
 */
// Quiet by default: failing tests print their own story. LOG_LEVEL=info npm test shows everything.
process.env.LOG_LEVEL ??= 'error';

/** @type {import('jest').Config} */
module.exports = {
  // Its own database per test file (a template copy): see test/support/environment.ts.
  testEnvironment: '<rootDir>/test/support/environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // Two cores: one test file at a time keeps timings honest and the dev server unloaded.
  maxWorkers: 1,
};
