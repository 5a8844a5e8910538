/** The health monitor (Octavia's HealthMonitorResponse). */
import { z } from 'zod';
import type { HealthMonitor, Prisma } from '../../generated/prisma/client';
import { isHttpMonitor } from '../../domain/validate';
import { newChild } from '../lifecycle';
import { body, resource, stored } from '../resource';
import { healthMonitorCreateRoot, healthMonitorTypes, healthMonitorUpdateRoot, type HealthMonitorSingleCreate, type HealthMonitorTypeName } from '../schemas/healthmonitor';
import { defaulted, objectFields, refTo, text } from './common';

/** The database enum spells TLS_HELLO and UDP_CONNECT; Octavia's wire names have hyphens. */
export const healthMonitorTypeToWire = (t: string) => t.replace('_', '-') as HealthMonitorTypeName;
const toDb = (t: unknown) => String(t).replace('-', '_');

export const healthMonitors = resource<HealthMonitor>()({
  model: 'healthMonitor',
  name: 'Health Monitor',
  singular: 'healthmonitor',
  plural: 'healthmonitors',
  fields: {
    ...objectFields,
    name: text(),
    type: stored(z.enum(healthMonitorTypes), {
      show: healthMonitorTypeToWire,
      write: toDb,
      // The type filter arrives in wire spelling (TLS-HELLO); the column holds TLS_HELLO.
      filter: { kind: { enum: Object.fromEntries(healthMonitorTypes.map((t) => [t, t])) }, match: (t) => ({ type: toDb(t) }) },
    }),
    delay: stored(z.number().int()),
    timeout: stored(z.number().int()),
    max_retries: stored(z.number().int()),
    max_retries_down: defaulted(z.number().int(), 3),
    // The HTTP settings of an HTTP(S) monitor (newHealthMonitor: none for other types).
    http_method: defaulted(z.string().nullable(), 'GET'),
    url_path: defaulted(z.string().nullable(), '/'),
    expected_codes: defaulted(z.string().nullable(), '200'),
    pools: refTo('poolId'),
    http_version: stored(z.number().nullable(), { show: (v: unknown) => (v === null ? null : Number(v)) }),
    domain_name: stored(z.string().nullable()),
  },
  filters: { pool_id: stored(z.guid(), { column: 'poolId' }) },
  bodies: {
    create: body(healthMonitorCreateRoot, 'health_monitor_'),
    update: body(healthMonitorUpdateRoot, 'health_monitor_'),
  },
});

/**
 * The row of a new monitor of a pool (its POST, or a pool of a single-call create): OFFLINE until its
 * flow has configured it (then ONLINE, or OFFLINE when disabled, as Octavia shows it); HTTP(S) monitors get Octavia's defaults, other types no HTTP settings.
 */
export function newHealthMonitor(monitor: HealthMonitorSingleCreate, pool: { id: string; projectId: string }) {
  const http = isHttpMonitor(monitor.type);
  return {
    ...(healthMonitors.toColumns(monitor) as Pick<Prisma.HealthMonitorUncheckedCreateInput, 'type' | 'delay' | 'timeout' | 'maxRetries'>),
    ...newChild(pool.projectId),
    poolId: pool.id,
    maxRetriesDown: monitor.max_retries_down ?? 3,
    httpMethod: http ? (monitor.http_method ?? 'GET') : null,
    urlPath: http ? (monitor.url_path ?? '/') : null,
    expectedCodes: http ? (monitor.expected_codes ?? '200') : null,
  };
}
