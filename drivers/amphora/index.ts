/** Chooses the amphora driver (AMPHORA_DRIVER): `noop`, or `rest` for Octavia's own amphora agent. */
import type { Config } from '../../config';
import type { CertificateAuthority } from '../certificates/port';
import { NoopAmphoraDriver, type NoopAmphoraOptions } from './noop';
import type { AmphoraDriver } from './port';
import { createRestAmphoraDriver, type AgentBootSettings } from './rest';

/** `agent`: the heartbeat settings rest amphorae are built with (where the receiver listens, ...). */
export async function createAmphoraDriver(config: Config, ca: CertificateAuthority, agent: AgentBootSettings): Promise<AmphoraDriver> {
  const { amphora } = config.dataPlane;
  switch (amphora.driver) {
    case 'noop':
      return new NoopAmphoraDriver(noopAmphoraOptions(config));
    case 'rest':
      return createRestAmphoraDriver(ca, amphora.client, agent);
  }
}

/** The no-op amphora driver's settings: its state beside NOOP_STATE_FILE, the certificates' lifetime, NOOP_FAULTS. */
export function noopAmphoraOptions(config: Config): NoopAmphoraOptions {
  return {
    statePath: config.noop.amphoraStatePath,
    certValiditySeconds: config.dataPlane.certificates.certValiditySeconds,
    failUpdates: config.noop.faults.configFails,
    latencyMs: config.noop.faults.configLatencyMs,
  };
}

export * from './port';
export { NoopAmphoraDriver, type NoopAmphoraOptions } from './noop';
