/**
 * /v2/lbaas/quotas (Octavia api-ref: Quotas). Enforcement is domain/quotas.ts.
 *
 * As Octavia answers:
 *   - GET /quotas lists the projects that have quotas of their own, with their raw values (null:
 *     the deployment default);
 *   - GET /quotas/{project} shows a project's quotas with the defaults filled in;
 *   - GET /quotas/defaults (and Octavia's /quotas/{project}/default) shows the defaults;
 *   - PUT /quotas/{project} sets some or all (null: back to the default) and answers 202;
 *   - DELETE /quotas/{project} resets them all to the defaults: 202, or 404 when the project has
 *     never had quotas of its own.
 * Every response carries both Octavia's field names and the deprecated ones it still shows
 * (`loadbalancer`, `healthmonitor`); a PUT accepts either.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Quota } from '../../generated/prisma/client';
import { requestContext } from '../context';
import type { ApiDeps } from '../deps';
import { selectOne, type FilterSpec, listPage } from '../listing';
import { effectiveQuotas, MAX_QUOTA, MIN_QUOTA, quotaDefaults, setQuotaDefaults, type QuotaDefaults } from '../../domain/quotas';
import { parseBody } from '../validation';
import { InvalidInput, NotAuthorized, NotFound } from '../../common/errors';

const limit = () => z.number().int().min(MIN_QUOTA).max(MAX_QUOTA).nullable().optional();

export const quotaUpdateRoot = z
  .object({
    quota: z
      .object({
        load_balancer: limit(),
        loadbalancer: limit(),
        listener: limit(),
        pool: limit(),
        health_monitor: limit(),
        healthmonitor: limit(),
        member: limit(),
        l7policy: limit(),
        l7rule: limit(),
      })
      .strict(),
  })
  .strict();

type QuotaValues = { [K in keyof QuotaDefaults]: number | null };

function valuesView(q: QuotaValues) {
  return {
    load_balancer: q.loadBalancer,
    loadbalancer: q.loadBalancer,
    listener: q.listener,
    pool: q.pool,
    health_monitor: q.healthMonitor,
    healthmonitor: q.healthMonitor,
    member: q.member,
    l7policy: q.l7policy,
    l7rule: q.l7rule,
  };
}

const projectView = (projectId: string, q: QuotaValues) => ({ project_id: projectId, ...valuesView(q), tenant_id: projectId });

const filters: FilterSpec = {
  project_id: { column: 'projectId', kind: 'string' },
  tenant_id: { column: 'projectId', kind: 'string' },
};

/** Whether a project id can be stored (and so can have quotas): at most 36 characters, no NUL. */
const storable = (projectId: string) => projectId.length <= 36 && !projectId.includes('\0');

/** Octavia's quota project ids are at most 36 characters (the column's size). */
function checkProjectId(projectId: string): void {
  if (projectId.includes('\0')) throw new InvalidInput('project_id', projectId, 'Value should not contain NUL characters');
  if (projectId.length > 36) throw new InvalidInput('project_id', projectId, 'Value should have a maximum character requirement of 36');
}

export function quotaRoutes(deps: ApiDeps): Router {
  const { db } = deps;
  setQuotaDefaults(deps.config.quotas);
  const router = Router();

  /** Members and observers see their own project's quotas; another project's is Octavia's 403. */
  function authorizeProject(req: Request, projectId: string): void {
    const ctx = requestContext(req);
    if (!ctx.readsAllProjects && ctx.projectId !== projectId) throw new NotAuthorized();
  }

  const showDefaults = (_req: Request, res: import('express').Response) => {
    res.json({ quota: valuesView(quotaDefaults()) });
  };

  router.get('/', async (req, res) => {
    const ctx = requestContext(req);
    const page = await listPage(req, filters, {
      timestamps: false,
      key: 'projectId',
      base: ctx.readsAllProjects ? {} : { projectId: ctx.projectId ?? '' },
      findMany: (args) => db.quota.findMany(args),
      findById: (projectId) => db.quota.findUnique({ where: { projectId } }),
      view: (r: Quota) => projectView(r.projectId, r),
    });
    res.json({ quotas: page.items, quotas_links: page.links });
  });

  router.get('/defaults', showDefaults);
  router.get('/:projectId/default', (req, res) => {
    authorizeProject(req, req.params.projectId);
    showDefaults(req, res);
  });

  router.get('/:projectId', async (req, res) => {
    const { projectId } = req.params;
    authorizeProject(req, projectId);
    const row = !storable(projectId) ? null : await db.quota.findUnique({ where: { projectId } });
    res.json({ quota: selectOne(req, projectView(projectId, effectiveQuotas(row))) });
  });

  router.put('/:projectId', async (req, res) => {
    const { projectId } = req.params;
    const body = parseBody(quotaUpdateRoot, req.body, 'quotas').quota;
    checkProjectId(projectId);
    // The current names win over the deprecated ones when a request sends both.
    const pick = (current: number | null | undefined, deprecated: number | null | undefined) => (current !== undefined ? current : deprecated);
    const data = Object.fromEntries(
      Object.entries({
        loadBalancer: pick(body.load_balancer, body.loadbalancer),
        listener: body.listener,
        pool: body.pool,
        healthMonitor: pick(body.health_monitor, body.healthmonitor),
        member: body.member,
        l7policy: body.l7policy,
        l7rule: body.l7rule,
      }).filter(([, v]) => v !== undefined),
    );
    const row = await db.quota.upsert({ where: { projectId }, create: { projectId, ...data }, update: data });
    res.status(202).json({ quota: projectView(projectId, effectiveQuotas(row)) });
  });

  router.delete('/:projectId', async (req, res) => {
    const { projectId } = req.params;
    const reset = { loadBalancer: null, listener: null, pool: null, healthMonitor: null, member: null, l7policy: null, l7rule: null };
    const { count } = !storable(projectId) ? { count: 0 } : await db.quota.updateMany({ where: { projectId }, data: reset });
    if (count === 0) throw new NotFound('Quotas', projectId);
    res.status(202).end();
  });

  return router;
}
