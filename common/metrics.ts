/**
 * Prometheus metrics (prom-client) of the process, in one registry that an HTTP handler can expose
 * (`registry.metrics()`, content type `registry.contentType`).
 *
 *   compute_circuit_breaker_state{driver}            0 closed, 1 half-open, 2 open
 *   compute_requests_total{driver,service,method,status}
 *       every HTTP request a compute driver makes; status is the HTTP status code, or `timeout`,
 *       `error` (connection failed) or `circuit_open` (failed fast, not sent)
 *   compute_request_duration_seconds{driver,service,method}
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

export const CircuitState = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export const computeCircuitBreakerState = new Gauge({
  name: 'compute_circuit_breaker_state',
  help: 'State of the compute driver circuit breaker: 0 closed, 1 half-open, 2 open.',
  labelNames: ['driver'] as const,
  registers: [registry],
});

export const computeRequests = new Counter({
  name: 'compute_requests_total',
  help: 'HTTP requests made by the compute driver, by service, method and status (code, timeout, error, circuit_open).',
  labelNames: ['driver', 'service', 'method', 'status'] as const,
  registers: [registry],
});

export const computeRequestDuration = new Histogram({
  name: 'compute_request_duration_seconds',
  help: 'Duration of the HTTP requests made by the compute driver.',
  labelNames: ['driver', 'service', 'method'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
