/** Fields several resources share, described once. */
import { z } from 'zod';
import { OperatingStatus, ProvisioningStatus } from '../../common/status';
import { computed, stored } from '../resource';

/** `[{"id": ...}]`: how Octavia shows the objects a resource refers to. */
export const refSchema = z.object({ id: z.guid() });
export const refs = (rows: { id: string }[]) => rows.map((r) => ({ id: r.id }));

/** The objects a row's include lists (`listeners`, `members`, ...), in its order. */
export const refsOf = <K extends string>(key: K) =>
  computed(z.array(refSchema), (row: { [k in K]?: { id: string }[] }) => refs(row[key] ?? []));

/** The one object a row names by its id column (`loadbalancers: [{id}]` of a listener). */
export const refTo = <K extends string>(column: K) => computed(z.array(refSchema), (row: { [k in K]: string }) => [{ id: row[column] }]);

/** A name or description: stored null, shown `""` (as Octavia shows it). */
export const text = () => stored(z.string(), { show: (v: string | null) => v ?? '' });

/**
 * A field a request may send as null to put back Octavia's default (its controllers'
 * _set_default_on_none): stored as the default, never as null.
 */
export const defaulted = <S extends z.ZodType>(schema: S, fallback: unknown) => stored(schema, { write: (v) => v ?? fallback });

/** What Octavia shows of a feature this deployment does not have (TLS settings, VRRP details). */
export const absent = (schema: z.ZodType = z.string()) => computed(schema.nullable(), () => null);

/** The TLS lists of listeners and pools, which this deployment has nowhere to store. */
export const absentTlsLists = {
  tls_ciphers: absent(),
  tls_versions: absent(z.array(z.string())),
  alpn_protocols: absent(z.array(z.string())),
};

/** What every load-balancing object shows: id, statuses, admin state, project (twice, as Octavia), times, tags. */
export const objectFields = {
  id: stored(z.guid(), { readOnly: true }),
  provisioning_status: stored(z.enum(ProvisioningStatus), { readOnly: true }),
  operating_status: stored(z.enum(OperatingStatus), { readOnly: true }),
  // Octavia's to_dict takes a null admin_state_up as False.
  admin_state_up: stored(z.boolean(), { column: 'enabled', write: (v) => v ?? false }),
  project_id: stored(z.string(), { readOnly: true }),
  created_at: stored(z.string(), { readOnly: true }),
  updated_at: stored(z.string().nullable(), { readOnly: true }),
  tags: stored(z.array(z.string()), { show: (tags: string[]) => [...tags].sort() }),
  // Octavia's deprecated alias of project_id: shown, not a filter of its own.
  tenant_id: stored(z.string(), { column: 'projectId', readOnly: true, filter: false }),
};
