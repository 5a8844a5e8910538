/** /v2/lbaas/healthmonitors (Octavia api-ref: Health Monitors). One monitor per pool. */
import { authorize } from '../context';
import { checkMonitorDomainName, checkMonitorHttpFields, checkMonitorTypeForPool } from '../../domain/validate';
import { ProvisioningStatus } from '../../common/status';
import type { HealthMonitor, Pool } from '../../generated/prisma/client';
import { collection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { childRoutes, createChild, findOr404, refusedAs } from '../lifecycle';
import { healthMonitors, healthMonitorTypeToWire, newHealthMonitor } from '../resources/healthmonitor';
import { DuplicateHealthMonitor, ImmutableObject, InvalidOption } from '../../common/errors';

/** Octavia refuses monitor changes while the pool is not ACTIVE. */
function checkPoolMutable(pool: Pool) {
  if (pool.provisioningStatus !== ProvisioningStatus.ACTIVE) throw new ImmutableObject('Pool', pool.id);
}

export function healthMonitorRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const all = collection(deps, healthMonitors, { rbac: 'healthmonitor' });
  const poolOf = (id: string) => findOr404('Pool', id, (i) => db.pool.findFirst({ where: { id: i } }));
  all.routes(routes);

  routes.post('/', { summary: 'Create a health monitor', body: healthMonitors.bodies.create, response: healthMonitors.showSchema }, async (req, res, body) => {
    const monitor = body().healthmonitor;
    const pool = await poolOf(monitor.pool_id);
    authorize(req, 'healthmonitor:post', pool.projectId);
    checkMonitorTypeForPool(pool.protocol, monitor.type, monitor.delay);
    checkMonitorHttpFields(monitor.type, monitor);
    checkMonitorDomainName(monitor.domain_name, monitor.http_version);
    checkPoolMutable(pool);

    const row = await createChild(
      deps,
      'healthmonitor',
      pool,
      (tx) =>
        tx.healthMonitor.create({
          data: newHealthMonitor(monitor, pool),
        }),
      // The unique pool_id: one monitor per pool.
      { refused: refusedAs('P2002', () => new DuplicateHealthMonitor()) },
    );
    res.status(201).json({ healthmonitor: healthMonitors.view(row) });
  });

  /** A monitor change locks its pool's load balancer, and only while the pool is ACTIVE. */
  const lock = async (current: HealthMonitor) => {
    const pool = await poolOf(current.poolId);
    checkPoolMutable(pool);
    return { loadBalancerId: pool.loadBalancerId };
  };

  childRoutes(deps, routes, all, {
    child: 'healthmonitor',
    lock,
    update: async (current, body) => {
      const update = body().healthmonitor;
      const pool = await poolOf(current.poolId);
      const type = healthMonitorTypeToWire(current.type);
      checkMonitorHttpFields(type, update, true);
      for (const f of ['delay', 'max_retries', 'timeout'] as const) if (update[f] === null) throw new InvalidOption('None', f);
      checkMonitorDomainName(
        update.domain_name !== undefined ? update.domain_name : current.domainName,
        update.http_version !== undefined ? update.http_version : current.httpVersion === null ? null : Number(current.httpVersion),
      );
      if (type === 'UDP-CONNECT') checkMonitorTypeForPool(pool.protocol, type, update.delay);
      // null puts these back to their defaults (the resource's `defaulted` fields).
      return healthMonitors.toColumns(update);
    },
  });
  return routes;
}
