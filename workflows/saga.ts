/**
 * Compensation stack (the saga pattern): every step that creates something pushes its undo as soon as
 * it succeeds; on failure the undos run newest first. An undo that itself fails does not stop the
 * others; it is logged, and its own fallback (if any) runs; a fallback that fails is logged too and the
 * remaining undos still run, so the caller always gets to settle its object.
 *
 * Compensations run in a non-cancellable scope: an operator who cancels a flow (Web UI, `temporal
 * workflow cancel`) cancels its forward steps, never the undoing of what they made.
 */
import { CancellationScope, log, patched } from '@temporalio/workflow';
import { serializeError } from '../common/error-chain';

type Undo = { name: string; run: () => Promise<void>; fallback?: () => Promise<void> };

/**
 * Runs `fn` to its end even when the flow is being cancelled: compensations, the final settle of a
 * failed flow, and the last step of a flow that succeeds (the commit of its result). A cancel that
 * arrives during that last step comes too late: the step may have committed while its result is lost
 * (a local activity's result is recorded with the flow's completion, which the cancel request turns
 * down), and compensating it would undo a finished object.
 */
export function whateverHappens<T>(fn: () => Promise<T>): Promise<T> {
  return CancellationScope.nonCancellable(fn);
}

/** Whether this flow ran its compensations (module state is per workflow run): workflows/observe.ts reports it at the end. */
let compensating = false;
export function compensationsRan(): boolean {
  return compensating;
}

export class Saga {
  private readonly undos: Undo[] = [];

  add(name: string, run: () => Promise<void>, fallback?: () => Promise<void>): void {
    this.undos.push({ name, run, fallback });
  }

  compensate(): Promise<void> {
    if (this.undos.length > 0) compensating = true;
    return whateverHappens(async () => {
      for (const undo of [...this.undos].reverse()) {
        try {
          await undo.run();
        } catch (err) {
          log.error('Compensation failed', { step: undo.name, error: serializeError(err, { stack: false }) });
          if (undo.fallback) await runFallback(undo.name, undo.fallback);
        }
      }
    });
  }
}

async function runFallback(step: string, fallback: () => Promise<void>): Promise<void> {
  try {
    await fallback();
  } catch (err) {
    // Patched: flows started before it stopped compensating here (and so never settled their object).
    if (!patched('saga-continues-after-fallback')) throw err;
    log.error('Compensation fallback failed; the leftover is left as it is', { step, error: serializeError(err, { stack: false }) });
  }
}
