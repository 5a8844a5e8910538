/**
 * Two suites in one configuration (two jest projects on one base), both against a real Temporal dev
 * server and a fresh PostgreSQL database, started once by test/support/global-setup.ts and stopped by
 * global-teardown.ts:
 *
 *   fast    `npm test`             unit tests, and integration tests against the dev server, the
 *                                  database and the emulators: no root, no namespaces, no Temporal
 *                                  cluster, no external client processes
 *   system  `npm run test:system`  what needs more of the machine: the real data plane (network
 *                                  namespaces, HAProxy, keepalived, Octavia's amphora agent; root),
 *                                  whole processes (restart, the fault campaign), the real Temporal
 *                                  cluster, the real OpenStack clients, gophercloud
 *
 * `npx jest <file>` runs a file of either suite; CI (.ci/run) runs both.
 */
// Quiet by default: failing tests print their own story. LOG_LEVEL=info npm test shows everything.
process.env.LOG_LEVEL ??= 'error';

/** The system suite: test/integration/<name>.test.ts. A test that needs root or an outside program goes here. */
const SYSTEM = [
  'data-plane',
  'data-plane-active-standby',
  'local-compute',
  'local-network',
  'compute-contract-local',
  'network-contract-local',
  'amphora-rest-driver-real-agent',
  'restart',
  'chaos',
  'keepalived-check',
  'cluster',
  'openstack-clients',
  'gophercloud',
];
const systemFiles = `/test/integration/(${SYSTEM.join('|')})\\.test\\.ts$`;

const base = {
  // Its own database per test file (a template copy): see test/support/environment.ts.
  testEnvironment: '<rootDir>/test/support/environment.ts',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // One test file at a time unless a script says otherwise: the system suite's files share the
  // machine's namespaces and ports. `npm test` runs the fast suite's files three at a time (package.json):
  // they share nothing but the dev server, and mostly wait on it, so three keep 2 cores busy.
  maxWorkers: 1,
  projects: [
    { ...base, displayName: 'fast', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: [systemFiles] },
    { ...base, displayName: 'system', testRegex: [systemFiles] },
  ],
};
