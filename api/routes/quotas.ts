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
 * A list carries both Octavia's field names and the deprecated ones it still shows (`loadbalancer`,
 * `healthmonitor`), a single project's quotas only the current ones (api/resources/quota.ts); a PUT
 * accepts either. Octavia serves the same API at /v2/quotas (gophercloud's path) and /v2/lbaas/quotas.
 */
import type { Request, Response } from 'express';
import { collection } from '../collection';
import { authorize } from '../context';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { selectOne } from '../listing';
import { effectiveQuotas, quotaDefaults, setQuotaDefaults } from '../../domain/quotas';
import { quotaLimits, quotas } from '../resources/quota';
import { InvalidInput, NotFound } from '../../common/errors';

/** Whether a project id can be stored (and so can have quotas): at most 36 characters, no NUL. */
const storable = (projectId: string) => projectId.length <= 36 && !projectId.includes('\0');

/** Octavia's quota project ids are at most 36 characters (the column's size). */
function checkProjectId(projectId: string): void {
  if (projectId.includes('\0')) throw new InvalidInput('project_id', projectId, 'Value should not contain NUL characters');
  if (projectId.length > 36) throw new InvalidInput('project_id', projectId, 'Value should have a maximum character requirement of 36');
}

export function quotaRoutes(deps: ApiDeps): ApiRouter {
  const { db } = deps;
  setQuotaDefaults(deps.config.quotas);
  const routes = new ApiRouter();
  // A quota is checked against the project it is of: the path's (quota:get_one, put, delete, get_defaults).
  const all = collection(deps, quotas, { rbac: 'quota' });
  const doc = { query: quotaLimits.showQuery, response: quotaLimits.showSchema };
  const showDefaults = (req: Request, res: Response) => {
    res.json({ quota: selectOne(req, quotaLimits.view(quotaDefaults())) });
  };

  routes.get('/', { summary: 'List the projects with quotas of their own', query: quotas.listQuery(db), response: quotas.listSchema }, all.list);
  // Octavia routes /quotas/defaults as the quotas of a project named "defaults": its policy is that one's.
  routes.get('/defaults', { ...doc, summary: 'Show the default quotas' }, (req, res) => {
    authorize(req, 'quota:get_one', 'defaults');
    showDefaults(req, res);
  });
  routes.get('/:projectId/default', { ...doc, summary: 'Show the default quotas' }, (req, res) => {
    authorize(req, 'quota:get_defaults', req.params.projectId as string);
    showDefaults(req, res);
  });

  routes.get('/:projectId', { ...doc, summary: "Show a project's quotas" }, async (req, res) => {
    const projectId = req.params.projectId as string;
    authorize(req, 'quota:get_one', projectId);
    const row = !storable(projectId) ? null : await db.quota.findUnique({ where: { projectId } });
    res.json({ quota: selectOne(req, quotaLimits.view({ projectId, ...effectiveQuotas(row) })) });
  });

  routes.put('/:projectId', { summary: "Set a project's quotas", body: quotas.bodies.update, status: 202, response: quotaLimits.showSchema }, async (req, res, body) => {
    const projectId = req.params.projectId as string;
    const update = body().quota;
    checkProjectId(projectId);
    authorize(req, 'quota:put', projectId);
    // The current names win over the deprecated ones when a request sends both.
    const pick = (current: number | null | undefined, deprecated: number | null | undefined) => (current !== undefined ? current : deprecated);
    const data = Object.fromEntries(
      Object.entries({
        loadBalancer: pick(update.load_balancer, update.loadbalancer),
        listener: update.listener,
        pool: update.pool,
        healthMonitor: pick(update.health_monitor, update.healthmonitor),
        member: update.member,
        l7policy: update.l7policy,
        l7rule: update.l7rule,
      }).filter(([, v]) => v !== undefined),
    );
    const row = await db.quota.upsert({ where: { projectId }, create: { projectId, ...data }, update: data });
    res.status(202).json({ quota: quotaLimits.view({ projectId, ...effectiveQuotas(row) }) });
  });

  routes.delete('/:projectId', { summary: "Reset a project's quotas to the defaults", status: 202 }, async (req, res) => {
    const projectId = req.params.projectId as string;
    authorize(req, 'quota:delete', projectId);
    const reset = { loadBalancer: null, listener: null, pool: null, healthMonitor: null, member: null, l7policy: null, l7rule: null };
    const { count } = !storable(projectId) ? { count: 0 } : await db.quota.updateMany({ where: { projectId }, data: reset });
    if (count === 0) throw new NotFound('Quotas', projectId);
    res.status(202).end();
  });

  return routes;
}
