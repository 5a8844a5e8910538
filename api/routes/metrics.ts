/**
 * GET /metrics: the process's Prometheus metrics (the common/metrics.ts registry), outside the Octavia
 * API (no token, no request log: a scraper calls it every few seconds). When the worker runs in this
 * process, its Temporal runtime's own metrics (temporal_*, served by the core on
 * TEMPORAL_METRICS_ADDRESS) are appended, so one scrape gets both.
 */
import { Router } from 'express';
import { setFailoverStoppedSource } from '../../common/liveness-metrics';
import { getRuntimeMetricsUrl, registry, setStatusSources } from '../../common/metrics';
import { AmphoraStatus } from '../../common/status';
import { countObjectsByStatus, countSpares } from '../../db/status-counts';
import type { ApiDeps } from '../deps';

export function metricsRoutes({ db, config }: ApiDeps): Router {
  const router = Router();
  // The gauges read from the database at scrape time, so every API process reports them.
  setFailoverStoppedSource(() => db.amphora.count({ where: { status: AmphoraStatus.FAILOVER_STOPPED } }));
  setStatusSources({ objects: () => countObjectsByStatus(db), spares: () => countSpares(db, config.housekeeping.sparePoolSize) });

  router.get('/metrics', async (_req, res) => {
    const ours = await registry.metrics();
    const runtimeUrl = getRuntimeMetricsUrl();
    const runtime = runtimeUrl
      ? await fetch(runtimeUrl, { signal: AbortSignal.timeout(2000) })
          .then((r) => (r.ok ? r.text() : ''))
          .catch(() => '')
      : '';
    res.type(registry.contentType).send(runtime ? `${ours}\n${runtime}` : ours);
  });

  return router;
}
