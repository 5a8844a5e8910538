/** Chooses the amphora driver. Only the no-op driver exists: a real one talks to the amphora agent. */
import type { AmphoraDriver } from './driver';
import { NoopAmphoraDriver } from './noop';

export function createAmphoraDriver(): AmphoraDriver {
  return new NoopAmphoraDriver();
}

export * from './driver';
export { NoopAmphoraDriver } from './noop';
