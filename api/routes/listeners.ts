/** /v2/lbaas/listeners (Octavia api-ref: Listeners). */
import { collection } from '../collection';
import { authorize } from '../context';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { childRoutes, createChild, findLoadBalancer, refusedAs } from '../lifecycle';
import { checkListenerSupported } from '../provider-support';
import { listenerInclude, listeners, newListener } from '../resources/listener';
import { DuplicateListener, NotFound, pyRepr } from '../../common/errors';
import { ProvisioningStatus } from '../../common/status';
import {
  checkCidrsMatchVip,
  checkInsertHeaders,
  checkListenerDefaultPool,
  checkListenerPortFree,
  checkListenerTls,
  checkListenerTlsUpdate,
  normalizeCidr,
} from '../../domain/validate';

export function listenerRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  const routes = new ApiRouter();
  const all = collection(deps, listeners, { rbac: 'listener', include: listenerInclude });
  all.routes(routes);

  /**
   * A default pool is a pool of the listener's load balancer (else Octavia's 404, as for a pool that
   * does not exist) that may take the listener's traffic.
   */
  async function checkDefaultPool(poolId: string | null | undefined, loadBalancerId: string, protocol: string) {
    if (!poolId) return;
    if (protocol === 'PROMETHEUS') checkListenerDefaultPool(protocol, '');
    const pool = await db.pool.findFirst({ where: { id: poolId, loadBalancerId, provisioningStatus: { not: ProvisioningStatus.DELETED } } });
    if (!pool) throw new NotFound('Pool', poolId);
    checkListenerDefaultPool(protocol, pool.protocol);
  }

  /** The VIP address allowed CIDRs are compared with. */
  const vipOf = async (loadBalancerId: string) =>
    (await db.loadBalancer.findUnique({ where: { id: loadBalancerId }, select: { vipAddress: true } }))?.vipAddress;

  /** Allowed CIDRs are stored as Octavia stores them: network address and prefix length. */
  const normalized = <T extends { allowed_cidrs?: string[] | null }>(l: T): T =>
    l.allowed_cidrs ? { ...l, allowed_cidrs: l.allowed_cidrs.map(normalizeCidr) } : l;

  routes.post('/', { summary: 'Create a listener', body: listeners.bodies.create, response: listeners.showSchema }, async (req, res, body) => {
    const listener = normalized(body().listener);
    const lb = await findLoadBalancer(deps, listener.loadbalancer_id);
    authorize(req, 'listener:post', lb.projectId);
    await checkDefaultPool(listener.default_pool_id, lb.id, listener.protocol);
    // Octavia's _validate_create_listener, in its order; the port and the VIP under the lock.
    if (listener.insert_headers && Object.keys(listener.insert_headers).length > 0) {
      checkInsertHeaders(listener.protocol, Object.keys(listener.insert_headers), (names) => `dict_keys(${pyRepr(names)})`);
    }
    checkListenerTls(listener.protocol, listener);
    // Octavia's own validation first (400), then what the provider cannot do (501).
    checkListenerSupported(deps, listener);
    const row = await createChild(
      deps,
      'listener',
      { loadBalancerId: lb.id, projectId: lb.projectId },
      (tx) =>
        tx.listener.create({ data: newListener(listener, { id: lb.id, projectId: lb.projectId }) }),
      {
        check: async (tx) => {
          const onPort = await tx.listener.findMany({ where: { loadBalancerId: lb.id, protocolPort: listener.protocol_port }, select: { protocol: true } });
          checkListenerPortFree(listener.protocol, listener.protocol_port, onPort);
          checkCidrsMatchVip(lb.vipAddress, listener.allowed_cidrs);
        },
        refused: refusedAs('P2002', () => new DuplicateListener(listener.protocol, listener.protocol_port)),
      },
    );
    res.status(201).json({ listener: listeners.view(row) });
  });

  childRoutes(deps, routes, all, {
    child: 'listener',
    lock: async (current) => ({ loadBalancerId: current.loadBalancerId }),
    update: async (current, body) => {
      const update = normalized(body().listener);
      // Octavia's _validate_listener_PUT, against the listener's protocol and its load balancer's VIP.
      checkListenerTlsUpdate(current.protocol, update);
      if (update.insert_headers && Object.keys(update.insert_headers).length > 0) {
        checkInsertHeaders(current.protocol, Object.keys(update.insert_headers), pyRepr);
      }
      if (update.allowed_cidrs?.length) checkCidrsMatchVip(await vipOf(current.loadBalancerId), update.allowed_cidrs);
      await checkDefaultPool(update.default_pool_id, current.loadBalancerId, current.protocol);
      return listeners.toColumns(update);
    },
  });
  return routes;
}
