/**
 * The amphora's /etc/octavia/amphora-agent.conf, as Octavia 11 renders
 * octavia/amphorae/backends/agent/templates/amphora_agent_conf.template (AgentJinjaTemplater), and the
 * config-drive files an amphora is built with (Octavia's CertComputeCreate + ComputeCreate): the agent
 * configuration, its server certificate + key, and the client CA it trusts the controller by.
 *
 * The output is byte for byte the template's (a leading blank line from its licence comment, no final
 * newline), except that values are not HTML-escaped: Octavia's jinja environment autoescapes, which
 * would turn a heartbeat key with `&` into `&amp;` and make the agent sign with another key.
 */
import { MAX_CONFIG_DRIVE_FILE_BYTES } from '../../compute/port';
import { AmphoraDriverError } from '../errors';

export const AGENT_CONFIG_PATH = '/etc/octavia/amphora-agent.conf';

/** The options the template reads, under Octavia's names (camelCase), with its defaults below. */
export interface AgentConfigSettings {
  /** [DEFAULT] debug. */
  debug: boolean;
  /**
   * Ours: log to this file instead of syslog (`use_syslog = False`, `log_file`), as the reference rig
   * does where no rsyslog runs. Unset: the template's `use_syslog = True`.
   */
  logFile?: string;
  /** [haproxy_amphora] */
  baseCertDir: string;
  basePath: string;
  bindHost: string;
  bindPort: number;
  haproxyCmd: string;
  respawnCount: number;
  respawnInterval: number;
  useUpstart: boolean;
  /** [health_manager]: where heartbeats go (round-robin, one per interval), how often, signed with what. */
  controllerIpPortList: string[];
  heartbeatInterval: number;
  heartbeatKey: string;
  /** [amphora_agent] */
  agentServerCa: string;
  agentServerCert: string;
  agentServerNetworkDir?: string;
  agentRequestReadTimeout: number;
  amphoraUdpDriver: string;
  agentTlsProtocol: string;
  userLogFacility: number;
  administrativeLogFacility: number;
}

/** Octavia 11's defaults (octavia/common/config.py); the [health_manager] values come from ours. */
export const DEFAULT_AGENT_CONFIG: Readonly<Omit<AgentConfigSettings, 'controllerIpPortList' | 'heartbeatInterval' | 'heartbeatKey'>> = Object.freeze({
  debug: false,
  baseCertDir: '/var/lib/octavia/certs',
  basePath: '/var/lib/octavia',
  bindHost: '::',
  bindPort: 9443,
  haproxyCmd: '/usr/sbin/haproxy',
  respawnCount: 2,
  respawnInterval: 2,
  useUpstart: true,
  agentServerCa: '/etc/octavia/certs/client_ca.pem',
  agentServerCert: '/etc/octavia/certs/server.pem',
  agentRequestReadTimeout: 180,
  amphoraUdpDriver: 'keepalived_lvs',
  agentTlsProtocol: 'TLSv1.2',
  userLogFacility: 0,
  administrativeLogFacility: 1,
});

export interface AgentConfigTarget {
  amphoraId: string;
  /** [controller_worker] loadbalancer_topology: ACTIVE_STANDBY makes keepalived own the VIP. */
  topology: 'SINGLE' | 'ACTIVE_STANDBY';
}

/** How jinja prints a Python value. */
const py = (v: string | number | boolean): string => (v === true ? 'True' : v === false ? 'False' : String(v));

export function renderAgentConfig(s: AgentConfigSettings, target: AgentConfigTarget): string {
  if (!Number.isInteger(s.heartbeatInterval) || s.heartbeatInterval < 1) {
    // The agent's heartbeat_interval is an IntOpt: anything else stops it from starting.
    throw new AmphoraDriverError(`heartbeat_interval must be a whole number of seconds for the amphora agent, got ${s.heartbeatInterval}.`);
  }
  const values: Array<[string, string | number | boolean]> = [
    ['amphora_id', target.amphoraId],
    ['heartbeat_key', s.heartbeatKey],
    ['log_file', s.logFile ?? ''],
    ['agent_server_network_dir', s.agentServerNetworkDir ?? ''],
    ...s.controllerIpPortList.map((c): [string, string] => ['controller_ip_port_list', c]),
  ];
  for (const [key, value] of values) {
    // One value per line in an ini file: a line break would inject options into the agent's config.
    if (/[\r\n]/.test(String(value))) throw new AmphoraDriverError(`The amphora agent option ${key} cannot contain a line break.`);
  }
  const logging = s.logFile
    ? ['use_syslog = False', `log_file = ${s.logFile}`]
    : ['use_syslog = True', `syslog_log_facility = LOG_LOCAL${s.administrativeLogFacility}`];
  const lines = [
    '',
    '[DEFAULT]',
    `debug = ${py(s.debug)}`,
    ...logging,
    '',
    '[haproxy_amphora]',
    `base_cert_dir = ${s.baseCertDir}`,
    `base_path = ${s.basePath}`,
    `bind_host = ${s.bindHost}`,
    `bind_port = ${s.bindPort}`,
    `haproxy_cmd = ${s.haproxyCmd}`,
    `respawn_count = ${s.respawnCount}`,
    `respawn_interval = ${s.respawnInterval}`,
    `use_upstart = ${py(s.useUpstart)}`,
    `user_log_facility = ${s.userLogFacility}`,
    `administrative_log_facility = ${s.administrativeLogFacility}`,
    '',
    '[health_manager]',
    `controller_ip_port_list = ${s.controllerIpPortList.join(', ')}`,
    `heartbeat_interval = ${s.heartbeatInterval}`,
    `heartbeat_key = ${s.heartbeatKey}`,
    '',
    '[amphora_agent]',
    `agent_server_ca = ${s.agentServerCa}`,
    `agent_server_cert = ${s.agentServerCert}`,
    ...(s.agentServerNetworkDir ? [`agent_server_network_dir = ${s.agentServerNetworkDir}`] : []),
    `agent_request_read_timeout = ${s.agentRequestReadTimeout}`,
    `amphora_id = ${target.amphoraId}`,
    `amphora_udp_driver = ${s.amphoraUdpDriver}`,
    `agent_tls_protocol = ${s.agentTlsProtocol}`,
    '',
    '[controller_worker]',
    `loadbalancer_topology = ${target.topology}`,
  ];
  return lines.join('\n');
}

export interface AmphoraBootFiles {
  /** renderAgentConfig's output. */
  agentConfig: string;
  /** The amphora's server certificate and key, one PEM (CertificateAuthority.issueAmphoraCertificate). */
  serverPem: string;
  /** The client CA certificate (CertificateAuthority.clientCaCertificate). */
  clientCaPem: string;
}

/**
 * The config-drive files of an amphora (BuildRequest.configDriveFiles), at the paths its agent
 * configuration names: three of the compute port's five, each checked against its 10 KiB here, so an
 * oversized file is reported as what it is rather than as a failed build.
 */
export function amphoraConfigDriveFiles(s: Pick<AgentConfigSettings, 'agentServerCert' | 'agentServerCa'>, files: AmphoraBootFiles): Record<string, string> {
  const drive: Record<string, string> = {
    [AGENT_CONFIG_PATH]: files.agentConfig,
    [s.agentServerCert]: files.serverPem,
    [s.agentServerCa]: files.clientCaPem,
  };
  if (Object.keys(drive).length !== 3) throw new AmphoraDriverError('agent_server_cert, agent_server_ca and the agent configuration need three different paths.');
  for (const [file, contents] of Object.entries(drive)) {
    const size = Buffer.byteLength(contents, 'utf8');
    if (size > MAX_CONFIG_DRIVE_FILE_BYTES) {
      throw new AmphoraDriverError(`Config drive file ${file} is ${size} bytes; the compute driver takes at most ${MAX_CONFIG_DRIVE_FILE_BYTES}.`);
    }
  }
  return drive;
}
