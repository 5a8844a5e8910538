/**
 * Prometheus metrics (prom-client) of the process, in one registry that an HTTP handler can expose
 * (`registry.metrics()`, content type `registry.contentType`).
 *
 *   compute_circuit_breaker_state{driver}            0 closed, 1 half-open, 2 open
 *   compute_requests_total{driver,service,method,status}
 *       every HTTP request a compute driver makes; status is the HTTP status code, or `timeout`,
 *       `error` (connection failed) or `circuit_open` (failed fast, not sent)
 *   compute_request_duration_seconds{driver,service,method}
 *   octavia_flows_{started,completed,compensated}_total{type}, octavia_flows_failed_total{type,outcome},
 *   octavia_flow_duration_seconds{type,outcome}       counted by the worker (platform/flow-sink.ts)
 *   octavia_api_requests_total{method,route,status}, octavia_api_request_duration_seconds{method,route}
 *   octavia_objects{resource,provisioning_status,operating_status}, octavia_spare_amphorae{status},
 *   octavia_spare_amphora_pool_size                   read from the database at scrape time
 * The health manager's are in liveness-metrics.ts and heartbeat-receiver.ts; the README lists them all.
 */
import { Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

export const registry = new Registry();

/**
 * The metrics of the registry, each registered once even when its module is loaded twice (jest isolates
 * modules per test file): a name already registered gives the registered metric.
 */
type Config<C> = Omit<C, 'registers'>;
const once = <M>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
export const counter = <L extends string = string>(c: Config<CounterConfiguration<L>>) => once(c.name, () => new Counter<L>({ ...c, registers: [registry] }));
export const gauge = <L extends string = string>(c: Config<GaugeConfiguration<L>>) => once(c.name, () => new Gauge<L>({ ...c, registers: [registry] }));
export const histogram = <L extends string = string>(c: Config<HistogramConfiguration<L>>) =>
  once(c.name, () => new Histogram<L>({ ...c, registers: [registry] }));

export const CircuitState = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

export const computeCircuitBreakerState = gauge({
  name: 'compute_circuit_breaker_state',
  help: 'State of the compute driver circuit breaker: 0 closed, 1 half-open, 2 open.',
  labelNames: ['driver'] as const,
});

/** What an OpenStack request is counted and timed by (drivers/openstack/http.ts); its count by its status too. */
const REQUEST = ['driver', 'service', 'method'] as const;
export const computeRequests = counter({
  name: 'compute_requests_total',
  help: 'HTTP requests made by the compute driver, by service, method and status (code, timeout, error, circuit_open).',
  labelNames: [...REQUEST, 'status'] as const,
});
export const computeRequestDuration = histogram({
  name: 'compute_request_duration_seconds',
  help: 'Duration of the HTTP requests made by the compute driver.',
  labelNames: REQUEST,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

// Flows, counted by the worker that runs them (workflows/observe.ts reports each run's start and end): by
// workflow type, and how the flow ended where it has.

const FLOW = ['type'] as const;
const FLOW_END = ['type', 'outcome'] as const;
export const flowsStarted = counter({ name: 'octavia_flows_started_total', help: 'Flows (workflow runs) started, by workflow type.', labelNames: FLOW });
export const flowsCompleted = counter({ name: 'octavia_flows_completed_total', help: 'Flows that completed, by workflow type.', labelNames: FLOW });
export const flowsFailed = counter({
  name: 'octavia_flows_failed_total',
  help: 'Flows that failed or were cancelled, by workflow type and outcome (failed, cancelled).',
  labelNames: FLOW_END,
});
export const flowsCompensated = counter({
  name: 'octavia_flows_compensated_total',
  help: 'Flows that ran their compensations (undid what they made), by workflow type.',
  labelNames: FLOW,
});
export const flowDuration = histogram({
  name: 'octavia_flow_duration_seconds',
  help: 'Duration of flows from their start to their end, by workflow type and outcome.',
  labelNames: FLOW_END,
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
});

// The API, counted by the process that serves it (api/request-log.ts).

export const apiRequests = counter({
  name: 'octavia_api_requests_total',
  help: 'API requests answered, by method, route (the path pattern) and status code.',
  labelNames: ['method', 'route', 'status'] as const,
});
export const apiRequestDuration = histogram({
  name: 'octavia_api_request_duration_seconds',
  help: 'Time from a request to its answer, by method and route.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

// Objects and spares, read from the database at scrape time by whoever serves /metrics.

export interface ObjectCount {
  resource: string;
  provisioningStatus: string;
  operatingStatus: string;
  count: number;
}
export interface SpareCounts {
  /** Spare amphorae (no load balancer) by status: READY, BOOTING, ... */
  byStatus: Record<string, number>;
  poolSize: number;
}

let objectCountsSource: (() => Promise<ObjectCount[]>) | undefined;
let spareCountsSource: (() => Promise<SpareCounts>) | undefined;

/** Where the object and spare gauges read their values at scrape time (the API process sets its database). */
export function setStatusSources(sources: { objects: () => Promise<ObjectCount[]>; spares: () => Promise<SpareCounts> }): void {
  objectCountsSource = sources.objects;
  spareCountsSource = sources.spares;
}

export const objectsByStatus = gauge({
  name: 'octavia_objects',
  help: 'Load balancers and their children by provisioning_status and operating_status (DELETED rows not yet purged included).',
  labelNames: ['resource', 'provisioning_status', 'operating_status'] as const,
  async collect() {
    if (!objectCountsSource) return;
    const counts = await objectCountsSource().catch(() => undefined);
    this.reset();
    for (const c of counts ?? []) {
      this.set({ resource: c.resource, provisioning_status: c.provisioningStatus, operating_status: c.operatingStatus }, c.count);
    }
  },
});

export const spareAmphorae = gauge({
  name: 'octavia_spare_amphorae',
  help: 'Spare amphorae (not allocated to a load balancer) by status; READY ones can be claimed.',
  labelNames: ['status'] as const,
  async collect() {
    if (!spareCountsSource) return;
    const counts = await spareCountsSource().catch(() => undefined);
    this.reset();
    // READY and BOOTING always present, so an empty pool reads 0 rather than nothing.
    for (const [status, n] of Object.entries({ READY: 0, BOOTING: 0, ...counts?.byStatus })) this.set({ status }, n);
    if (counts) spareAmphoraPoolSize.set(counts.poolSize);
  },
});

export const spareAmphoraPoolSize = gauge({ name: 'octavia_spare_amphora_pool_size', help: 'Spares the pool should keep READY (SPARE_AMPHORA_POOL_SIZE).' });

/** Where the worker's Temporal runtime serves its Prometheus metrics, when it runs in this process. */
let runtimeMetricsUrl: string | undefined;
export function setRuntimeMetricsUrl(url: string | undefined): void {
  runtimeMetricsUrl = url;
}
export function getRuntimeMetricsUrl(): string | undefined {
  return runtimeMetricsUrl;
}
