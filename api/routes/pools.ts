/** /v2/lbaas/pools (Octavia api-ref: Pools). Members are under /pools/{id}/members (routes/members.ts). */
import { checkAlgorithm, checkListenerDefaultPool, checkPoolTls, checkSessionPersistence, type SessionPersistenceFields } from '../../domain/validate';
import { authorize } from '../context';
import { ProvisioningStatus } from '../../common/status';
import { Prisma } from '../../generated/prisma/client';
import { collection } from '../collection';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { checkPoolSupported } from '../provider-support';
import { childRoutes, createChild, findLoadBalancer, mutateChildren } from '../lifecycle';
import { newPool, poolInclude, pools, sessionPersistenceOf, withPoolInclude, type SessionPersistence } from '../resources/pool';
import { DuplicateDefaultPool, NotFound, PoolInUseByL7Policy, ValidationFailure } from '../../common/errors';

/** The stored form: all four keys, as the response shows them. */
const storedSessionPersistence = (sp: SessionPersistenceFields & { type: string }): SessionPersistence => sessionPersistenceOf(sp)!;

export function poolRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const all = collection(deps, pools, { rbac: 'pool', include: poolInclude });
  all.routes(routes);

  routes.post('/', { summary: 'Create a pool', body: pools.bodies.create, response: pools.showSchema }, async (req, res, body) => {
    const pool = body().pool;
    checkSessionPersistence(pool.protocol, pool.session_persistence);
    if (!pool.listener_id && !pool.loadbalancer_id) {
      throw new ValidationFailure('Must provide at least one of: loadbalancer_id, listener_id');
    }
    const listenerId = pool.listener_id ?? undefined;
    const listener = listenerId ? await db.listener.findFirst({ where: { id: listenerId } }) : null;
    if (listenerId && !listener) throw new NotFound('Listener', listenerId);
    // The policy is asked about the load balancer's project once it is found, as in Octavia.
    const lb = await findLoadBalancer(deps, pool.loadbalancer_id ?? listener!.loadBalancerId);
    authorize(req, 'pool:post', lb.projectId);
    if (listener) {
      // A PROMETHEUS listener has no pool (ListenerNoChildren), else the pool takes its protocol.
      checkListenerDefaultPool(listener.protocol, pool.protocol);
      if (lb.id !== listener.loadBalancerId) {
        throw new ValidationFailure(`Listener ${listener.id} is not on Load Balancer ${lb.id}.`);
      }
      if (listener.defaultPoolId) throw new DuplicateDefaultPool();
    }
    // Octavia's own validation first (400), then what the provider cannot do (501).
    checkPoolTls(pool);
    checkPoolSupported(deps, pool);
    checkAlgorithm(pool.lb_algorithm);

    // Its revert (the row deleted) clears the listener's default_pool_id (ON DELETE SET NULL).
    const row = await createChild(deps, 'pool', { loadBalancerId: lb.id, projectId: lb.projectId }, async (tx) => {
      const created = await tx.pool.create({ data: newPool(pool, lb) });
      if (listenerId) {
        // The listener's default pool, in the same transaction; a concurrent create lost the race.
        const { count } = await tx.listener.updateMany({ where: { id: listenerId, defaultPoolId: null }, data: { defaultPoolId: created.id } });
        if (count === 0) throw new DuplicateDefaultPool();
      }
      return withPoolInclude(tx, created);
    });
    res.status(201).json({ pool: pools.view(row) });
  });

  routes.put('/:id', { summary: 'Update a pool', body: pools.bodies.update, response: pools.showSchema }, async (req, res, body) => {
    const current = await all.find(req, res);
    authorize(req, 'pool:put', current.projectId);
    const update = body().pool;
    // A session persistence without a type keeps the pool's current type (as Octavia does).
    let sp: SessionPersistence | null | undefined;
    if (update.session_persistence) {
      const type = update.session_persistence.type ?? sessionPersistenceOf(current.sessionPersistence)?.type;
      if (!type) throw new ValidationFailure('Field "type" must be specified for a session persistence.');
      const requested = { ...update.session_persistence, type };
      checkSessionPersistence(current.protocol, requested, 'update');
      sp = storedSessionPersistence(requested);
    } else {
      sp = update.session_persistence; // null (clear) or undefined (unchanged)
    }
    checkPoolTls(update);
    checkPoolSupported(deps, { ...update, protocol: current.protocol, lb_algorithm: update.lb_algorithm ?? current.lbAlgorithm });
    checkAlgorithm(update.lb_algorithm);
    const updates = { ...pools.toColumns(update), ...(sp ? { sessionPersistence: sp } : {}) };

    const row = await mutateChildren(deps, {
      loadBalancerId: current.loadBalancerId,
      write: async (tx) => {
        const marked = await tx.pool.update({
          where: { id: current.id },
          data: {
            provisioningStatus: ProvisioningStatus.PENDING_UPDATE,
            updatedAt: new Date(),
            // A JSON null cannot travel through the flow's update list: clearing is written here.
            ...(sp === null ? { sessionPersistence: Prisma.DbNull } : {}),
          },
        });
        return { result: await withPoolInclude(tx, marked), changes: [{ resource: 'pool', id: marked.id, operation: 'update', updates }] };
      },
      revert: async (tx) => {
        await tx.pool.update({
          where: { id: current.id },
          data: {
            provisioningStatus: current.provisioningStatus,
            updatedAt: current.updatedAt,
            sessionPersistence: (current.sessionPersistence as Prisma.InputJsonValue | null) ?? Prisma.DbNull,
          },
        });
      },
    });
    res.json({ pool: pools.preview(row, updates) });
  });

  childRoutes(deps, routes, all, {
    child: 'pool',
    // The flow deletes the row; the database deletes its members and monitor and clears the
    // listeners' default_pool_id with it.
    lock: async (current) => {
      const policy = await db.l7Policy.findFirst({ where: { redirectPoolId: current.id }, select: { id: true } });
      if (policy) throw new PoolInUseByL7Policy(current.id, policy.id);
      return { loadBalancerId: current.loadBalancerId };
    },
  });
  return routes;
}
