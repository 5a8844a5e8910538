/** /v2/lbaas/listeners (Octavia api-ref: Listeners). */
import { collection } from '../collection';
import { authorize } from '../context';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { childRoutes, createChild, findLoadBalancer, refusedAs } from '../lifecycle';
import { checkListenerSupported } from '../provider-support';
import { listenerInclude, listeners, newListener } from '../resources/listener';
import { DuplicateListener, NotFound, ValidationFailure } from '../../common/errors';

export function listenerRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const all = collection(deps, listeners, { rbac: 'listener', include: listenerInclude });
  all.routes(routes);

  /** A default pool must exist on the same load balancer. */
  async function checkDefaultPool(poolId: string | null | undefined, loadBalancerId: string) {
    if (!poolId) return;
    const pool = await db.pool.findUnique({ where: { id: poolId } });
    if (!pool) throw new NotFound('Pool', poolId);
    if (pool.loadBalancerId !== loadBalancerId) {
      throw new ValidationFailure(`Pool ${poolId} is not on Load Balancer ${loadBalancerId}.`);
    }
  }

  routes.post('/', { summary: 'Create a listener', body: listeners.bodies.create, response: listeners.showSchema }, async (req, res, body) => {
    const listener = body().listener;
    const lb = await findLoadBalancer(deps, listener.loadbalancer_id);
    authorize(req, 'listener:post', lb.projectId);
    checkListenerSupported(deps, listener);
    await checkDefaultPool(listener.default_pool_id, lb.id);
    const row = await createChild(
      deps,
      'listener',
      { loadBalancerId: lb.id, projectId: lb.projectId },
      (tx) =>
        tx.listener.create({ data: newListener(listener, { id: lb.id, projectId: lb.projectId }) }),
      { refused: refusedAs('P2002', () => new DuplicateListener(listener.protocol, listener.protocol_port)) },
    );
    res.status(201).json({ listener: listeners.view(row) });
  });

  childRoutes(deps, routes, all, {
    child: 'listener',
    lock: async (current) => ({ loadBalancerId: current.loadBalancerId }),
    update: async (current, body) => {
      const update = body().listener;
      await checkDefaultPool(update.default_pool_id, current.loadBalancerId);
      return listeners.toColumns(update);
    },
  });
  return routes;
}
