/** /v2/lbaas/listeners (Octavia api-ref: Listeners). */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { projectScope } from '../context';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import { Prisma } from '../../generated/prisma/client';
import { toColumns, mergeView, type ColumnMap } from '../columns';
import type { ApiDeps } from '../deps';
import { findOr404, markChild, mutateChildren } from '../lifecycle';
import { enforceQuota } from '../../domain/quotas';
import { FilterSpec, listPage, objectFilters, nameFilter, descriptionFilter } from '../listing';
import { listenerCreateRoot, listenerUpdateRoot } from '../schemas/listener';
import { parseBody } from '../validation';
import { listenerView } from '../views';
import { listenerL7PolicyRefs } from '../views-children';
import { DuplicateListener, NotFound, ValidationFailure } from '../../common/errors';

const columns: ColumnMap = {
  name: 'name',
  description: 'description',
  admin_state_up: 'enabled',
  connection_limit: 'connectionLimit',
  default_pool_id: 'defaultPoolId',
  default_tls_container_ref: 'defaultTlsContainerRef',
  sni_container_refs: 'sniContainerRefs',
  insert_headers: 'insertHeaders',
  timeout_client_data: 'timeoutClientData',
  timeout_member_connect: 'timeoutMemberConnect',
  timeout_member_data: 'timeoutMemberData',
  timeout_tcp_inspect: 'timeoutTcpInspect',
  allowed_cidrs: 'allowedCidrs',
  client_authentication: 'clientAuthentication',
  tags: 'tags',
};

const filters: FilterSpec = {
  ...objectFilters,
  ...nameFilter,
  ...descriptionFilter,
  protocol: { column: 'protocol', kind: 'string' },
  protocol_port: { column: 'protocolPort', kind: 'int' },
  // openstacksdk filters by load_balancer_id, the openstack CLI by loadbalancer_id.
  loadbalancer_id: { column: 'loadBalancerId', kind: 'uuid' },
  load_balancer_id: { column: 'loadBalancerId', kind: 'uuid' },
  default_pool_id: { column: 'defaultPoolId', kind: 'uuid' },
  connection_limit: { column: 'connectionLimit', kind: 'int' },
};

function duplicatePort(protocol: string, port: number) {
  return (err: unknown) =>
    err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002'
      ? new DuplicateListener(protocol, port)
      : undefined;
}

export function listenerRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string, req: Request) =>
    findOr404('Listener', id, (i) => db.listener.findFirst({ where: { id: i, ...projectScope(req) }, include: listenerL7PolicyRefs }));

  /** A default pool must exist on the same load balancer. */
  async function checkDefaultPool(poolId: string | null | undefined, loadBalancerId: string) {
    if (!poolId) return;
    const pool = await db.pool.findUnique({ where: { id: poolId } });
    if (!pool) throw new NotFound('Pool', poolId);
    if (pool.loadBalancerId !== loadBalancerId) {
      throw new ValidationFailure(`Pool ${poolId} is not on Load Balancer ${loadBalancerId}.`);
    }
  }

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      base: projectScope(req),
      findMany: (args) => db.listener.findMany({ ...args, include: listenerL7PolicyRefs }),
      findById: (id) => db.listener.findUnique({ where: { id } }),
      view: listenerView,
    });
    res.json({ listeners: page.items, listeners_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ listener: listenerView(await find(req.params.id, req)) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(listenerCreateRoot, req.body, 'listener_').listener;
    const lb = await findOr404('Load Balancer', body.loadbalancer_id, (id) =>
      db.loadBalancer.findFirst({ where: { id, provisioningStatus: { not: ProvisioningStatus.DELETED }, ...projectScope(req) } }),
    );
    await checkDefaultPool(body.default_pool_id, lb.id);
    const listener = await mutateChildren(deps, {
      loadBalancerId: lb.id,
      write: async (tx) => {
        await enforceQuota(tx, lb.projectId, 'listener');
        const row = await tx.listener.create({
          data: {
            ...toColumns(body, columns),
            id: randomUUID(),
            // Children belong to their load balancer's project (as in Octavia).
            projectId: lb.projectId,
            loadBalancerId: lb.id,
            protocol: body.protocol,
            protocolPort: body.protocol_port,
            provisioningStatus: ProvisioningStatus.PENDING_CREATE,
            operatingStatus: OperatingStatus.OFFLINE,
          } as Prisma.ListenerUncheckedCreateInput,
        });
        return { result: row, changes: [{ resource: 'listener', id: row.id, operation: 'create' }] };
      },
      revert: async (tx, row) => {
        await tx.listener.delete({ where: { id: row.id } });
      },
      refused: duplicatePort(body.protocol, body.protocol_port),
    });
    res.status(201).json({ listener: listenerView(listener) });
  });

  router.put('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    const body = parseBody(listenerUpdateRoot, req.body, 'listener_').listener;
    await checkDefaultPool(body.default_pool_id, current.loadBalancerId);
    const updated = await mutateChildren(deps, {
      loadBalancerId: current.loadBalancerId,
      ...markChild('listener', current, 'update', toColumns(body, columns)),
    });
    res.json({ listener: mergeView(listenerView({ ...updated, l7Policies: current.l7Policies }), body) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    await mutateChildren(deps, { loadBalancerId: current.loadBalancerId, ...markChild('listener', current, 'delete') });
    res.status(204).end();
  });

  return router;
}

