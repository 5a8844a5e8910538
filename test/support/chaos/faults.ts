/**
 * The faults of the campaign, one per trial. A fault either strikes at a random moment while the
 * flow runs (a process killed or restarted, the compute service hanging or failing from then on) or is
 * armed before the request for the call it waits for (a build's lost reply, a build that errors).
 */
import type { ComputeUse } from './operations';
import type { Random } from './random';
import { BREAKER_THRESHOLD, NOVA_TIMEOUT_SECONDS, type ChaosSystem } from './system';

export type FaultName =
  | 'worker-kill'
  | 'lost-compute-response'
  | 'compute-build-error'
  | 'compute-hang'
  | 'compute-5xx-burst'
  | 'postgres-restart'
  | 'temporal-restart';

/** One trial's fault. */
export interface Injection {
  /** Before the request: faults that wait for their call. */
  arm?(): void;
  /** At the random moment. */
  strike?(): Promise<void>;
  /** Whether it hit something (a compute fault waits for a call that may not come). */
  hit(): boolean;
  /** After the trial: nothing of it is left for the next one. */
  disarm(): void;
}

export interface Fault {
  name: FaultName;
  /** The flows it can hit. */
  fits: (compute: ComputeUse) => boolean;
  /** While it lasts the API may answer 5xx (in Octavia's format, having changed nothing). */
  outage: boolean;
  inject(sys: ChaosSystem, rnd: Random): Injection;
}

const any = () => true;
const reachesCompute = (c: ComputeUse) => c !== 'none';
const builds = (c: ComputeUse) => c === 'builds';
const serverCreates = (sys: ChaosSystem) => sys.nova.requests.filter((r) => r.method === 'POST' && /\/servers$/.test(r.path)).length;
const always = (strike: () => Promise<void>): Injection => ({ strike, hit: () => true, disarm() {} });

export const faults: readonly Fault[] = [
  { name: 'worker-kill', fits: any, outage: false, inject: (sys) => always(() => sys.killWorker()) },
  {
    // The server is built, the reply never comes: the retried build must find it, not make a second.
    name: 'lost-compute-response',
    fits: builds,
    outage: false,
    inject: (sys) => ({
      arm: () => void (sys.nova.faults.dropNextCreateResponse = true),
      hit: () => !sys.nova.faults.dropNextCreateResponse,
      disarm: () => void (sys.nova.faults.dropNextCreateResponse = false),
    }),
  },
  {
    // The next build goes ERROR (NoValidHost); the cloud heals right after it.
    name: 'compute-build-error',
    fits: builds,
    outage: false,
    inject(sys) {
      const before = serverCreates(sys);
      let heal: NodeJS.Timeout | undefined;
      return {
        arm() {
          sys.nova.faults.buildFailsNoValidHost = true;
          heal = setInterval(() => {
            if (serverCreates(sys) > before) sys.nova.faults.buildFailsNoValidHost = false;
          }, 5);
        },
        hit: () => serverCreates(sys) > before,
        disarm() {
          clearInterval(heal);
          sys.nova.faults.buildFailsNoValidHost = false;
        },
      };
    },
  },
  {
    // One compute request held past the driver's timeout (it still does its work afterwards).
    name: 'compute-hang',
    fits: reachesCompute,
    outage: false,
    inject: (sys) => ({
      strike: async () => void (sys.nova.faults.hangNextMs = [NOVA_TIMEOUT_SECONDS * 1000 + 1500]),
      hit: () => sys.nova.faults.hangNextMs.length === 0,
      disarm: () => void (sys.nova.faults.hangNextMs = []),
    }),
  },
  {
    // Consecutive 5xx, as many as the breaker's threshold or one more: it opens, calls fail fast, its
    // probe after the reset time meets the last one or a healthy service. `hit`: it opened. (A
    // step's retries back off exponentially, so each failure beyond the threshold doubles the wait:
    // the campaign runs with a low threshold, see system.ts.)
    name: 'compute-5xx-burst',
    fits: reachesCompute,
    outage: false,
    inject(sys, rnd) {
      const size = BREAKER_THRESHOLD + rnd.int(0, 1);
      const status = rnd.pick([500, 503]);
      return {
        strike: async () => void (sys.nova.faults.next = Array.from({ length: size }, () => ({ status }))),
        hit: () => size - sys.nova.faults.next.length >= BREAKER_THRESHOLD,
        disarm: () => void (sys.nova.faults.next = []),
      };
    },
  },
  { name: 'postgres-restart', fits: any, outage: true, inject: (sys) => always(() => sys.restartPostgres()) },
  { name: 'temporal-restart', fits: any, outage: true, inject: (sys) => always(() => sys.restartTemporal()) },
];
