/**
 * OpenStack settings of the Nova compute driver, read as every OpenStack client reads them.
 *
 * Credentials (Keystone v3 password auth of a service account) come from the `OS_*` variables, or from
 * the `clouds.yaml` entry named by `OS_CLOUD` (searched as openstacksdk does, secure.yaml merged; see
 * config/clouds.ts). With OS_CLOUD set, an `OS_*` variable that is also set overrides
 * the entry's value, as the openstack CLI's `--os-*` options (whose defaults are those variables) do.
 *
 * Driver settings use Octavia's option names upper-cased where Octavia has one
 * (`[controller_worker] amp_boot_network_list` -> AMP_BOOT_NETWORK_LIST, `[nova] enable_anti_affinity`
 * -> ENABLE_ANTI_AFFINITY, ...).
 *
 * Nothing here requires credentials: the no-op driver runs without any. The Nova driver checks that
 * what it needs is present when it is created (drivers/compute/nova/index.ts).
 *
 * The password is held in a Secret, which prints, logs and serialises as `***`: even a configuration
 * tree dumped whole with JSON.stringify or console.log does not show it.
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import { readCloud, type CloudEntry, type CloudsSearch } from './clouds';

/** A value that never shows itself: toString/toJSON/inspect give `***`; `reveal()` gives the value. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [inspect.custom](): string {
    return '***';
  }
}

/**
 * config/index.ts's default for AMP_IMAGE_ID. It names no real Glance image: when AMP_IMAGE_ID is not
 * set and AMP_IMAGE_TAG is, the Nova driver treats an image id equal to it as "not chosen" and boots the
 * newest active image with the tag (Octavia's amp_image_tag); an AMP_IMAGE_ID set in the environment, or
 * an image id a flavor profile chose, always wins over the tag.
 */
export const AMP_IMAGE_ID_PLACEHOLDER = 'amphora-image';

const str = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().min(1).optional());
const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'True', 'False'])
    .default(def ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes', 'True'].includes(v));
const seconds = (def: number) => z.coerce.number().positive().default(def);

/** keystoneauth accepts the v2-era names (publicURL) too. */
const interfaceSchema = z
  .enum(['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL'])
  .default('public')
  .transform((v) => v.replace(/URL$/, '') as 'public' | 'internal' | 'admin');

const schema = z.object({
  OS_CLOUD: str,
  OS_AUTH_TYPE: z.enum(['password', 'v3password']).default('password'),
  OS_AUTH_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  OS_USERNAME: str,
  OS_USER_ID: str,
  OS_PASSWORD: str,
  OS_PROJECT_NAME: str,
  OS_PROJECT_ID: str,
  OS_USER_DOMAIN_NAME: str,
  OS_USER_DOMAIN_ID: str,
  OS_PROJECT_DOMAIN_NAME: str,
  OS_PROJECT_DOMAIN_ID: str,
  OS_REGION_NAME: str,
  OS_INTERFACE: interfaceSchema,
  OS_CACERT: str,
  OS_INSECURE: bool(false),

  /** The compute endpoint to use instead of the catalog's (`{project_id}` / `%(project_id)s` are filled in). */
  NOVA_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** The image endpoint to use instead of the catalog's (for AMP_IMAGE_TAG lookups and image validation). */
  GLANCE_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /** Every request to Keystone, Nova or Glance is aborted after this long (and counts as a transient fault). */
  NOVA_REQUEST_TIMEOUT_SECONDS: seconds(30),
  /** Consecutive service failures (5xx, timeouts, connection errors) that open the circuit breaker. */
  NOVA_CIRCUIT_BREAKER_THRESHOLD: z.coerce.number().int().positive().default(5),
  /** How long the breaker stays open before one probe request is let through (half-open). */
  NOVA_CIRCUIT_BREAKER_RESET_SECONDS: seconds(30),
  /** The network endpoint to use instead of the catalog's (NETWORK_DRIVER=neutron), and its client's limits. */
  NEUTRON_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  NEUTRON_REQUEST_TIMEOUT_SECONDS: seconds(30),
  NEUTRON_CIRCUIT_BREAKER_THRESHOLD: z.coerce.number().int().positive().default(5),
  NEUTRON_CIRCUIT_BREAKER_RESET_SECONDS: seconds(30),
  /** Octavia's [networking] port_detach_timeout, retry_interval, max_retries. */
  NETWORK_PORT_DETACH_TIMEOUT: seconds(300),
  NETWORK_RETRY_INTERVAL: seconds(1),
  NETWORK_MAX_RETRIES: z.coerce.number().int().positive().default(15),

  AMP_BOOT_NETWORK_LIST: list,
  AMP_SECGROUP_LIST: list,
  AMP_SSH_KEY_NAME: str,
  AMP_IMAGE_TAG: str,
  AMP_IMAGE_OWNER_ID: str,
  AMP_IMAGE_ID: str,
  ENABLE_ANTI_AFFINITY: bool(false),
  ANTI_AFFINITY_POLICY: z.enum(['anti-affinity', 'soft-anti-affinity']).default('anti-affinity'),
});

const cloudKeys: Array<[string[], keyof z.input<typeof schema>]> = [
  [['auth_type'], 'OS_AUTH_TYPE'],
  [['auth', 'auth_url'], 'OS_AUTH_URL'],
  [['auth', 'username'], 'OS_USERNAME'],
  [['auth', 'user_id'], 'OS_USER_ID'],
  [['auth', 'password'], 'OS_PASSWORD'],
  [['auth', 'project_name'], 'OS_PROJECT_NAME'],
  [['auth', 'tenant_name'], 'OS_PROJECT_NAME'],
  [['auth', 'project_id'], 'OS_PROJECT_ID'],
  [['auth', 'tenant_id'], 'OS_PROJECT_ID'],
  [['auth', 'user_domain_name'], 'OS_USER_DOMAIN_NAME'],
  [['auth', 'user_domain_id'], 'OS_USER_DOMAIN_ID'],
  [['auth', 'project_domain_name'], 'OS_PROJECT_DOMAIN_NAME'],
  [['auth', 'project_domain_id'], 'OS_PROJECT_DOMAIN_ID'],
  // openstacksdk: domain_name / domain_id stand for both domains when those are not given.
  [['auth', 'domain_name'], 'OS_USER_DOMAIN_NAME'],
  [['auth', 'domain_name'], 'OS_PROJECT_DOMAIN_NAME'],
  [['auth', 'domain_id'], 'OS_USER_DOMAIN_ID'],
  [['auth', 'domain_id'], 'OS_PROJECT_DOMAIN_ID'],
  [['region_name'], 'OS_REGION_NAME'],
  [['interface'], 'OS_INTERFACE'],
  [['endpoint_type'], 'OS_INTERFACE'],
  [['cacert'], 'OS_CACERT'],
  [['compute_endpoint_override'], 'NOVA_ENDPOINT'],
  [['image_endpoint_override'], 'GLANCE_ENDPOINT'],
];

function at(entry: CloudEntry, keys: string[]): unknown {
  let v: unknown = entry;
  for (const k of keys) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The clouds.yaml entry as OS_* variables (only keys the entry has; earlier mappings win). */
function cloudAsEnv(entry: CloudEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [keys, name] of cloudKeys) {
    const v = at(entry, keys);
    if ((typeof v === 'string' && v !== '') || typeof v === 'number') out[name] ??= String(v);
  }
  // `regions: [RegionOne, ...]` (or [{name: RegionOne}]): the first one, as openstacksdk's default.
  const regions = entry.regions;
  if (out.OS_REGION_NAME === undefined && Array.isArray(regions) && regions.length > 0) {
    const first: unknown = regions[0];
    const name = typeof first === 'string' ? first : (first as { name?: unknown } | null)?.name;
    if (typeof name === 'string') out.OS_REGION_NAME = name;
  }
  if (entry.verify === false || entry.insecure === true) out.OS_INSECURE = 'true';
  return out;
}

export function loadOpenStackConfig(env: NodeJS.ProcessEnv = process.env, search: Omit<CloudsSearch, 'env'> = {}) {
  let merged: NodeJS.ProcessEnv = env;
  let cloudsFile: string | undefined;
  if (env.OS_CLOUD) {
    const { entry, file } = readCloud(env.OS_CLOUD, { ...search, env });
    cloudsFile = file;
    const fromEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
    merged = { ...cloudAsEnv(entry), ...fromEnv };
  }

  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    // Issue messages name the variable and the rule, never the value (so never the password).
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid OpenStack configuration${cloudsFile ? ` (cloud ${env.OS_CLOUD} in ${cloudsFile})` : ''}: ${problems}`);
  }
  const e = parsed.data;
  const noDomain = (name?: string, id?: string) => (name === undefined && id === undefined ? 'Default' : name);
  return {
    /** The clouds.yaml entry used, when OS_CLOUD is set. */
    cloud: e.OS_CLOUD,
    cloudsFile,
    auth: {
      authUrl: e.OS_AUTH_URL,
      username: e.OS_USERNAME,
      userId: e.OS_USER_ID,
      password: e.OS_PASSWORD === undefined ? undefined : new Secret(e.OS_PASSWORD),
      projectName: e.OS_PROJECT_NAME,
      projectId: e.OS_PROJECT_ID,
      /** 'Default' when neither the name nor the id of the domain is given (devstack's and most clouds'). */
      userDomainName: noDomain(e.OS_USER_DOMAIN_NAME, e.OS_USER_DOMAIN_ID),
      userDomainId: e.OS_USER_DOMAIN_ID,
      projectDomainName: noDomain(e.OS_PROJECT_DOMAIN_NAME, e.OS_PROJECT_DOMAIN_ID),
      projectDomainId: e.OS_PROJECT_DOMAIN_ID,
    },
    regionName: e.OS_REGION_NAME,
    interface: e.OS_INTERFACE,
    /** Trusted besides Node's roots by every OpenStack client (drivers/openstack/tls.ts). */
    caFile: e.OS_CACERT,
    insecure: e.OS_INSECURE,
    nova: {
      endpoint: e.NOVA_ENDPOINT,
      requestTimeoutSeconds: e.NOVA_REQUEST_TIMEOUT_SECONDS,
      circuitBreaker: {
        threshold: e.NOVA_CIRCUIT_BREAKER_THRESHOLD,
        resetSeconds: e.NOVA_CIRCUIT_BREAKER_RESET_SECONDS,
      },
    },
    glance: { endpoint: e.GLANCE_ENDPOINT },
    neutron: {
      endpoint: e.NEUTRON_ENDPOINT,
      requestTimeoutSeconds: e.NEUTRON_REQUEST_TIMEOUT_SECONDS,
      circuitBreaker: { threshold: e.NEUTRON_CIRCUIT_BREAKER_THRESHOLD, resetSeconds: e.NEUTRON_CIRCUIT_BREAKER_RESET_SECONDS },
      portDetachTimeoutSeconds: e.NETWORK_PORT_DETACH_TIMEOUT,
      retryIntervalSeconds: e.NETWORK_RETRY_INTERVAL,
      maxRetries: e.NETWORK_MAX_RETRIES,
    },
    amphora: {
      /** Empty: amphorae are booted with `networks: "none"` (ports are attached later). */
      bootNetworkIds: e.AMP_BOOT_NETWORK_LIST,
      securityGroups: e.AMP_SECGROUP_LIST,
      sshKeyName: e.AMP_SSH_KEY_NAME,
      imageTag: e.AMP_IMAGE_TAG,
      imageOwnerId: e.AMP_IMAGE_OWNER_ID,
      /**
       * The image id that means "none chosen, use AMP_IMAGE_TAG": config/index.ts's default, when
       * AMP_IMAGE_ID is not set and AMP_IMAGE_TAG is. Undefined otherwise (image ids are used as given).
       */
      placeholderImageId: e.AMP_IMAGE_ID === undefined && e.AMP_IMAGE_TAG !== undefined ? AMP_IMAGE_ID_PLACEHOLDER : undefined,
      enableAntiAffinity: e.ENABLE_ANTI_AFFINITY,
      antiAffinityPolicy: e.ANTI_AFFINITY_POLICY,
    },
  };
}

export type OpenStackConfig = ReturnType<typeof loadOpenStackConfig>;
