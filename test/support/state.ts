/** Handles global-setup passes to global-teardown (both run in jest's parent process). */
import type { DevServer } from '../../platform/temporal-dev-server';

export const testState: { devServer?: DevServer; databaseUrl?: string; tmpDir?: string } =
  ((globalThis as Record<string, unknown>).__octaviaTestState ??= {}) as never;
