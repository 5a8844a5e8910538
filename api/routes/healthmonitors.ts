/** /v2/lbaas/healthmonitors (Octavia api-ref: Health Monitors). One monitor per pool. */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { projectScope } from '../context';
import { enforceQuota } from '../../domain/quotas';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import { Prisma, type Pool } from '../../generated/prisma/client';
import { toColumns, mergeView, type ColumnMap } from '../columns';
import type { ApiDeps } from '../deps';
import { findOr404, markChild, mutateChildren } from '../lifecycle';
import { FilterSpec, listPage, selectOne, objectFilters, nameFilter } from '../listing';
import {
  healthMonitorCreateRoot,
  healthMonitorTypes,
  healthMonitorUpdateRoot,
  type HealthMonitorTypeName,
} from '../schemas/healthmonitor';
import { parseBody } from '../validation';
import { healthMonitorTypeToDb, healthMonitorView } from '../views-children';
import { DuplicateHealthMonitor, ImmutableObject, InvalidOption, ValidationFailure } from '../../common/errors';


const columns: ColumnMap = {
  name: 'name',
  delay: 'delay',
  timeout: 'timeout',
  max_retries: 'maxRetries',
  max_retries_down: 'maxRetriesDown',
  http_method: 'httpMethod',
  url_path: 'urlPath',
  expected_codes: 'expectedCodes',
  admin_state_up: 'enabled',
  http_version: 'httpVersion',
  domain_name: 'domainName',
  tags: 'tags',
};

const filters: FilterSpec = {
  ...objectFilters,
  ...nameFilter,
  pool_id: { column: 'poolId', kind: 'uuid' },
  // Octavia spells TLS-HELLO and UDP-CONNECT with a hyphen; the database enum cannot.
  type: {
    column: 'type',
    kind: { enum: Object.fromEntries(healthMonitorTypes.map((t) => [t, t])) },
    match: (t) => ({ type: healthMonitorTypeToDb(String(t) as HealthMonitorTypeName) }),
  },
  delay: { column: 'delay', kind: 'int' },
  timeout: { column: 'timeout', kind: 'int' },
  max_retries: { column: 'maxRetries', kind: 'int' },
  max_retries_down: { column: 'maxRetriesDown', kind: 'int' },
  http_method: { column: 'httpMethod', kind: 'string' },
  url_path: { column: 'urlPath', kind: 'string' },
  expected_codes: { column: 'expectedCodes', kind: 'string' },
  domain_name: { column: 'domainName', kind: 'string' },
};

/** The type filter arrives in wire spelling (TLS-HELLO); the column holds TLS_HELLO. */

const HTTP_TYPES: readonly string[] = ['HTTP', 'HTTPS'];
const HTTP_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const;
/** Octavia's [api_settings] udp_connect_min_interval_health_monitor default. */
const UDP_CONNECT_MIN_DELAY = 3;

/** Python prints the float 1.0 as `1.0`. */
const pyFloat = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** The types a pool's protocol can be monitored with (Octavia's post()/validate for UDP and SCTP). */
function checkTypeForPool(pool: Pool, type: HealthMonitorTypeName, delay: number | undefined) {
  if (pool.protocol === 'UDP' || pool.protocol === 'SCTP') {
    if (!['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'].includes(type)) {
      throw new ValidationFailure(
        `The associated pool protocol is ${pool.protocol}, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.`,
      );
    }
    if (type === 'UDP-CONNECT' && delay !== undefined && delay < UDP_CONNECT_MIN_DELAY) {
      throw new ValidationFailure(
        `The request delay value ${delay} should be larger than ${UDP_CONNECT_MIN_DELAY} for UDP-CONNECT health monitor type.`,
      );
    }
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw new ValidationFailure(`The ${type} type is only supported for pools of type UDP/SCTP.`);
  }
}

/** A domain name is sent in an HTTP/1.1 Host header: it needs http_version 1.1. */
function checkDomainName(domainName: string | null | undefined, httpVersion: number | null | undefined) {
  if (!domainName) return;
  if (!httpVersion) throw new ValidationFailure("'http_version' must be specified when 'domain_name' is provided.");
  if (httpVersion < 1.1) throw new InvalidOption(`http_version ${pyFloat(httpVersion)}`, 'health monitors HTTP 1.1 domain name health check');
}

/** Octavia refuses monitor changes while the pool is not ACTIVE. */
function checkPoolMutable(pool: Pool) {
  if (pool.provisioningStatus !== ProvisioningStatus.ACTIVE) throw new ImmutableObject('Pool', pool.id);
}

export function healthMonitorRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  const router = Router();
  const find = (id: string, req: Request) =>
    findOr404('Health Monitor', id, (i) => db.healthMonitor.findFirst({ where: { id: i, ...projectScope(req) } }));
  const poolOf = (id: string, req: Request) => findOr404('Pool', id, (i) => db.pool.findFirst({ where: { id: i, ...projectScope(req) } }));

  router.get('/', async (req, res) => {
    const page = await listPage(req, filters, {
      base: projectScope(req),
      findMany: (args) => db.healthMonitor.findMany(args),
      findById: (id) => db.healthMonitor.findUnique({ where: { id } }),
      view: healthMonitorView,
    });
    res.json({ healthmonitors: page.items, healthmonitors_links: page.links });
  });

  router.get('/:id', async (req, res) => {
    res.json({ healthmonitor: selectOne(req, healthMonitorView(await find(req.params.id, req))) });
  });

  router.post('/', async (req, res) => {
    const body = parseBody(healthMonitorCreateRoot, req.body, 'health_monitor_').healthmonitor;
    const pool = await poolOf(body.pool_id, req);
    checkTypeForPool(pool, body.type, body.delay);
    const http = HTTP_TYPES.includes(body.type);
    if (!http) {
      for (const f of HTTP_FIELDS) if (body[f]) throw new InvalidOption(f, `health monitors of type ${body.type}`);
    }
    checkDomainName(body.domain_name, body.http_version);
    checkPoolMutable(pool);

    const monitor = await mutateChildren(deps, {
      loadBalancerId: pool.loadBalancerId,
      write: async (tx) => {
        await enforceQuota(tx, pool.projectId, 'health_monitor');
        const row = await tx.healthMonitor.create({
          data: {
            ...(toColumns(body, columns) as Partial<Prisma.HealthMonitorUncheckedCreateInput>),
            id: randomUUID(),
            projectId: pool.projectId,
            poolId: pool.id,
            type: healthMonitorTypeToDb(body.type),
            delay: body.delay,
            timeout: body.timeout,
            maxRetries: body.max_retries,
            maxRetriesDown: body.max_retries_down ?? 3,
            // HTTP(S) monitors get Octavia's defaults; other types have no HTTP settings.
            httpMethod: http ? (body.http_method ?? 'GET') : null,
            urlPath: http ? (body.url_path ?? '/') : null,
            expectedCodes: http ? (body.expected_codes ?? '200') : null,
            provisioningStatus: ProvisioningStatus.PENDING_CREATE,
            // OFFLINE until its flow has configured it; then ONLINE (as Octavia shows it).
            operatingStatus: OperatingStatus.OFFLINE,
          },
        });
        return { result: row, changes: [{ resource: 'healthmonitor', id: row.id, operation: 'create' }] };
      },
      revert: async (tx, row) => {
        await tx.healthMonitor.delete({ where: { id: row.id } });
      },
      // The unique pool_id: one monitor per pool.
      refused: (err) =>
        err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002'
          ? new DuplicateHealthMonitor()
          : undefined,
    });
    res.status(201).json({ healthmonitor: healthMonitorView(monitor) });
  });

  router.put('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    const body = parseBody(healthMonitorUpdateRoot, req.body, 'health_monitor_').healthmonitor;
    const pool = await poolOf(current.poolId, req);
    const type = healthMonitorView(current).type;
    if (!HTTP_TYPES.includes(type)) {
      for (const f of HTTP_FIELDS) if (body[f] !== undefined) throw new InvalidOption(f, `health monitors of type ${type}`);
    }
    for (const f of ['delay', 'max_retries', 'timeout'] as const) if (body[f] === null) throw new InvalidOption('None', f);
    const effective = <K extends 'domain_name' | 'http_version'>(k: K, stored: unknown) => (body[k] !== undefined ? body[k] : stored);
    checkDomainName(
      effective('domain_name', current.domainName) as string | null,
      effective('http_version', current.httpVersion === null ? null : Number(current.httpVersion)) as number | null,
    );
    if (type === 'UDP-CONNECT') checkTypeForPool(pool, type, body.delay ?? undefined);
    // null puts these back to their defaults (Octavia's _set_default_on_none).
    const values: Record<string, unknown> = { ...body };
    if (body.http_method === null) values.http_method = 'GET';
    if (body.url_path === null) values.url_path = '/';
    if (body.expected_codes === null) values.expected_codes = '200';
    if (body.max_retries_down === null) values.max_retries_down = 3;
    checkPoolMutable(pool);

    const updated = await mutateChildren(deps, {
      loadBalancerId: pool.loadBalancerId,
      ...markChild('healthmonitor', current, 'update', toColumns(values, columns)),
    });
    if (body.name === null) values.name = '';
    if (body.tags !== undefined) values.tags = [...(body.tags ?? [])].sort();
    res.json({ healthmonitor: mergeView(healthMonitorView(updated), values) });
  });

  router.delete('/:id', async (req, res) => {
    const current = await find(req.params.id, req);
    const pool = await poolOf(current.poolId, req);
    checkPoolMutable(pool);
    await mutateChildren(deps, { loadBalancerId: pool.loadBalancerId, ...markChild('healthmonitor', current, 'delete') });
    res.status(204).end();
  });

  return router;
}
