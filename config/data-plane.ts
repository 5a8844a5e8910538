/**
 * Settings of the data plane: which drivers carry traffic and how they reach the amphorae. Octavia's
 * option names, upper-cased with their section's prefix ([haproxy_amphora] client_cert ->
 * AMPHORA_CLIENT_CERT, [certificates] ca_certificate -> CERT_CA_CERTIFICATE, ...), Octavia's defaults.
 *
 * DATA_PLANE=local is the one switch for a real data plane on this machine: it makes `local` the
 * default compute and network drivers and `rest` the amphora driver (each still settable on its own).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { Secret } from './openstack';

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);
const optional = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

const DEFAULT_MGMT_CIDR = '169.254.150.0/24';

/** Host 1 of an IPv4 CIDR: the controller's address on the local management network. */
function firstHost(cidr: string): string {
  const [address = '', bits = '32'] = cidr.split('/');
  const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const network = n - (n % 2 ** (32 - Number(bits)));
  const host = network + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(host / 2 ** shift) % 256).join('.');
}

/**
 * The drivers DATA_PLANE=local stands for, as defaults under the explicit settings; the health
 * manager then listens where local amphorae send heartbeats (the controller's management address).
 */
export function withDataPlaneDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.DATA_PLANE !== 'local') return env;
  const controllerIp = firstHost(env.LOCAL_MGMT_CIDR || DEFAULT_MGMT_CIDR);
  return { COMPUTE_DRIVER: 'local', NETWORK_DRIVER: 'local', AMPHORA_DRIVER: 'rest', HEALTH_MANAGER_BIND_IP: controllerIp, ...env };
}

export function dataPlaneSchema(projectRoot: string) {
  const data = (file: string) => z.string().default(path.join(projectRoot, '.data', file));
  return {
    DATA_PLANE: z.enum(['', 'local']).default(''),
    AMPHORA_DRIVER: z.enum(['noop', 'rest']).default('noop'),
    /** [haproxy_amphora]: how the rest driver reaches agents. Unset cert/CA: the throw-away PKI's. */
    AMPHORA_CLIENT_CERT: optional,
    AMPHORA_SERVER_CA: optional,
    AMPHORA_BIND_PORT: int(9443),
    AMPHORA_CONNECTION_MAX_RETRIES: int(120),
    AMPHORA_CONNECTION_RETRY_INTERVAL: int(5),
    AMPHORA_REST_REQUEST_CONN_TIMEOUT: int(10),
    AMPHORA_REST_REQUEST_READ_TIMEOUT: int(60),
    /**
     * [keepalived_vrrp]: keepalived in ACTIVE_STANDBY amphorae. advert_int is copied into a load
     * balancer's VRRP group when it is created; the BACKUP takes the VIP about 3 advert intervals after
     * the MASTER's last advertisement. The check script (is HAProxy alive) runs every check interval;
     * garp refresh 0: no periodic gratuitous ARPs.
     */
    KEEPALIVED_VRRP_ADVERT_INT: positiveInt(1),
    KEEPALIVED_VRRP_CHECK_INTERVAL: positiveInt(5),
    KEEPALIVED_VRRP_FAIL_COUNT: positiveInt(2),
    KEEPALIVED_VRRP_SUCCESS_COUNT: positiveInt(2),
    KEEPALIVED_VRRP_GARP_REFRESH_INTERVAL: int(5),
    KEEPALIVED_VRRP_GARP_REFRESH_COUNT: int(2),
    /** [certificates]: the CA that signs amphora certificates. Unset: a throw-away PKI under CERT_STATE_DIR. */
    CERT_CA_CERTIFICATE: optional,
    CERT_CA_PRIVATE_KEY: optional,
    CERT_CA_PRIVATE_KEY_PASSPHRASE: optional,
    /** [controller_worker] client_ca: the CA amphorae trust the controller by. */
    CERT_CLIENT_CA: optional,
    CERT_VALIDITY_TIME: int(2592000),
    CERT_SIGNING_DIGEST: z.enum(['sha256', 'sha384', 'sha512']).default('sha256'),
    CERT_STATE_DIR: data('pki'),
    /**
     * [health_manager] controller_ip_port_list: where amphorae send heartbeats (comma-separated
     * ip:port). Unset: the local compute driver's controller address with HEALTH_MANAGER_BIND_PORT.
     */
    HEALTH_MANAGER_CONTROLLER_IP_PORT_LIST: optional,
    /**
     * Where a generated HEARTBEAT_KEY is kept when none is set, so amphorae configured with it still
     * heartbeat after a restart ('': a new key per process, enough for simulated amphorae).
     */
    HEARTBEAT_KEY_FILE: data('heartbeat-key'),
    /** The local cloud (COMPUTE_DRIVER=local, NETWORK_DRIVER=local): drivers/compute/local/README.md. */
    LOCAL_STATE_DIR: data('local-cloud'),
    LOCAL_MGMT_CIDR: z.string().default(DEFAULT_MGMT_CIDR),
    LOCAL_TENANT_CIDR: z.string().default('169.254.160.0/24'),
    LOCAL_SUBNET_ID: z.string().uuid().default('8b4b4c0a-5a0e-4e0a-9a55-0c1b1f0d2a11'),
    LOCAL_NETWORK_ID: z.string().uuid().default('5f2b7c1e-3d4a-4e8b-9c6d-7a1e2f3b4c5d'),
    /** The namespaces holding the two bridges, and the root namespace's interface on each (15 characters at most). */
    LOCAL_MGMT_NETNS: z.string().default('octavia-mgmt'),
    LOCAL_MGMT_UPLINK: z.string().max(15).default('oct-mgmt'),
    LOCAL_TENANT_NETNS: z.string().default('octavia-tenant'),
    LOCAL_TENANT_UPLINK: z.string().max(15).default('oct-tenant'),
  };
}

type DataPlaneEnv = z.infer<z.ZodObject<ReturnType<typeof dataPlaneSchema>>>;

/** HEARTBEAT_KEY, else the key kept in HEARTBEAT_KEY_FILE (made once), else one for this process. */
export function heartbeatKey(given: string | undefined, file: string): Secret {
  if (given) return new Secret(given);
  if (!file) return new Secret(randomBytes(32).toString('hex'));
  try {
    return new Secret(readFileSync(file, 'utf8').trim());
  } catch (err) {
    // Only a missing file is made; one that cannot be read is the operator's to fix (its owner, its mode).
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`HEARTBEAT_KEY_FILE ${file} cannot be read (${(err as NodeJS.ErrnoException).code}): set HEARTBEAT_KEY, or make the file readable.`);
    }
    const key = randomBytes(32).toString('hex');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return new Secret(key);
  }
}

export function dataPlaneConfig(e: DataPlaneEnv) {
  return {
    local: e.DATA_PLANE === 'local',
    controllerIpPortList: e.HEALTH_MANAGER_CONTROLLER_IP_PORT_LIST?.split(',').map((s) => s.trim()).filter(Boolean),
    amphora: {
      driver: e.AMPHORA_DRIVER,
      clientCert: e.AMPHORA_CLIENT_CERT,
      serverCa: e.AMPHORA_SERVER_CA,
      client: {
        bindPort: e.AMPHORA_BIND_PORT,
        connectionMaxRetries: e.AMPHORA_CONNECTION_MAX_RETRIES,
        connectionRetryInterval: e.AMPHORA_CONNECTION_RETRY_INTERVAL,
        restRequestConnTimeout: e.AMPHORA_REST_REQUEST_CONN_TIMEOUT,
        restRequestReadTimeout: e.AMPHORA_REST_REQUEST_READ_TIMEOUT,
      },
    },
    keepalivedVrrp: {
      vrrpAdvertInt: e.KEEPALIVED_VRRP_ADVERT_INT,
      vrrpCheckInterval: e.KEEPALIVED_VRRP_CHECK_INTERVAL,
      vrrpFailCount: e.KEEPALIVED_VRRP_FAIL_COUNT,
      vrrpSuccessCount: e.KEEPALIVED_VRRP_SUCCESS_COUNT,
      vrrpGarpRefreshInterval: e.KEEPALIVED_VRRP_GARP_REFRESH_INTERVAL,
      vrrpGarpRefreshCount: e.KEEPALIVED_VRRP_GARP_REFRESH_COUNT,
    },
    certificates: {
      caCertificate: e.CERT_CA_CERTIFICATE,
      caPrivateKey: e.CERT_CA_PRIVATE_KEY,
      caPrivateKeyPassphrase: e.CERT_CA_PRIVATE_KEY_PASSPHRASE ? new Secret(e.CERT_CA_PRIVATE_KEY_PASSPHRASE) : undefined,
      clientCa: e.CERT_CLIENT_CA,
      certValiditySeconds: e.CERT_VALIDITY_TIME,
      signingDigest: e.CERT_SIGNING_DIGEST,
      stateDir: e.CERT_STATE_DIR,
    },
    localCloud: {
      stateDir: e.LOCAL_STATE_DIR,
      mgmtCidr: e.LOCAL_MGMT_CIDR,
      tenantCidr: e.LOCAL_TENANT_CIDR,
      subnetId: e.LOCAL_SUBNET_ID,
      networkId: e.LOCAL_NETWORK_ID,
      mgmtNetns: e.LOCAL_MGMT_NETNS,
      mgmtUplink: e.LOCAL_MGMT_UPLINK,
      tenantNetns: e.LOCAL_TENANT_NETNS,
      tenantUplink: e.LOCAL_TENANT_UPLINK,
    },
  };
}
