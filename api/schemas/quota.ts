/** Quota request bodies (Octavia api-ref: Quotas): the current names and the deprecated ones it still takes. */
import { z } from 'zod';
import { MAX_QUOTA, MIN_QUOTA } from '../../domain/quotas';
import { optional } from './common';

const limit = () => optional(z.number().int().min(MIN_QUOTA).max(MAX_QUOTA));

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
