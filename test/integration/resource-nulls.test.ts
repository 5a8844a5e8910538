/**
 * A body may send null for a field (to clear it, as Octavia allows); what a null writes must fit the
 * column. For every resource and request body: each field whose body schema accepts null and whose
 * column is NOT NULL in the migrated database must write something else for it (Octavia's default:
 * `defaulted` in api/resources/common.ts; a list: empty). Found by the fuzzer: a PUT of a listener with
 * `timeout_client_data: null` was accepted and its flow could never write it.
 */
import { z } from 'zod';
import type { Resource } from '../../api/resource';
import { amphorae } from '../../api/resources/amphora';
import { availabilityZoneProfiles, availabilityZones } from '../../api/resources/availability-zone';
import { flavorProfiles, flavors } from '../../api/resources/flavor';
import { healthMonitors } from '../../api/resources/healthmonitor';
import { l7Policies } from '../../api/resources/l7policy';
import { l7Rules } from '../../api/resources/l7rule';
import { listeners } from '../../api/resources/listener';
import { loadBalancers } from '../../api/resources/loadbalancer';
import { members } from '../../api/resources/member';
import { openstackFlavors } from '../../api/resources/openstack-flavor';
import { pools } from '../../api/resources/pool';
import { quotaLimits, quotas } from '../../api/resources/quota';
import { createPrismaClient } from '../../db/prisma';

const resources: Resource<unknown>[] = [amphorae, availabilityZones, availabilityZoneProfiles, flavors, flavorProfiles, healthMonitors, l7Policies, l7Rules, listeners, loadBalancers, members, openstackFlavors, pools, quotas, quotaLimits] as never;

/**
 * Nulls the routes answer themselves before any column is written: Octavia's 400 `None is not a valid
 * option for <field>` (monitor timings, profile and flavor names and data), or the create's own
 * default (the load balancer's provider, a flavor's properties).
 */
const HANDLED_BY_ROUTE = new Set([
  'Health Monitor update: delay', 'Health Monitor update: timeout', 'Health Monitor update: max_retries',
  'Flavor update: name', 'Flavor Profile update: name', 'Flavor Profile update: provider_name', 'Flavor Profile update: flavor_data',
  'Availability Zone Profile update: name', 'Availability Zone Profile update: provider_name', 'Availability Zone Profile update: availability_zone_data',
  'Load Balancer create: provider', 'Openstack flavor create: properties',
]);

/** The object a body wraps (`{listener: {...}}` -> the listener's fields), through wrappers zod adds. */
function innerShape(schema: z.ZodType): Record<string, z.ZodType> {
  let s: z.ZodType = schema;
  while (!(s instanceof z.ZodObject)) {
    const def = (s as unknown as { def: { in?: z.ZodType; innerType?: z.ZodType; schema?: z.ZodType } }).def;
    const next = def.in ?? def.innerType ?? def.schema;
    if (!next) return {};
    s = next;
  }
  const shape = (s as z.ZodObject).shape as Record<string, z.ZodType>;
  const values = Object.values(shape);
  return values.length === 1 && values[0] instanceof z.ZodObject ? innerShape(values[0]) : shape;
}

it('every null a body may send fits its column', async () => {
  const db = createPrismaClient(process.env.DATABASE_URL!, 1);
  try {
    const notNull = new Set(
      (await db.$queryRawUnsafe<{ c: string }[]>(`SELECT table_name || '.' || column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND is_nullable = 'NO'`)).map((r) => r.c),
    );
    const tables = await db.$queryRawUnsafe<{ t: string }[]>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'`);
    const dbNames = (db as unknown as { _runtimeDataModel: { models: Record<string, { dbName: string | null; fields: { name: string; dbName: string | null }[] }> } })._runtimeDataModel.models;
    const problems: string[] = [];
    let checked = 0;
    for (const resource of resources) {
      const model = dbNames[resource.model[0]!.toUpperCase() + resource.model.slice(1)]!;
      expect(tables.map((t) => t.t)).toContain(model.dbName);
      for (const [bodyName, body] of Object.entries(resource.bodies)) {
        const shape = innerShape(body.schema);
        for (const field of resource.fields) {
          const fieldSchema = shape[field.wire];
          if (!fieldSchema || !field.column || field.readOnly) continue;
          if (!fieldSchema.safeParse(null).success || HANDLED_BY_ROUTE.has(`${resource.name} ${bodyName}: ${field.wire}`)) continue;
          // What the body's null writes: a default (`defaulted`), an empty list, or the null itself.
          if (resource.toColumns({ [field.wire]: null })[field.column] !== null) continue;
          checked++;
          const column = model.fields.find((f) => f.name === field.column);
          if (notNull.has(`${model.dbName}.${column?.dbName ?? field.column}`)) problems.push(`${resource.name} ${bodyName}: ${field.wire} (${field.column})`);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  } finally {
    await db.$disconnect();
  }
});
