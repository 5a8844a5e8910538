/** The Express application: Octavia's LBaaS v2 API. It validates, writes PENDING_* and starts flows. */
import express, { type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { authenticate, authorize } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler, UnsupportedMediaType } from './errors';
import { amphoraRoutes } from './routes/amphorae';
import { availabilityZoneProfileRoutes } from './routes/availabilityzoneprofiles';
import { availabilityZoneRoutes } from './routes/availabilityzones';
import { flavorProfileRoutes } from './routes/flavorprofiles';
import { flavorRoutes } from './routes/flavors';
import { healthManagerRoutes } from './routes/heartbeats';
import { healthMonitorRoutes } from './routes/healthmonitors';
import { listenerRoutes } from './routes/listeners';
import { loadBalancerRoutes } from './routes/loadbalancers';
import { memberRoutes } from './routes/members';
import { openstackFlavorRoutes } from './routes/openstack-flavors';
import { poolRoutes } from './routes/pools';
import { providerRoutes } from './routes/providers';
import { quotaRoutes } from './routes/quotas';
import { amphoraStatsRoutes, listenerStatsRoutes, loadBalancerStatusRoutes } from './routes/statistics';
import { versionRoutes } from './routes/versions';

/** Octavia speaks JSON only: a body of any other type is a 415, as in Octavia. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    throw new UnsupportedMediaType(req.headers['content-type']?.split(';')[0] ?? 'None');
  }
  next();
};

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Amphora heartbeats and GET /metrics: outside the Octavia API (no token, no request log).
  app.use(healthManagerRoutes(deps));
  // Each request logged once, with its status and duration; secrets are redacted by the logger.
  app.use(pinoHttp({ logger: deps.log, customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info') }));
  // Who is asking and whether they may: before anything reads the body or the database.
  app.use(authenticate(deps.config, deps.log));
  app.use(authorize);
  app.use(requireJson);
  app.use(express.json({ limit: '1mb' }));

  // The openstack CLI calls /v2.0/..., openstacksdk /v2/...: the same API.
  for (const prefix of ['/v2', '/v2.0']) {
    app.use(`${prefix}/lbaas/loadbalancers`, loadBalancerRoutes(deps));
    app.use(`${prefix}/lbaas/listeners`, listenerRoutes(deps));
    app.use(`${prefix}/lbaas/pools/:poolId/members`, memberRoutes(deps));
    app.use(`${prefix}/lbaas/pools`, poolRoutes(deps));
    app.use(`${prefix}/lbaas/healthmonitors`, healthMonitorRoutes(deps));
    app.use(`${prefix}/octavia/amphorae`, amphoraRoutes(deps));
    app.use(`${prefix}/lbaas/loadbalancers`, loadBalancerStatusRoutes(deps));
    app.use(`${prefix}/lbaas/listeners`, listenerStatsRoutes(deps));
    app.use(`${prefix}/octavia/amphorae`, amphoraStatsRoutes(deps));
    app.use(`${prefix}/lbaas/providers`, providerRoutes(deps));
    app.use(`${prefix}/lbaas/flavorprofiles`, flavorProfileRoutes(deps));
    app.use(`${prefix}/lbaas/flavors`, flavorRoutes(deps));
    app.use(`${prefix}/lbaas/availabilityzoneprofiles`, availabilityZoneProfileRoutes(deps));
    app.use(`${prefix}/lbaas/availabilityzones`, availabilityZoneRoutes(deps));
    app.use(`${prefix}/lbaas/quotas`, quotaRoutes(deps));
  }
  app.use('/v1/openstack_flavors', openstackFlavorRoutes(deps));
  // Version discovery: GET /, /v2, /v2.0.
  app.use(versionRoutes());

  app.use((_req, res) => {
    res.status(404).json({ code: 404, title: 'Not Found', description: `The resource could not be found.` });
  });
  app.use(errorHandler(deps.log));
  return app;
}
