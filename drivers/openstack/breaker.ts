/**
 * The compute driver's circuit breaker (opossum). When the compute service is failing, callers fail
 * fast instead of each waiting for its own timeout, and the service is not hammered while it recovers.
 *
 *   closed     requests go through; `threshold` consecutive service failures open the circuit.
 *   open       requests fail at once with CircuitOpenError (retryable, retryAfterSeconds = time left
 *              until the probe); after `resetMs` the circuit is half-open.
 *   half-open  one request (the probe) goes through, the others still fail fast; the probe's success
 *              closes the circuit, its failure opens it again for another `resetMs`.
 *
 * Only faults that say the service is failing count: 5xx, timeouts, connection errors (`isFailure`).
 * A 4xx is the service working and saying no: it counts as a success (and a 4xx probe closes the
 * circuit). Opossum's own trigger is a failure percentage over a rolling window; we want "N consecutive
 * failures", so its percentage trigger is switched off and we open it ourselves on the N-th consecutive
 * failure, keeping opossum for the state machine, the reset timer, the single half-open probe and the
 * events. State changes are logged (warn when it opens) and exported as compute_circuit_breaker_state.
 */
import CircuitBreaker from 'opossum';
import type { Logger } from '../../common/logger';
import { CircuitState, computeCircuitBreakerState, computeRequests } from '../../common/metrics';

export class CircuitOpenError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    service = 'compute service',
  ) {
    super(`The ${service} circuit breaker is open (too many consecutive failures); next try in ${retryAfterSeconds}s.`);
    this.name = 'CircuitOpenError';
  }
}

export interface BreakerOptions {
  driver: string;
  /** What the open circuit's error calls the service (default `compute service`). */
  service?: string;
  threshold: number;
  resetMs: number;
  log: Logger;
  /** Whether an error means the service is failing (counts toward opening the circuit). */
  isFailure: (err: unknown) => boolean;
  now?: () => number;
}

type Action = () => Promise<unknown>;

export class ComputeCircuitBreaker {
  private readonly breaker: CircuitBreaker<[Action], unknown>;
  private consecutiveFailures = 0;
  private openedAt = 0;
  private readonly now: () => number;

  constructor(private readonly o: BreakerOptions) {
    this.now = o.now ?? Date.now;
    this.breaker = new CircuitBreaker<[Action], unknown>((action: Action) => action(), {
      name: `${o.driver}-compute`,
      timeout: false, // every request has its own AbortSignal.timeout
      resetTimeout: o.resetMs,
      errorThresholdPercentage: 100, // never reached: we open on consecutive failures (below)
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      errorFilter: (err: unknown) => !o.isFailure(err),
      enableSnapshots: false,
    });
    this.breaker.on('failure', () => {
      this.consecutiveFailures += 1;
      if (this.breaker.closed && this.consecutiveFailures >= o.threshold) this.breaker.open();
    });
    this.breaker.on('success', () => {
      this.consecutiveFailures = 0;
    });
    this.breaker.on('open', () => {
      this.openedAt = this.now();
      this.gauge(CircuitState.OPEN);
      o.log.warn(
        { driver: o.driver, circuit: 'open', consecutiveFailures: this.consecutiveFailures, resetSeconds: o.resetMs / 1000 },
        'Compute circuit breaker opened: calls fail fast until a probe succeeds',
      );
    });
    this.breaker.on('halfOpen', () => {
      this.gauge(CircuitState.HALF_OPEN);
      o.log.info({ driver: o.driver, circuit: 'half-open' }, 'Compute circuit breaker half-open: probing the service');
    });
    this.breaker.on('close', () => {
      this.consecutiveFailures = 0;
      this.gauge(CircuitState.CLOSED);
      o.log.info({ driver: o.driver, circuit: 'closed' }, 'Compute circuit breaker closed: the service answers again');
    });
    this.gauge(CircuitState.CLOSED);
  }

  get state(): 'closed' | 'half-open' | 'open' {
    if (this.breaker.closed) return 'closed';
    return this.breaker.halfOpen ? 'half-open' : 'open';
  }

  /** Whole seconds until the half-open probe (at least 1: a probe may already be in flight). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.openedAt + this.o.resetMs - this.now()) / 1000));
  }

  /** Runs `action` unless the circuit is open; `request` labels the compute_requests_total count of a fast failure. */
  async run<T>(action: () => Promise<T>, request: { service: string; method: string }): Promise<T> {
    try {
      return (await this.breaker.fire(action)) as T;
    } catch (err) {
      if ((err as { code?: string }).code === 'EOPENBREAKER') {
        computeRequests.inc({ driver: this.o.driver, ...request, status: 'circuit_open' });
        throw new CircuitOpenError(this.retryAfterSeconds(), this.o.service);
      }
      throw err;
    }
  }

  /** Stops opossum's timers (tests, process shutdown). */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private gauge(state: CircuitState): void {
    computeCircuitBreakerState.set({ driver: this.o.driver }, state);
  }
}
