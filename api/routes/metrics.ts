/**
 * GET /metrics: the process's Prometheus metrics (the common/metrics.ts registry), outside the Octavia
 * API (no token, no request log: a scraper calls it every few seconds).
 */
import { Router } from 'express';
import { setFailoverStoppedSource } from '../../common/liveness-metrics';
import { registry } from '../../common/metrics';
import { AmphoraStatus } from '../../common/status';
import type { ApiDeps } from '../deps';

export function metricsRoutes({ db }: ApiDeps): Router {
  const router = Router();
  // The alert gauge is read from the database at scrape time, so every API process reports it.
  setFailoverStoppedSource(() => db.amphora.count({ where: { status: AmphoraStatus.FAILOVER_STOPPED } }));

  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  return router;
}
