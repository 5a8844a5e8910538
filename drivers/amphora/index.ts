/** Chooses the amphora driver (AMPHORA_DRIVER): `noop`, or `rest` for Octavia's own amphora agent. */
import type { Config } from '../../config';
import type { CertificateAuthority } from '../certificates/port';
import { NoopAmphoraDriver } from './noop';
import type { AmphoraDriver } from './port';
import { createRestAmphoraDriver, type AgentBootSettings } from './rest';

/** `agent`: the heartbeat settings rest amphorae are built with (where the receiver listens, ...). */
export async function createAmphoraDriver(config: Config, ca: CertificateAuthority, agent: AgentBootSettings): Promise<AmphoraDriver> {
  const { amphora } = config.dataPlane;
  switch (amphora.driver) {
    case 'noop':
      return new NoopAmphoraDriver();
    case 'rest':
      return createRestAmphoraDriver(ca, amphora.client, agent);
  }
}

export * from './port';
export { NoopAmphoraDriver } from './noop';
