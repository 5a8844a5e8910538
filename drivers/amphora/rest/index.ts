/**
 * The `rest` amphora driver (AMPHORA_DRIVER=rest), put together: the agent client with the
 * controller's TLS material from the certificate authority, and Octavia's haproxy template.
 */
import type { CertificateAuthority } from '../../certificates/port';
import { AmphoraAgentClient, type AgentClientSettings } from './client';
import { RestAmphoraDriver } from './driver';
import { renderHaproxyConfig, type HaproxyAmphoraOptions } from './haproxy';

export async function createRestAmphoraDriver(
  ca: CertificateAuthority,
  settings: AgentClientSettings,
  haproxyOptions?: HaproxyAmphoraOptions,
): Promise<RestAmphoraDriver> {
  return new RestAmphoraDriver(new AmphoraAgentClient(await ca.controllerTls(), settings), renderHaproxyConfig, haproxyOptions);
}

export { RestAmphoraDriver, type HaproxyRenderer } from './driver';
export { AmphoraAgentClient, DEFAULT_AGENT_CLIENT_SETTINGS, type AgentClientSettings } from './client';
export { AGENT_CONFIG_PATH, DEFAULT_AGENT_CONFIG, amphoraConfigDriveFiles, renderAgentConfig, type AgentConfigSettings } from './agent-config';
