/**
 * A project's quotas, as Octavia shows them: a list (its QuotaAllBase) shows what each project set
 * (null: the default) under the current names and the deprecated ones (`loadbalancer`,
 * `healthmonitor`) with the project; a show, a PUT's reply and the defaults (its QuotaResponse) only
 * the values in force, under the current names, without the project.
 */
import { z } from 'zod';
import type { QuotaDefaults } from '../../domain/quotas';
import { body, resource, stored } from '../resource';
import { quotaUpdateRoot } from '../schemas/quota';

/** The defaults are shown without a project. */
export type QuotaRow = { projectId?: string } & { [K in keyof QuotaDefaults]: number | null };

const limit = (column?: string) => stored(z.number().int().nullable(), column ? { column } : {});

/** Both views are of the one quota row, keyed by its project. */
const quotaRow = { model: 'quota', name: 'Quotas', singular: 'quota', plural: 'quotas', key: 'projectId', timestamps: false } as const;

export const quotas = resource<QuotaRow>()({
  ...quotaRow,
  fields: {
    project_id: stored(z.string()),
    load_balancer: limit(),
    loadbalancer: limit('loadBalancer'),
    listener: limit(),
    pool: limit(),
    health_monitor: limit(),
    healthmonitor: limit('healthMonitor'),
    member: limit(),
    l7policy: limit(),
    l7rule: limit(),
    tenant_id: stored(z.string(), { column: 'projectId' }),
  },
  bodies: { update: body(quotaUpdateRoot, 'quotas') },
});

/** One project's quotas in force (GET /quotas/{project}, its PUT, the defaults). */
export const quotaLimits = resource<QuotaRow>()({
  ...quotaRow,
  fields: {
    load_balancer: limit(),
    listener: limit(),
    member: limit(),
    pool: limit(),
    health_monitor: limit(),
    l7policy: limit(),
    l7rule: limit(),
  },
  bodies: {},
});
