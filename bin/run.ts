/** Shared by the entry points: run until SIGINT/SIGTERM, then shut down cleanly, once. */
import { logger } from '../common/logger';

export function runUntilSignalled(name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `Stopping ${name}: finishing in-flight work`);
    stop().then(
      () => {
        logger.info(`${name} stopped`);
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, `${name} did not stop cleanly`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function fail(err: unknown): never {
  logger.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
}
