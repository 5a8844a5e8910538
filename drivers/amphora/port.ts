/**
 * The amphora driver port (Octavia's amphora-driver-interface): how the controller configures the
 * load-balancing software inside an amphora. Flows push the whole configuration of a load balancer
 * (listeners, pools, members, health monitors) after every change, as Octavia renders one haproxy
 * configuration per load balancer, and reload it; stats and health come back through it too.
 */

/** The configuration of one load balancer, as an amphora needs it. */
export interface LoadBalancerConfig {
  loadBalancerId: string;
  enabled: boolean;
  vipAddress: string | null;
  topology: 'SINGLE' | 'ACTIVE_STANDBY';
  listeners: Array<{
    id: string;
    protocol: string;
    protocolPort: number;
    enabled: boolean;
    connectionLimit: number;
    defaultPoolId: string | null;
    timeouts: { clientData: number; memberConnect: number; memberData: number; tcpInspect: number };
    /** The listener's L7 policies in evaluation order (position 1 first), each with its rules. */
    l7Policies: L7PolicyConfig[];
  }>;
  pools: Array<{
    id: string;
    protocol: string;
    lbAlgorithm: string;
    enabled: boolean;
    sessionPersistence: unknown;
    members: Array<{ id: string; address: string; protocolPort: number; weight: number; backup: boolean; enabled: boolean }>;
    healthMonitor: { type: string; delay: number; timeout: number; maxRetries: number; maxRetriesDown: number; httpMethod: string | null; urlPath: string | null; expectedCodes: string | null; enabled: boolean } | null;
  }>;
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

export interface AmphoraTarget {
  amphoraId: string;
  /** Management address the controller reaches the amphora agent on. */
  lbNetworkIp: string | null;
  role: 'STANDALONE' | 'MASTER' | 'BACKUP' | null;
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

export interface AmphoraDriver {
  readonly name: string;
  /** Renders and installs the load balancer's configuration on the amphora, then reloads it. Idempotent. */
  updateConfig(amphora: AmphoraTarget, config: LoadBalancerConfig): Promise<void>;
  /** Starts / stops the load-balancing service (admin_state_up of the load balancer). */
  start(amphora: AmphoraTarget): Promise<void>;
  stop(amphora: AmphoraTarget): Promise<void>;
  /** Removes the load balancer's configuration (before the amphora is released or deleted). */
  removeConfig(amphora: AmphoraTarget, loadBalancerId: string): Promise<void>;
  getStats(amphora: AmphoraTarget): Promise<ListenerStats[]>;
  getHealth(amphora: AmphoraTarget): Promise<AmphoraHealthReport>;
}
