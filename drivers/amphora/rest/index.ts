/**
 * The `rest` amphora driver (AMPHORA_DRIVER=rest), put together: the agent client with the
 * controller's TLS material from the certificate authority, and Octavia's haproxy template.
 */
import type { CertificateAuthority } from '../../certificates/port';
import { AmphoraAgentClient, type AgentClientSettings } from './client';
import { AmphoraBootFiles, type AgentBootSettings } from './boot';
import { RestAmphoraDriver } from './driver';
import { renderHaproxyConfig, type HaproxyAmphoraOptions } from './haproxy';

export async function createRestAmphoraDriver(
  ca: CertificateAuthority,
  settings: AgentClientSettings,
  agent: AgentBootSettings,
  haproxyOptions?: HaproxyAmphoraOptions,
): Promise<RestAmphoraDriver> {
  const client = new AmphoraAgentClient(await ca.controllerTls(), settings);
  return new RestAmphoraDriver(client, renderHaproxyConfig, haproxyOptions, new AmphoraBootFiles(ca, agent));
}

export { RestAmphoraDriver, type HaproxyRenderer } from './driver';
export { AmphoraBootFiles, type AgentBootSettings } from './boot';
export { AmphoraAgentClient, DEFAULT_AGENT_CLIENT_SETTINGS, type AgentClientSettings } from './client';
export { AGENT_CONFIG_PATH, DEFAULT_AGENT_CONFIG, amphoraConfigDriveFiles, renderAgentConfig, type AgentConfigSettings } from './agent-config';
