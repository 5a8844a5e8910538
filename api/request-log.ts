/**
 * One log line per request, and the API's request metrics:
 *
 *   POST /v2/lbaas/loadbalancers 201 46 ms lb=<id> flow=loadbalancer-<id>-create
 *
 * at info (error for a 5xx but the provider's 501), with the flow the request started and its load balancer, so a line leads
 * to the flow in the Web UI. Headers only at debug, and never a secret: X-Auth-Token and the like are
 * censored by the logger's redaction. Counted by route pattern (`/v2/lbaas/loadbalancers/:id`), never
 * by the id itself, so the metric stays small.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler, Response } from 'express';
import type { FlowName, FlowRequest } from '../common/flows';
import { flowId } from '../common/flows';
import type { Logger } from '../common/logger';
import { apiRequestDuration, apiRequests } from '../common/metrics';

interface RequestNote {
  flows: string[];
  loadBalancerId?: string;
}

const notes = new AsyncLocalStorage<RequestNote>();

/** Records a flow the current request started (api/lifecycle.ts and the flavor routes call it). */
export function noteFlow(flow: FlowRequest<FlowName>): void {
  const note = notes.getStore();
  if (!note) return;
  note.flows.push(flowId(flow));
  note.loadBalancerId ??= flow.loadBalancerId;
}

/** Where a route was mounted, and its path there: the route label. */
export function noteRoute(res: Response, part: 'mount' | 'route', path: string): void {
  res.locals[part === 'mount' ? 'logMount' : 'logRoute'] = path;
}

function routeOf(res: Response): string {
  const mount = res.locals.logMount as string | undefined;
  const route = res.locals.logRoute as string | undefined;
  if (route === undefined) return 'unmatched';
  const full = `${(mount ?? '').replace(/\/$/, '')}${route === '/' && mount && mount !== '/' ? '' : route}`;
  return full.replace(/^\/v2\.0\//, '/v2/') || '/';
}

export function requestLog(log: Logger): { start: RequestHandler; context: RequestHandler } {
  return {
    /** First: the clock starts, and the line is written when the answer is sent. */
    start(req, res, next) {
      const started = process.hrtime.bigint();
      const note: RequestNote = { flows: [] };
      res.locals.logNote = note;
      res.once('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const ms = Math.round(seconds * 1000);
        const route = routeOf(res);
        const status = res.statusCode;
        apiRequests.inc({ method: req.method, route, status: String(status) });
        apiRequestDuration.observe({ method: req.method, route }, seconds);
        const tail = [note.loadBalancerId ? `lb=${note.loadBalancerId}` : '', ...note.flows.map((f) => `flow=${f}`)].filter(Boolean).join(' ');
        const fields = {
          req: { method: req.method, url: req.originalUrl, route, ...(log.isLevelEnabled('debug') ? { headers: req.headers } : {}) },
          res: { status, durationMs: ms },
          ...(note.loadBalancerId ? { loadBalancerId: note.loadBalancerId } : {}),
          ...(note.flows.length ? { workflowIds: note.flows } : {}),
        };
        const message = `${req.method} ${req.originalUrl} ${status} ${ms} ms${tail ? ` ${tail}` : ''}`;
        // 501 is Octavia's answer for what the provider does not support: a refusal, not a failure.
        if (status >= 500 && status !== 501) log.error(fields, message);
        else log.info(fields, message);
      });
      next();
    },
    /** After the body is read: what the handlers start is noted on this request (an async context from here on). */
    context(_req, res, next) {
      notes.run(res.locals.logNote as RequestNote, next);
    },
  };
}
