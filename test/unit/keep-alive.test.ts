/**
 * The worker's keep-alive heartbeat (platform/worker.ts): a step with a heartbeat timeout that does not
 * heartbeat itself is heartbeated while it runs, so a SIGKILLed worker's step is retried after that
 * timeout instead of its start-to-close timeout. The fault campaign found flows held two minutes by a
 * worker killed during a compute call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { KeepAliveInterceptor } from '../../platform/worker';

const interceptors = [(ctx: ConstructorParameters<typeof KeepAliveInterceptor>[0]) => ({ inbound: new KeepAliveInterceptor(ctx) })];

async function heartbeatsDuring(info: { activityType: string; heartbeatTimeoutMs?: number }, runMs: number): Promise<number> {
  const env = new MockActivityEnvironment(info, { interceptors });
  let beats = 0;
  env.on('heartbeat', () => beats++);
  await env.run(() => sleep(runMs));
  const after = beats;
  await sleep(runMs); // none once the step ended
  expect(beats).toBe(after);
  return beats;
}

it('heartbeats a running step three times per heartbeat timeout, and stops when it ends', async () => {
  expect(await heartbeatsDuring({ activityType: 'buildAmphoraCompute', heartbeatTimeoutMs: 300 }, 1000)).toBeGreaterThanOrEqual(8);
});

it('leaves alone the steps that heartbeat themselves and those without a heartbeat timeout', async () => {
  expect(await heartbeatsDuring({ activityType: 'waitForAmphoraCompute', heartbeatTimeoutMs: 300 }, 500)).toBe(0);
  expect(await heartbeatsDuring({ activityType: 'buildAmphoraCompute', heartbeatTimeoutMs: undefined }, 500)).toBe(0);
});
