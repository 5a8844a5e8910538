/**
 * A project's quotas (Octavia's QuotaResponse): the current names and the deprecated ones Octavia still
 * shows (`loadbalancer`, `healthmonitor`). A list shows what projects set (null: the default), a show
 * the values in force.
 */
import { z } from 'zod';
import type { QuotaDefaults } from '../../domain/quotas';
import { body, resource, stored } from '../resource';
import { quotaUpdateRoot } from '../schemas/quota';

/** The defaults are shown without a project. */
export type QuotaRow = { projectId?: string } & { [K in keyof QuotaDefaults]: number | null };

const limit = (column?: string) => stored(z.number().int().nullable(), column ? { column } : {});

export const quotas = resource<QuotaRow>()({
  model: 'quota',
  name: 'Quotas',
  singular: 'quota',
  plural: 'quotas',
  key: 'projectId',
  timestamps: false,
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
