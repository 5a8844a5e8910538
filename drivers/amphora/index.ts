/** Chooses the amphora driver. Only the no-op driver exists: a real one talks to the amphora agent. */
import type { AmphoraDriver } from './port';
import { NoopAmphoraDriver } from './noop';

export function createAmphoraDriver(): AmphoraDriver {
  return new NoopAmphoraDriver();
}

export * from './port';
export { NoopAmphoraDriver } from './noop';
