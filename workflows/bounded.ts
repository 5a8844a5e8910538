/** Concurrency in workflow code (deterministic: a fixed set of branches, no timing). */
import { CancellationScope } from '@temporalio/workflow';

/** Runs `fn` over `items`, at most `limit` at a time (deterministic: a fixed set of runners). */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
}

/**
 * Runs the branches together. The first failure cancels the others, and is thrown only once every
 * branch has ended: nothing a branch started is still running when the caller compensates (with
 * Promise.all, a sibling's build could finish after the compensation looked for it, and leak).
 */
export async function allOrNothing<T>(branches: readonly (() => Promise<T>)[]): Promise<T[]> {
  const scope = new CancellationScope();
  let failure: { err: unknown } | undefined;
  const settled = await Promise.allSettled(
    branches.map((branch) =>
      scope.run(branch).catch((err: unknown) => {
        failure ??= { err };
        scope.cancel();
        throw err;
      }),
    ),
  );
  if (failure) throw failure.err;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
