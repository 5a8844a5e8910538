/** /v2/lbaas/pools (Octavia api-ref: Pools). Members are under /pools/{id}/members (routes/members.ts). */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { enforceQuota } from '../../domain/quotas';
import { projectScope } from '../context';
import { LbAlgorithm, OperatingStatus, PoolProtocol, ProvisioningStatus } from '../../common/status';
import { Prisma, type Pool } from '../../generated/prisma/client';
import { toColumns, mergeView, type ColumnMap } from '../columns';
import type { ApiDeps } from '../deps';
import { findOr404, markChild, mutateChildren, type Tx } from '../lifecycle';
import { FilterSpec, listPage, selectOne, objectFilters, nameFilter, descriptionFilter } from '../listing';
import {
  poolCreateRoot,
  poolUpdateRoot,
  type PoolCreate,
  type PoolProtocolName,
  type PoolUpdate,
  type SessionPersistenceInput,
} from '../schemas/pool';
import { parseBody } from '../validation';
import { poolRefs, poolView, sessionPersistenceView, type PoolWithRefs, type SessionPersistence } from '../views-children';
import { CertificateRetrieval, DuplicateDefaultPool, NotFound, PoolInUseByL7Policy, ValidationFailure } from '../../common/errors';

const columns: ColumnMap = {
  name: 'name',
  description: 'description',
  admin_state_up: 'enabled',
  lb_algorithm: 'lbAlgorithm',
  tls_enabled: 'tlsEnabled',
  tags: 'tags',
};

const filters: FilterSpec = {
  ...objectFilters,
  ...nameFilter,
  ...descriptionFilter,
  protocol: { column: 'protocol', kind: { enum: PoolProtocol } },
  lb_algorithm: { column: 'lbAlgorithm', kind: { enum: LbAlgorithm } },
  loadbalancer_id: { column: 'loadBalancerId', kind: 'uuid' },
  load_balancer_id: { column: 'loadBalancerId', kind: 'uuid' },
  listener_id: { column: 'listenerId', kind: 'uuid', match: (id) => ({ listeners: { some: { id } } }) },
  healthmonitor_id: { column: 'healthMonitorId', kind: 'uuid', match: (id) => ({ healthMonitor: { is: { id } } }) },
  tls_enabled: { column: 'tlsEnabled', kind: 'bool' },
};

/** Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP: which pools a listener may send its traffic to. */
const listenerPoolProtocols: Record<string, PoolProtocolName[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

const isDatagram = (protocol: string) => protocol === 'UDP' || protocol === 'SCTP';

/** Octavia's pool session persistence rules: per protocol, then validate.check_session_persistence. */
function checkSessionPersistence(protocol: string, sp: (Omit<SessionPersistenceInput, 'type'> & { type?: string | null }) | null | undefined) {
  if (!sp) return;
  if (isDatagram(protocol)) {
    if (sp.type === 'SOURCE_IP' && sp.cookie_name) {
      throw new ValidationFailure(
        'session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.',
      );
    }
    if (sp.cookie_name) throw new ValidationFailure('Cookie names are not supported for UDP/SCTP pools.');
    if (sp.type === 'HTTP_COOKIE' || sp.type === 'APP_COOKIE') {
      throw new ValidationFailure(`Session persistence of type ${sp.type} is not supported for UDP/SCTP protocol pools.`);
    }
  } else if (sp.persistence_timeout || sp.persistence_granularity) {
    throw new ValidationFailure('persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.');
  }
  if (sp.cookie_name && sp.type !== 'APP_COOKIE') {
    throw new ValidationFailure('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
  }
  if (sp.type === 'APP_COOKIE' && !sp.cookie_name) {
    throw new ValidationFailure('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
  }
}

/** The amphora load-balances UDP and SCTP with LVS, which alone has a source IP and port hash. */
function checkAlgorithm(protocol: string, algorithm: string | undefined) {
  if (algorithm === 'SOURCE_IP_PORT' && !isDatagram(protocol)) {
    throw new ValidationFailure(`The SOURCE_IP_PORT algorithm is only supported for UDP and SCTP pools, not ${protocol} pools.`);
  }
}

/**
 * TLS towards members: tls_enabled is stored; certificates would come from a certificate manager this
 * deployment does not have, so references are refused as Octavia refuses ones it cannot retrieve, and
 * cipher/version/ALPN lists (which have nowhere to be stored) are refused rather than dropped.
 */
function checkTls(body: PoolCreate | PoolUpdate) {
  if (body.crl_container_ref && !body.ca_tls_container_ref) {
    throw new ValidationFailure('A CA certificate reference is required to specify a revocation list.');
  }
  const refs = [body.tls_container_ref, body.ca_tls_container_ref, body.crl_container_ref].filter((r): r is string => !!r);
  if (refs.length > 0) throw new CertificateRetrieval(refs);
  const lists = { tls_ciphers: body.tls_ciphers, tls_versions: body.tls_versions, alpn_protocols: body.alpn_protocols };
  const set = Object.entries(lists).filter(([, v]) => (Array.isArray(v) ? v.length > 0 : !!v));
  if (set.length > 0) {
    throw new ValidationFailure(`${set.map(([k]) => k).join(', ')} cannot be set: pools of this deployment have no TLS settings.`);
  }
}

/** The stored form: all four keys, as the response shows them. */
function storedSessionPersistence(sp: Omit<SessionPersistenceInput, 'type'> & { type: string }): SessionPersistence {
  return {
    type: sp.type,
    cookie_name: sp.cookie_name ?? null,
    persistence_timeout: sp.persistence_timeout ?? null,
    persistence_granularity: sp.persistence_granularity ?? null,
  };
}

/**
 * A pool row with what its view shows, read one query after the other: inside a transaction (one
 * connection) Prisma would otherwise run an `include`'s queries concurrently on it.
 */
async function withRefs(tx: Tx, pool: Pool): Promise<PoolWithRefs> {
  const listeners = await tx.listener.findMany({ where: { defaultPoolId: pool.id }, select: { id: true }, orderBy: poolRefs.listeners.orderBy });
  const members = await tx.member.findMany({ where: { poolId: pool.id }, select: { id: true }, orderBy: poolRefs.members.orderBy });
  const healthMonitor = await tx.healthMonitor.findUnique({ where: { poolId: pool.id }, select: { id: true } });
  return { ...pool, listeners, members, healthMonitor };
}

export function poolRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string, req: Request) =>
    findOr404('Pool', id, (i) => db.pool.findFirst({ where: { id: i, ...projectScope(req) }, include: poolRefs }));

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      base: projectScope(req),
      findMany: (args) => db.pool.findMany({ ...args, include: poolRefs }),
      findById: (id) => db.pool.findUnique({ where: { id } }),
      view: poolView,
    });
    res.json({ pools: page.items, pools_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ pool: selectOne(req, poolView(await find(req.params.id, req))) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(poolCreateRoot, req.body, 'pool_').pool;
    checkSessionPersistence(body.protocol, body.session_persistence);
    if (!body.listener_id && !body.loadbalancer_id) {
      throw new ValidationFailure('Must provide at least one of: loadbalancer_id, listener_id');
    }
    let loadBalancerId = body.loadbalancer_id;
    const listenerId = body.listener_id ?? undefined;
    if (listenerId) {
      const listener = await db.listener.findFirst({ where: { id: listenerId, ...projectScope(req) } });
      if (!listener) throw new NotFound('Listener', listenerId);
      if (!listenerPoolProtocols[listener.protocol]?.includes(body.protocol)) {
        throw new ValidationFailure(
          `The pool protocol '${body.protocol}' is invalid while the listener protocol is '${listener.protocol}'.`,
        );
      }
      if (loadBalancerId && loadBalancerId !== listener.loadBalancerId) {
        throw new ValidationFailure(`Listener ${listenerId} is not on Load Balancer ${loadBalancerId}.`);
      }
      loadBalancerId = listener.loadBalancerId;
      if (listener.defaultPoolId) throw new DuplicateDefaultPool();
    }
    const lb = await findOr404('Load Balancer', loadBalancerId!, (id) =>
      db.loadBalancer.findFirst({ where: { id, provisioningStatus: { not: ProvisioningStatus.DELETED }, ...projectScope(req) } }),
    );
    checkAlgorithm(body.protocol, body.lb_algorithm);
    checkTls(body);

    const pool = await mutateChildren(deps, {
      loadBalancerId: lb.id,
      write: async (tx) => {
        await enforceQuota(tx, lb.projectId, 'pool');
        const id = randomUUID();
        await tx.pool.create({
          data: {
            ...(toColumns(body, columns) as Partial<Prisma.PoolUncheckedCreateInput>),
            id,
            // Children belong to their load balancer's project (as in Octavia).
            projectId: lb.projectId,
            loadBalancerId: lb.id,
            protocol: body.protocol,
            lbAlgorithm: body.lb_algorithm,
            sessionPersistence: body.session_persistence
              ? (storedSessionPersistence(body.session_persistence) as unknown as Prisma.InputJsonValue)
              : Prisma.DbNull,
            provisioningStatus: ProvisioningStatus.PENDING_CREATE,
            operatingStatus: OperatingStatus.OFFLINE,
          },
        });
        if (listenerId) {
          // The listener's default pool, in the same transaction; a concurrent create lost the race.
          const { count } = await tx.listener.updateMany({ where: { id: listenerId, defaultPoolId: null }, data: { defaultPoolId: id } });
          if (count === 0) throw new DuplicateDefaultPool();
        }
        const row = await withRefs(tx, await tx.pool.findUniqueOrThrow({ where: { id } }));
        return { result: row, changes: [{ resource: 'pool', id, operation: 'create' }] };
      },
      // Deleting the pool clears the listener's default_pool_id (ON DELETE SET NULL).
      revert: async (tx, row) => {
        await tx.pool.delete({ where: { id: row.id } });
      },
    });
    res.status(201).json({ pool: poolView(pool) });
  });

  router.put('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    const body = parseBody(poolUpdateRoot, req.body, 'pool_').pool;
    const currentSp = sessionPersistenceView(current.sessionPersistence);
    // A session persistence without a type keeps the pool's current type (as Octavia does).
    let sp: SessionPersistence | null | undefined;
    if (body.session_persistence) {
      const type = body.session_persistence.type ?? currentSp?.type;
      if (!type) throw new ValidationFailure('Field "type" must be specified for a session persistence.');
      const requested = { ...body.session_persistence, type };
      checkSessionPersistence(current.protocol, requested);
      sp = storedSessionPersistence(requested);
    } else {
      sp = body.session_persistence; // null (clear) or undefined (unchanged)
    }
    checkAlgorithm(current.protocol, body.lb_algorithm);
    checkTls(body);

    const updated = await mutateChildren(deps, {
      loadBalancerId: current.loadBalancerId,
      write: async (tx) => {
        const row = await tx.pool.update({
          where: { id: current.id },
          data: {
            provisioningStatus: ProvisioningStatus.PENDING_UPDATE,
            updatedAt: new Date(),
            // A JSON null cannot travel through the flow's update list: clearing is written here.
            ...(sp === null ? { sessionPersistence: Prisma.DbNull } : {}),
          },
        });
        const updates = { ...toColumns(body, columns), ...(sp ? { sessionPersistence: sp } : {}) };
        return { result: await withRefs(tx, row), changes: [{ resource: 'pool', id: row.id, operation: 'update', updates }] };
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
    const shown: Record<string, unknown> = { ...body, ...(sp !== undefined ? { session_persistence: sp } : {}) };
    if (Array.isArray(body.tags)) shown.tags = [...body.tags].sort();
    if (body.tags === null) shown.tags = [];
    // Certificates and TLS lists are refused unless empty: the view keeps showing them as null.
    for (const k of ['tls_container_ref', 'ca_tls_container_ref', 'crl_container_ref', 'tls_ciphers', 'tls_versions', 'alpn_protocols']) {
      delete shown[k];
    }
    for (const k of ['name', 'description'] as const) if (body[k] === null) shown[k] = '';
    res.json({ pool: mergeView(poolView(updated), shown) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    const policy = await db.l7Policy.findFirst({ where: { redirectPoolId: current.id }, select: { id: true } });
    if (policy) throw new PoolInUseByL7Policy(current.id, policy.id);
    // The flow deletes the row; the database deletes its members and monitor and clears the
    // listeners' default_pool_id with it.
    await mutateChildren(deps, { loadBalancerId: current.loadBalancerId, ...markChild('pool', current, 'delete') });
    res.status(204).end();
  });

  return router;
}
