/**
 * The amphora driver port (Octavia's amphora-driver-interface): how the controller configures the
 * load-balancing software inside an amphora. Flows push the whole configuration of a load balancer
 * (listeners, pools, members, health monitors) after every change, as Octavia renders one haproxy
 * configuration per load balancer, and reload it. Stats and member health come from the amphorae's
 * heartbeats, not through this port.
 */
import type { AmphoraNetworkConfig, MemberNic } from '../network/port';

/**
 * The configuration of one load balancer, as an amphora needs it: everything Octavia's haproxy
 * template reads (drivers/amphora/rest/haproxy/), from what the database stores. Lists are in a stable
 * order (creation order), so the same state always renders the same haproxy.cfg.
 */
export interface LoadBalancerConfig {
  loadBalancerId: string;
  /** Goes into every connection log line (Octavia's user_log_format). */
  projectId: string;
  enabled: boolean;
  vipAddress: string | null;
  topology: 'SINGLE' | 'ACTIVE_STANDBY';
  listeners: ListenerConfig[];
  pools: PoolConfig[];
}

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TERMINATED_HTTPS' | 'UDP' | 'SCTP' | 'PROMETHEUS';
export type PoolProtocol = 'HTTP' | 'HTTPS' | 'PROXY' | 'PROXYV2' | 'TCP' | 'UDP' | 'SCTP';

export interface ListenerConfig {
  id: string;
  protocol: ListenerProtocol;
  protocolPort: number;
  enabled: boolean;
  /** -1: unlimited (Octavia's default_connection_limit). */
  connectionLimit: number;
  defaultPoolId: string | null;
  /** Milliseconds; 0 means Octavia's default (as its `or` in jinja_cfg.py). */
  timeouts: { clientData: number; memberConnect: number; memberData: number; tcpInspect: number };
  /** Header name -> "true"/"false" (Octavia's insert_headers). */
  insertHeaders: Record<string, string>;
  /** Enforced by the VIP port's security group (the network driver), not by HAProxy. */
  allowedCidrs: string[];
  /** TLS termination (TERMINATED_HTTPS): certificate references, null where this deployment stores none. */
  tls: {
    certificateRef: string | null;
    sniCertificateRefs: string[];
    clientCaRef: string | null;
    clientAuthentication: 'NONE' | 'OPTIONAL' | 'MANDATORY';
    clientCrlRef: string | null;
    ciphers: string | null;
    versions: string[] | null;
    alpnProtocols: string[] | null;
  };
  /** The listener's L7 policies in evaluation order (position 1 first), each with its rules. */
  l7Policies: L7PolicyConfig[];
}

export interface PoolConfig {
  id: string;
  protocol: PoolProtocol;
  lbAlgorithm: 'ROUND_ROBIN' | 'LEAST_CONNECTIONS' | 'SOURCE_IP' | 'SOURCE_IP_PORT';
  enabled: boolean;
  sessionPersistence: {
    type: 'SOURCE_IP' | 'HTTP_COOKIE' | 'APP_COOKIE';
    cookieName: string | null;
    /** UDP/SCTP pools (keepalived/LVS), seconds; null or 0: Octavia's template writes 360. */
    persistenceTimeout: number | null;
    /** UDP/SCTP pools: the netmask that groups clients; null: 255.255.255.255. */
    persistenceGranularity: string | null;
  } | null;
  /** TLS towards the members: certificate references null where this deployment stores none. */
  tls: {
    enabled: boolean;
    certificateRef: string | null;
    caCertificateRef: string | null;
    crlRef: string | null;
    ciphers: string | null;
    versions: string[] | null;
    alpnProtocols: string[] | null;
  };
  members: MemberConfig[];
  healthMonitor: HealthMonitorConfig | null;
}

export interface MemberConfig {
  id: string;
  address: string;
  protocolPort: number;
  weight: number;
  backup: boolean;
  enabled: boolean;
  /** Where health checks go instead of address:protocolPort. */
  monitorAddress: string | null;
  monitorPort: number | null;
}

export interface HealthMonitorConfig {
  /** Named in keepalived's configuration of a UDP/SCTP listener. */
  id: string;
  /** The database's spelling: TLS_HELLO and UDP_CONNECT for Octavia's TLS-HELLO and UDP-CONNECT. */
  type: 'HTTP' | 'HTTPS' | 'PING' | 'TCP' | 'TLS_HELLO' | 'UDP_CONNECT' | 'SCTP';
  /** Seconds. */
  delay: number;
  timeout: number;
  /** Successes before a member is up (HAProxy's rise). */
  maxRetries: number;
  /** Failures before a member is down (HAProxy's fall). */
  maxRetriesDown: number;
  httpMethod: string | null;
  urlPath: string | null;
  expectedCodes: string | null;
  /** 1.0 or 1.1. */
  httpVersion: number | null;
  domainName: string | null;
  enabled: boolean;
}

/**
 * An L7 policy as the amphora applies it (Octavia's haproxy template): a request matching every enabled
 * rule (each negated when `invert`) gets the action of the first enabled policy that matches. A
 * REDIRECT_TO_POOL policy whose pool is being deleted arrives with `redirectPoolId` null.
 */
export interface L7PolicyConfig {
  id: string;
  position: number;
  action: 'REJECT' | 'REDIRECT_TO_URL' | 'REDIRECT_TO_POOL' | 'REDIRECT_PREFIX';
  enabled: boolean;
  redirectPoolId: string | null;
  redirectUrl: string | null;
  redirectPrefix: string | null;
  redirectHttpCode: number | null;
  rules: Array<{
    id: string;
    type: 'HOST_NAME' | 'PATH' | 'FILE_TYPE' | 'HEADER' | 'COOKIE' | 'SSL_CONN_HAS_CERT' | 'SSL_VERIFY_RESULT' | 'SSL_DN_FIELD';
    compareType: 'REGEX' | 'STARTS_WITH' | 'ENDS_WITH' | 'CONTAINS' | 'EQUAL_TO';
    key: string | null;
    value: string;
    invert: boolean;
    enabled: boolean;
  }>;
}

/**
 * Octavia's HAPROXY_BASE_PEER_PORT: the TCP port ACTIVE_STANDBY HAProxies sync their stick tables on
 * (one peers section per load balancer here, so every listener's peer port is this one).
 */
export const HAPROXY_BASE_PEER_PORT = 1025;

export interface AmphoraTarget {
  amphoraId: string;
  /** Management address the controller reaches the amphora agent on. */
  lbNetworkIp: string | null;
  role: 'STANDALONE' | 'MASTER' | 'BACKUP' | null;
}

/**
 * An amphora of the load balancer as its configuration names it (ACTIVE_STANDBY: HAProxy peers share
 * stick tables over the VRRP addresses). Octavia lists every amphora of the load balancer.
 */
export interface AmphoraPeer {
  id: string;
  /** Its address on the VIP network (the network driver's vrrpIp). */
  vrrpIp: string | null;
  status: string;
}

/** What the agent reports about itself (GET /1.0/info). */
export interface AmphoraInfo {
  hostname: string;
  /** e.g. "2.6.12-1+deb12u4": selects what the haproxy configuration may use. */
  haproxyVersion: string;
  apiVersion: string;
  keepalivedVersion: string | null;
  ipvsadmVersion: string | null;
}

export interface ListenerStats {
  listenerId: string;
  bytesIn: number;
  bytesOut: number;
  activeConnections: number;
  totalConnections: number;
  requestErrors: number;
}

export interface AmphoraHealthReport {
  amphoraId: string;
  /** member id -> UP / DOWN / DRAIN / NO_CHECK */
  members: Record<string, 'UP' | 'DOWN' | 'DRAIN' | 'NO_CHECK'>;
}

/**
 * Every call is idempotent: flows retry them. The `rest` driver's calls are those of Octavia's
 * amphora_haproxy_rest_driver, in its order: getInfo (the agent answers), plugVip, then updateConfig
 * after every change; removeConfig when the last listener is gone.
 */
/** What an amphora is built with so its agent starts configured (config-drive files), and until when. */
export interface AmphoraBoot {
  /** Empty: the amphora needs no config drive (no-op). */
  configDriveFiles: Record<string, string>;
  /** The agent certificate's notAfter (the amphora's cert_expiration). */
  certExpiration: Date;
}

export interface AmphoraDriver {
  readonly name: string;
  /** The config drive of a new amphora and its certificate's expiry; null when there is neither. */
  bootFiles(amphoraId: string, topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<AmphoraBoot | null>;
  /** The agent's version and its HAProxy's (waits for the agent as a booting amphora needs). */
  getInfo(amphora: AmphoraTarget): Promise<AmphoraInfo>;
  /**
   * Brings the VIP up on the amphora's VIP-network NIC (found by MAC), with what the network driver's
   * plugVip returned. Plugged already is fine.
   */
  plugVip(amphora: AmphoraTarget, vipAddress: string, network: AmphoraNetworkConfig): Promise<void>;
  /**
   * Brings a member network's NIC up on the amphora (found by MAC, moved into its haproxy namespace,
   * its addresses configured): Octavia's post_network_plug. Plugged already is fine.
   */
  plugNetwork(amphora: AmphoraTarget, nic: MemberNic): Promise<void>;
  /**
   * Renders and installs the load balancer's configuration on the amphora, then reloads it (a reload
   * starts a stopped service); with no listener left the configuration is removed instead. `peers`:
   * every amphora of the load balancer (required for ACTIVE_STANDBY).
   */
  updateConfig(amphora: AmphoraTarget, config: LoadBalancerConfig, peers?: AmphoraPeer[]): Promise<void>;
  /** Starts / stops the load balancer's service (admin_state_up); nothing configured is fine. */
  start(amphora: AmphoraTarget, loadBalancerId: string): Promise<void>;
  stop(amphora: AmphoraTarget, loadBalancerId: string): Promise<void>;
  /** Removes the load balancer's configuration (before the amphora is released or deleted). */
  removeConfig(amphora: AmphoraTarget, loadBalancerId: string): Promise<void>;
  /** Replaces the agent's amphora-agent.conf; it applies the mutable options (heartbeat settings). */
  updateAgentConfig(amphora: AmphoraTarget, agentConfig: string): Promise<void>;
  /**
   * ACTIVE_STANDBY, in Octavia's order: the name of the NIC holding `ipAddress` (the amphora's VRRP
   * address) in its VIP namespace, keepalived's vrrp_interface; then keepalived's configuration
   * installed, then keepalived started (reloaded when it runs already).
   */
  getInterface(amphora: AmphoraTarget, ipAddress: string): Promise<string>;
  uploadVrrpConfig(amphora: AmphoraTarget, keepalivedConfig: string): Promise<void>;
  startVrrp(amphora: AmphoraTarget): Promise<void>;
}
