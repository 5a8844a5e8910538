/**
 * What the haproxy.cfg of a load balancer depends on besides the load balancer itself: the amphora's
 * HAProxy version (from the agent's GET /1.0/info), the load balancer's amphorae (ACTIVE_STANDBY
 * peers), and the controller's options, named and defaulted as Octavia 11's `[haproxy_amphora]` and
 * `[amphora_agent]` options.
 */
import { AmphoraDriverNotSupported } from '../../errors';

export interface HaproxyAmphoraOptions {
  /** [haproxy_amphora] base_path: where the agent keeps <lb>.sock and <lb>/servers-state. */
  basePath: string;
  /** [haproxy_amphora] base_cert_dir: where uploaded certificates live (<dir>/<lb>/<listener>.pem). */
  baseCertDir: string;
  /** [haproxy_amphora] connection_logging: false renders `no log` and no log-format. */
  connectionLogging: boolean;
  /** [haproxy_amphora] user_log_format, with `{{ project_id }}` and `{{ lb_id }}` placeholders. */
  userLogFormat: string;
  /** [haproxy_amphora] default_connection_limit: a listener's maxconn when its limit is -1 (or 0). */
  defaultConnectionLimit: number;
  /** [haproxy_amphora] haproxy_stick_size: stick tables of session persistence. */
  haproxyStickSize: string;
  /** [haproxy_amphora] timeout_*: milliseconds, used where a listener's own value is 0. */
  timeoutClientData: number;
  timeoutMemberConnect: number;
  timeoutMemberData: number;
  timeoutTcpInspect: number;
  /** [amphora_agent] user_log_facility: LOG_LOCAL<n> of traffic logs. */
  userLogFacility: number;
  /** [amphora_agent] administrative_log_facility: LOG_LOCAL<n> of HAProxy's own logs. */
  administrativeLogFacility: number;
}

/** Octavia 11's defaults (octavia/common/config.py, constants.py). */
export const DEFAULT_HAPROXY_OPTIONS: Readonly<HaproxyAmphoraOptions> = Object.freeze({
  basePath: '/var/lib/octavia',
  baseCertDir: '/var/lib/octavia/certs',
  connectionLogging: true,
  userLogFormat: '{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc',
  defaultConnectionLimit: 50000,
  haproxyStickSize: '10k',
  timeoutClientData: 50000,
  timeoutMemberConnect: 5000,
  timeoutMemberData: 50000,
  timeoutTcpInspect: 0,
  userLogFacility: 0,
  administrativeLogFacility: 1,
});

export interface HaproxyRenderContext {
  /** The agent's `haproxy_version` (GET /1.0/info), e.g. "2.6.12-1+deb12u4": selects template features. */
  haproxyVersion: string;
  /**
   * Every amphora of the load balancer (ACTIVE_STANDBY: HAProxy peers share stick tables over their
   * VRRP addresses). Only ALLOCATED ones are peers: a replacement being built joins once allocated.
   */
  amphorae: Array<{ id: string; vrrpIp: string | null; status: string }>;
  options: HaproxyAmphoraOptions;
}

/** What the template may use on this HAProxy (jinja_cfg.py build_config). */
export interface HaproxyFeatures {
  /** 1.6+: `http-reuse safe`. */
  httpReuse: boolean;
  /** 1.9+: ALPN towards members. */
  poolAlpn: boolean;
  /** 2.0+: the Prometheus exporter. */
  prometheus: boolean;
  /** 2.2+: PING monitors need `insecure-fork-wanted`. */
  insecureFork: boolean;
}

/** Octavia reads the first two numbers of the version the agent reports ("2.6.12-1+deb12u4" -> 2.6). */
export function haproxyFeatures(version: string): HaproxyFeatures {
  const [major = NaN, minor = NaN] = version.split('.').slice(0, 2).map((n) => Number(n));
  if (!Number.isInteger(major) || !Number.isInteger(minor)) {
    throw new AmphoraDriverNotSupported(`The amphora reports an HAProxy version this driver cannot read: ${JSON.stringify(version)}.`);
  }
  const atLeast = (maj: number, min: number) => major > maj || (major === maj && minor >= min);
  return { httpReuse: atLeast(1, 6), poolAlpn: atLeast(1, 9), prometheus: major >= 2, insecureFork: atLeast(2, 2) };
}
