/**
 * What an amphora of the rest driver is built with (Octavia's CertComputeCreate): a fresh server
 * certificate (CN = SAN = the amphora id), the client CA it trusts the controller by, and its
 * amphora-agent.conf, as config-drive files. The key in them is a secret: the files go to the compute
 * driver only, never to a log or an activity result.
 */
import type { CertificateAuthority } from '../../certificates/port';
import type { AmphoraBoot } from '../port';
import { amphoraConfigDriveFiles, DEFAULT_AGENT_CONFIG, renderAgentConfig, type AgentConfigSettings } from './agent-config';

/** The [health_manager] options every amphora is given, and where its agent logs (no rsyslog locally). */
export type AgentBootSettings = Pick<AgentConfigSettings, 'controllerIpPortList' | 'heartbeatInterval' | 'heartbeatKey'> & { logFile?: string };

export class AmphoraBootFiles {
  constructor(
    private readonly ca: CertificateAuthority,
    private readonly settings: AgentBootSettings,
  ) {}

  async forAmphora(amphoraId: string, topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<AmphoraBoot> {
    const agent: AgentConfigSettings = { ...DEFAULT_AGENT_CONFIG, ...this.settings };
    const certificate = await this.ca.issueAmphoraCertificate(amphoraId);
    const files = amphoraConfigDriveFiles(agent, {
      agentConfig: renderAgentConfig(agent, { amphoraId, topology }),
      serverPem: certificate.pem,
      clientCaPem: await this.ca.clientCaCertificate(),
    });
    return { configDriveFiles: files, certExpiration: certificate.expiresAt };
  }
}
