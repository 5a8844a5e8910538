/** The Express application: Octavia's LBaaS v2 API. It validates, writes PENDING_* and starts flows. */
import express, { type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import { version } from '../package.json';
import { authenticate } from './auth';
import type { ApiDeps } from './deps';
import { errorHandler } from './errors';
import { methodGuard } from './methods';
import { openApiDocument, type Mount } from './openapi';
import { noteRoute, requestLog } from './request-log';
import { amphoraRoutes } from './routes/amphorae';
import { availabilityZoneRoutes, flavorRoutes } from './routes/catalog';
import { healthMonitorRoutes } from './routes/healthmonitors';
import { l7PolicyRoutes } from './routes/l7policies';
import { l7RuleRoutes } from './routes/l7rules';
import { listenerRoutes } from './routes/listeners';
import { loadBalancerRoutes } from './routes/loadbalancers';
import { memberRoutes } from './routes/members';
import { metricsRoutes } from './routes/metrics';
import { openstackFlavorRoutes } from './routes/openstack-flavors';
import { poolRoutes } from './routes/pools';
import { availabilityZoneProfileRoutes, flavorProfileRoutes } from './routes/profiles';
import { providerRoutes } from './routes/providers';
import { quotaRoutes } from './routes/quotas';
import { loadBalancerStatusRoutes } from './routes/loadbalancer-status';
import { amphoraStatsRoutes, listenerStatsRoutes, loadBalancerStatsRoutes } from './routes/statistics';
import { versionRoutes } from './routes/versions';
import { NoSuchRoute, UnsupportedMediaType } from '../common/errors';

/** Octavia speaks JSON only: a body of any other type is a 415, as in Octavia. */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is('application/json')) {
    throw new UnsupportedMediaType(req.headers['content-type']?.split(';')[0] ?? 'None');
  }
  next();
};

/** Every router and where it is mounted: the app and the OpenAPI document are both made from this. */
export function apiMounts(deps: ApiDeps): Mount[] {
  return [
    { path: '/v2/lbaas/loadbalancers', routes: loadBalancerRoutes(deps), tag: 'Load balancers' },
    { path: '/v2/lbaas/loadbalancers', routes: loadBalancerStatusRoutes(deps), tag: 'Load balancers' },
    { path: '/v2/lbaas/loadbalancers', routes: loadBalancerStatsRoutes(deps), tag: 'Load balancers' },
    { path: '/v2/lbaas/listeners', routes: listenerRoutes(deps), tag: 'Listeners' },
    { path: '/v2/lbaas/listeners', routes: listenerStatsRoutes(deps), tag: 'Listeners' },
    { path: '/v2/lbaas/pools/:poolId/members', routes: memberRoutes(deps), tag: 'Members' },
    { path: '/v2/lbaas/pools', routes: poolRoutes(deps), tag: 'Pools' },
    { path: '/v2/lbaas/healthmonitors', routes: healthMonitorRoutes(deps), tag: 'Health monitors' },
    { path: '/v2/lbaas/l7policies/:l7policyId/rules', routes: l7RuleRoutes(deps), tag: 'L7 rules' },
    { path: '/v2/lbaas/l7policies', routes: l7PolicyRoutes(deps), tag: 'L7 policies' },
    { path: '/v2/lbaas/providers', routes: providerRoutes(deps), tag: 'Providers' },
    { path: '/v2/lbaas/flavorprofiles', routes: flavorProfileRoutes(deps), tag: 'Flavor profiles' },
    { path: '/v2/lbaas/flavors', routes: flavorRoutes(deps), tag: 'Flavors' },
    { path: '/v2/lbaas/availabilityzoneprofiles', routes: availabilityZoneProfileRoutes(deps), tag: 'Availability zone profiles' },
    { path: '/v2/lbaas/availabilityzones', routes: availabilityZoneRoutes(deps), tag: 'Availability zones' },
    { path: '/v2/lbaas/quotas', routes: quotaRoutes(deps), tag: 'Quotas' },
    // Octavia's second path for the same API, the one gophercloud (Terraform's openstack_lb_quota_v2) calls.
    { path: '/v2/quotas', routes: quotaRoutes(deps), tag: 'Quotas' },
    { path: '/v2/octavia/amphorae', routes: amphoraRoutes(deps), tag: 'Amphorae' },
    { path: '/v2/octavia/amphorae', routes: amphoraStatsRoutes(deps), tag: 'Amphorae' },
    { path: '/v1/openstack_flavors', routes: openstackFlavorRoutes(deps), tag: 'OpenStack flavors' },
    // Version discovery: GET /, /v2, /v2.0.
    { path: '/', routes: versionRoutes(), tag: 'Versions' },
  ];
}

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // GET /metrics: outside the Octavia API (no token, no request log).
  app.use(metricsRoutes(deps));
  // Each request logged once, with its status, duration and the flow it started; counted by route.
  const requests = requestLog(deps.log);
  app.use(requests.start);
  // Who is asking: before anything reads the body or the database. What they may do is asked by each
  // route, once it has found what the request acts on (Octavia's policy, domain/policy.ts).
  app.use(authenticate(deps.config, deps.log));
  const mounts = apiMounts(deps);
  // The web framework's 405s, before the body is read (as pecan routes before WSME parses).
  app.use(methodGuard(mounts));
  app.use(requireJson);
  app.use(express.json({ limit: '1mb' }));
  app.use(requests.context);

  for (const mount of mounts) {
    const noteMount: RequestHandler = (_req, res, next) => {
      noteRoute(res, 'mount', mount.path);
      next();
    };
    app.use(mount.path, noteMount, mount.routes.router);
    // The openstack CLI calls /v2.0/..., openstacksdk /v2/...: the same API.
    if (mount.path.startsWith('/v2/')) app.use(mount.path.replace('/v2/', '/v2.0/'), noteMount, mount.routes.router);
  }
  // The API described from the routes' own contract: their parameters, bodies and responses. Built
  // when first asked for, not at start (about 100 ms of CPU that most API processes never need).
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get('/openapi.json', (_req, res) => {
    noteRoute(res, 'route', '/openapi.json');
    res.json((document ??= openApiDocument(mounts, version, { authStrategy: deps.config.api.authStrategy })));
  });
  app.use('/docs', (_req, res, next) => {
    noteRoute(res, 'route', '/docs');
    next();
  });
  // The page loads the document from /openapi.json rather than carrying a copy of it.
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(undefined, { customSiteTitle: 'Octavia-compatible API', swaggerOptions: { url: '/openapi.json' } }));

  app.use(() => {
    throw new NoSuchRoute();
  });
  app.use(errorHandler(deps.log));
  return app;
}
