/**
 * The one configuration tree of the system, read once from the environment and validated.
 * Every setting has a default that runs the whole system on a laptop (see README: Configuration).
 * Names follow OpenStack's conventions where a user already knows them (OS_* for Keystone,
 * Octavia's option names upper-cased for controller settings).
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { dataPlaneConfig, dataPlaneSchema, heartbeatKey, withDataPlaneDefaults } from './data-plane';
import { loadOpenStackConfig } from './openstack';

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
/** A quota: -1 (unlimited) .. Octavia's MAX_QUOTA. */
const quota = () => z.coerce.number().int().min(-1).max(2000000000).default(-1);
/** A duration in seconds (fractions allowed: tests run the health manager on sub-second intervals). */
const seconds = (def: number) => z.coerce.number().positive().default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const projectRoot = path.resolve(__dirname, '..');

/**
 * NOOP_FAULTS: comma-separated `<step>:<fault>[:<value>]`, each fault always or with the probability
 * `value` (0..1); latencies in milliseconds. What each does to a flow is in the README (Trying faults by hand).
 */
export const NOOP_FAULT_RULES = {
  /** The compute service fails the build (retryable: the flow retries it). */
  'build:error': 'buildFails',
  /** The compute service refuses the build (final: the flow compensates at once). */
  'build:reject': 'buildRejected',
  /** The instance never leaves BUILD (the boot wait times out). */
  'build:hang': 'buildHangs',
  /** The instance goes to ERROR while it boots. */
  'boot:error': 'statusError',
  /** Instance deletes fail (compensations and deletes leave ERROR amphorae for housekeeping). */
  'delete:error': 'deleteFails',
  /** The amphora rejects its configuration (final: the flow compensates). */
  'config:error': 'configFails',
  /** Every compute call / configuration push takes this many milliseconds. */
  'compute:latency': 'computeLatencyMs',
  'config:latency': 'configLatencyMs',
} as const;

export type NoopFaultSettings = Partial<Record<(typeof NOOP_FAULT_RULES)[keyof typeof NOOP_FAULT_RULES], number>>;

export function parseNoopFaults(spec: string): NoopFaultSettings {
  const faults: NoopFaultSettings = {};
  for (const rule of spec.split(',').map((r) => r.trim()).filter(Boolean)) {
    const [step = '', fault = '', value, ...rest] = rule.split(':');
    const name = `${step}:${fault}`;
    const key = (NOOP_FAULT_RULES as Record<string, keyof NoopFaultSettings>)[name];
    if (!key || rest.length > 0) {
      throw new Error(`unknown fault "${rule}" (known: ${Object.keys(NOOP_FAULT_RULES).join(', ')})`);
    }
    const latency = fault === 'latency';
    const n = value === undefined ? (latency ? NaN : 1) : Number(value);
    if (latency ? !(Number.isInteger(n) && n >= 0) : !(n >= 0 && n <= 1)) {
      throw new Error(`"${rule}" needs ${latency ? 'a latency in milliseconds' : 'a probability between 0 and 1'}`);
    }
    faults[key] = n;
  }
  return faults;
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty, human-readable logs on a terminal; JSON lines otherwise (for log shippers). */
  LOG_PRETTY: bool(process.stdout.isTTY === true),

  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/octavia'),
  DATABASE_POOL_SIZE: int(10),

  /** When set, the app connects to this Temporal cluster and starts no dev server. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('octavia-controller'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  /** Where a Temporal CLI built by `go install` is kept: outside the clone, so every clone reuses it. */
  TEMPORAL_TOOLS_DIR: z
    .string()
    .default(path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'octavia-temporal', 'bin')),
  TEMPORAL_DEV_SERVER_PORT: int(7233),
  TEMPORAL_DEV_UI_PORT: int(8233),
  TEMPORAL_DEV_DB_FILE: z.string().default(path.join(projectRoot, '.data', 'temporal.sqlite')),
  /**
   * Where the worker's Temporal runtime serves its own Prometheus metrics (host:port; port 0: a free
   * one; '' off). The API's /metrics appends them when the worker runs in its process.
   */
  TEMPORAL_METRICS_ADDRESS: z.string().default('127.0.0.1:0'),
  /**
   * A workflow bundle built beforehand (`npm run bundle-workflows -- <file>`): the worker starts in a
   * second or two instead of having a child process bundle workflows/ (15 s on a busy machine). It must
   * be built from the same code the worker runs.
   */
  TEMPORAL_WORKFLOW_BUNDLE: z.string().min(1).optional(),

  API_BIND_HOST: z.string().default('127.0.0.1'),
  API_BIND_PORT: int(9876),
  AUTH_STRATEGY: z.enum(['noauth', 'keystone']).default('noauth'),

  COMPUTE_DRIVER: z.enum(['noop', 'nova', 'local']).default('noop'),
  NETWORK_DRIVER: z.enum(['noop', 'local', 'neutron']).default('noop'),
  /** No-op driver: how long a fake instance stays in BUILD before it is ACTIVE. */
  NOOP_BUILD_DELAY_MS: int(0),
  /** No-op driver: file that keeps its fake instances across restarts ('' keeps them in memory only). */
  NOOP_STATE_FILE: z
    .string()
    .default(path.join(projectRoot, '.data', 'noop-compute.json'))
    .transform((v) => v || undefined),
  /**
   * No-op amphora driver: simulated heartbeats, as if each amphora ran Octavia's agent (a demo of the
   * health manager). Off by default: Octavia's no-op driver sends none, so operating statuses stay OFFLINE.
   */
  NOOP_HEARTBEATS: bool(false),
  /** No-op drivers: faults to inject, for watching compensations by hand (noopFaults below). */
  NOOP_FAULTS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseNoopFaults(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Octavia's amp_active_wait_sec: how often a booting amphora's compute status is polled. */
  AMP_ACTIVE_WAIT_SEC: z.coerce.number().positive().default(1),
  /** How long an amphora may take to boot before the build is failed and compensated. */
  AMP_BOOT_TIMEOUT_SECONDS: int(300),
  /** Octavia's loadbalancer_topology: SINGLE (one amphora) or ACTIVE_STANDBY (a MASTER/BACKUP pair). */
  LOADBALANCER_TOPOLOGY: z.enum(['SINGLE', 'ACTIVE_STANDBY']).default('SINGLE'),
  AMP_FLAVOR_ID: z.string().default('amphora-flavor'),
  AMP_IMAGE_ID: z.string().default('amphora-image'),

  /** Octavia's [quotas] default_*_quota: per-project limits where no quota is set (-1: unlimited). */
  DEFAULT_LOAD_BALANCER_QUOTA: quota(),
  DEFAULT_LISTENER_QUOTA: quota(),
  DEFAULT_POOL_QUOTA: quota(),
  DEFAULT_HEALTH_MONITOR_QUOTA: quota(),
  DEFAULT_MEMBER_QUOTA: quota(),
  DEFAULT_L7POLICY_QUOTA: quota(),
  DEFAULT_L7RULE_QUOTA: quota(),

  /** Housekeeping and health manager ([house_keeping], [health_manager]; README: Housekeeping and health). */
  SPARE_AMPHORA_POOL_SIZE: int(0),
  SPARE_CHECK_INTERVAL: seconds(30),
  /** Octavia's is 30 s; here each run is a workflow execution, and rows expire after a week (README). */
  CLEANUP_INTERVAL: seconds(300),
  AMPHORA_EXPIRY_AGE: seconds(604800),
  LOAD_BALANCER_EXPIRY_AGE: seconds(604800),
  /** Ours (Octavia has none): how long an amphora stays ERROR before housekeeping deletes it. */
  AMPHORA_ERROR_AGE: seconds(300),
  HEARTBEAT_INTERVAL: seconds(10),
  HEARTBEAT_TIMEOUT: seconds(60),
  HEALTH_CHECK_INTERVAL: seconds(3),
  /** Unset (Octavia's default): no storm protection. */
  FAILOVER_THRESHOLD: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().nonnegative().optional()),
  FAILOVER_THREADS: z.coerce.number().int().positive().default(10),
  /**
   * Octavia's heartbeat_key: the HMAC-SHA256 key of every heartbeat's envelope. Unset: the key kept in
   * HEARTBEAT_KEY_FILE (config/data-plane.ts). Amphorae are given the key in their configuration, so
   * every health manager of a deployment must be set to the same one.
   */
  HEARTBEAT_KEY: z.string().optional(),
  /** Octavia's [health_manager] bind_ip / bind_port: where the UDP heartbeat receiver listens (0: any free port). */
  HEALTH_MANAGER_BIND_IP: z.string().min(1).default('127.0.0.1'),
  HEALTH_MANAGER_BIND_PORT: z.coerce.number().int().min(0).max(65535).default(5555),
  ...dataPlaneSchema(projectRoot),
});

export type Env = z.infer<typeof envSchema>;


export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = envSchema.safeParse(withDataPlaneDefaults(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    temporal: {
      /** undefined: start and use a local dev server. */
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      toolsDir: e.TEMPORAL_TOOLS_DIR,
      metricsAddress: e.TEMPORAL_METRICS_ADDRESS || undefined,
      workflowBundle: e.TEMPORAL_WORKFLOW_BUNDLE,
      devServer: {
        ip: '127.0.0.1',
        port: e.TEMPORAL_DEV_SERVER_PORT,
        uiPort: e.TEMPORAL_DEV_UI_PORT,
        dbFile: e.TEMPORAL_DEV_DB_FILE,
      },
    },
    api: { host: e.API_BIND_HOST, port: e.API_BIND_PORT, authStrategy: e.AUTH_STRATEGY },
    network: { driver: e.NETWORK_DRIVER },
    compute: {
      driver: e.COMPUTE_DRIVER,
      noop: { buildDelayMs: e.NOOP_BUILD_DELAY_MS, statePath: e.NOOP_STATE_FILE },
      topology: e.LOADBALANCER_TOPOLOGY,
      amphora: {
        activeWaitSeconds: e.AMP_ACTIVE_WAIT_SEC,
        bootTimeoutSeconds: e.AMP_BOOT_TIMEOUT_SECONDS,
        flavorId: e.AMP_FLAVOR_ID,
        imageId: e.AMP_IMAGE_ID,
      },
    },
    /** Default quotas (Octavia's [quotas] section); a project's own quotas are in the quotas table. */
    quotas: {
      loadBalancer: e.DEFAULT_LOAD_BALANCER_QUOTA,
      listener: e.DEFAULT_LISTENER_QUOTA,
      pool: e.DEFAULT_POOL_QUOTA,
      healthMonitor: e.DEFAULT_HEALTH_MONITOR_QUOTA,
      member: e.DEFAULT_MEMBER_QUOTA,
      l7policy: e.DEFAULT_L7POLICY_QUOTA,
      l7rule: e.DEFAULT_L7RULE_QUOTA,
    },
    /** The housekeeping manager: spare pool and cleanup schedules (platform/schedules.ts). */
    housekeeping: {
      sparePoolSize: e.SPARE_AMPHORA_POOL_SIZE,
      spareCheckIntervalSeconds: e.SPARE_CHECK_INTERVAL,
      cleanupIntervalSeconds: e.CLEANUP_INTERVAL,
      amphoraExpiryAgeSeconds: e.AMPHORA_EXPIRY_AGE,
      loadBalancerExpiryAgeSeconds: e.LOAD_BALANCER_EXPIRY_AGE,
      errorAmphoraAgeSeconds: e.AMPHORA_ERROR_AGE,
    },
    /** The health manager: heartbeats, the monitor workflow, failover storms. */
    health: {
      heartbeatIntervalSeconds: e.HEARTBEAT_INTERVAL,
      heartbeatTimeoutSeconds: e.HEARTBEAT_TIMEOUT,
      checkIntervalSeconds: e.HEALTH_CHECK_INTERVAL,
      failoverThreshold: e.FAILOVER_THRESHOLD ?? null,
      failoverThreads: e.FAILOVER_THREADS,
      heartbeatKey: heartbeatKey(e.HEARTBEAT_KEY, e.HEARTBEAT_KEY_FILE),
      bindIp: e.HEALTH_MANAGER_BIND_IP,
      bindPort: e.HEALTH_MANAGER_BIND_PORT,
    },
    /** The no-op drivers' simulation: heartbeats, where its amphorae's state is kept, injected faults. */
    noop: {
      heartbeats: e.NOOP_HEARTBEATS,
      /** Beside NOOP_STATE_FILE (none when that is memory only). */
      amphoraStatePath: e.NOOP_STATE_FILE ? path.join(path.dirname(e.NOOP_STATE_FILE), 'noop-amphorae.json') : undefined,
      faults: e.NOOP_FAULTS,
    },
    /** The data plane: amphora driver, certificates, heartbeat key, the local cloud (config/data-plane.ts). */
    dataPlane: dataPlaneConfig(e),
    /** Keystone credentials and Nova driver settings (config/openstack.ts). */
    openstack: loadOpenStackConfig(env),
  };
}

export type Config = ReturnType<typeof loadConfig>;

export const config: Config = loadConfig();
