/**
 * Compensation stack (the saga pattern): every step that creates something pushes its undo as soon as
 * it succeeds; on failure the undos run newest first. An undo that itself fails does not stop the
 * others; it is logged, and its own fallback (if any) runs.
 */
import { log } from '@temporalio/workflow';

type Undo = { name: string; run: () => Promise<void>; fallback?: () => Promise<void> };

export class Saga {
  private readonly undos: Undo[] = [];

  add(name: string, run: () => Promise<void>, fallback?: () => Promise<void>): void {
    this.undos.push({ name, run, fallback });
  }

  async compensate(): Promise<void> {
    for (const undo of this.undos.reverse()) {
      try {
        await undo.run();
      } catch (err) {
        log.error('Compensation failed', { step: undo.name, error: String(err) });
        if (undo.fallback) await undo.fallback();
      }
    }
  }
}
