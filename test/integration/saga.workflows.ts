/** Workflows of test/integration/saga.test.ts: the saga driven directly, with recording steps. */
import { CancellationScope, condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import { Saga } from '../../workflows/saga';

export interface ProbeSteps {
  step(name: string): Promise<void>;
  failingStep(name: string): Promise<void>;
}

const { step, failingStep } = proxyActivities<ProbeSteps>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });

export const compensateNow = defineSignal('compensateNow');

/**
 * Three undos, the middle one failing and its fallback failing too; compensates twice (the second
 * run shows whether the first one changed the list), then settles with one last step. With
 * `waitForSignal`, it first waits (so the test can cancel it) and compensates when cancelled.
 */
export async function sagaProbe(opts: { waitForSignal: boolean }): Promise<void> {
  const saga = new Saga();
  saga.add('a', () => step('undo a'));
  saga.add('b', () => failingStep('undo b'), () => failingStep('fallback b'));
  saga.add('c', () => step('undo c'));
  try {
    if (opts.waitForSignal) {
      let go = false;
      setHandler(compensateNow, () => void (go = true));
      await condition(() => go);
    }
    await saga.compensate();
    await saga.compensate();
    await step('settled');
  } catch (err) {
    // Cancelled while waiting: the compensations still run, and the settle after them.
    await saga.compensate();
    await CancellationScope.nonCancellable(() => step('settled'));
    throw err;
  }
}
