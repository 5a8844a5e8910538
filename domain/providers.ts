/**
 * The provider drivers this deployment offers (Octavia's enabled_provider_drivers) and what their
 * flavor and availability zone profiles may say. Only the amphora provider exists (`octavia` is its
 * deprecated alias, as in Octavia); its metadata schemas are Octavia's amphora driver's
 * (flavor_schema.py, availability_zone_schema.py), validated with the messages Octavia's jsonschema
 * validation gives.
 */
import { ComputeValidationError } from '../drivers/compute/errors';
import type { AmphoraComputeDriver } from '../drivers/compute/port';
import { Topology } from '../common/status';
import { InvalidOption, ProviderNotEnabled, ProviderUnsupportedOption, ServiceUnavailable, ValidationFailure } from '../common/errors';

export const providers = [
  { name: 'amphora', description: 'The Octavia Amphora driver.' },
  { name: 'octavia', description: 'Deprecated alias of the Octavia Amphora driver.' },
] as const;

export const DEFAULT_PROVIDER = 'amphora';

type JsonType = 'string' | 'boolean' | 'array';
interface Capability {
  description: string;
  type: JsonType;
  enum?: readonly string[];
}

/** Octavia's SUPPORTED_FLAVOR_SCHEMA properties, in its order. */
export const flavorCapabilities: Record<string, Capability> = {
  loadbalancer_topology: {
    description: 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.',
    type: 'string',
    enum: [Topology.ACTIVE_STANDBY, Topology.SINGLE],
  },
  compute_flavor: { description: 'The compute driver flavor ID.', type: 'string' },
  amp_image_tag: { description: 'The amphora image tag.', type: 'string' },
  sriov_vip: { description: 'When true, the VIP port will be created using an SR-IOV VF port.', type: 'boolean' },
};

/** Octavia's SUPPORTED_AVAILABILITY_ZONE_SCHEMA properties, in its order. */
export const availabilityZoneCapabilities: Record<string, Capability> = {
  compute_zone: { description: 'The compute availability zone.', type: 'string' },
  volume_zone: { description: 'The volume availability zone.', type: 'string' },
  management_network: { description: 'The management network ID for the amphora.', type: 'string' },
  valid_vip_networks: {
    description:
      'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in `octavia.conf`.',
    type: 'array',
  },
};

export function requireProvider(name: string): string {
  if (!providers.some((p) => p.name === name)) throw new ProviderNotEnabled(name);
  return name;
}

/** How Python prints a value (jsonschema's messages use repr()). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    if (v.includes("'") && !v.includes('"')) return `"${v}"`;
    return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

function isType(v: unknown, type: JsonType): boolean {
  if (type === 'array') return Array.isArray(v);
  return typeof v === type;
}

/**
 * Octavia's `validate(data, schema)` (jsonschema's best match: problems of the whole object first,
 * then each property in the schema's order); returns the message, or undefined when valid.
 */
function schemaProblem(data: unknown, schema: Record<string, Capability>): string | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return `${pyRepr(data)} is not of type 'object'`;
  const extra = Object.keys(data).filter((k) => !(k in schema));
  if (extra.length > 0) {
    return `Additional properties are not allowed (${extra.map(pyRepr).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`;
  }
  for (const [key, cap] of Object.entries(schema)) {
    if (!(key in data)) continue;
    const value = (data as Record<string, unknown>)[key];
    if (!isType(value, cap.type)) return `${key} ${pyRepr(value)} is not of type '${cap.type}'`;
    if (cap.enum && !cap.enum.includes(value as string)) return `${key} ${pyRepr(value)} is not one of ${pyRepr([...cap.enum])}`;
  }
  return undefined;
}

/** Parses profile metadata as Octavia does (`jsonutils.loads`); invalid JSON is an InvalidOption. */
export function parseMetadata(text: string, option: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidOption(text, option);
  }
}

/** Metadata already stored (and validated): an object, or {} for anything else. */
export function storedMetadata(text: string): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(text);
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Asks the compute service whether what a profile names exists: a clear 400 now, not a failed build later. */
async function checkWithCompute(check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (err) {
    if (err instanceof ComputeValidationError) throw new ValidationFailure(err.message);
    throw new ServiceUnavailable('The compute service');
  }
}

/** The amphora driver's validate_flavor: the schema, then the compute flavor it names. */
export async function validateFlavorData(provider: string, data: unknown, compute: AmphoraComputeDriver): Promise<void> {
  const problem = schemaProblem(data, flavorCapabilities);
  if (problem) throw new ProviderUnsupportedOption(provider, problem);
  const computeFlavor = (data as Record<string, unknown>).compute_flavor;
  if (typeof computeFlavor === 'string' && computeFlavor) await checkWithCompute(() => compute.validateFlavor(computeFlavor));
}

/** The amphora driver's validate_availability_zone: the schema, then the compute zone it names. */
export async function validateAvailabilityZoneData(provider: string, data: unknown, compute: AmphoraComputeDriver): Promise<void> {
  const problem = schemaProblem(data, availabilityZoneCapabilities);
  if (problem) throw new ProviderUnsupportedOption(provider, problem);
  const zone = (data as Record<string, unknown>).compute_zone;
  if (typeof zone === 'string' && zone) await checkWithCompute(() => compute.validateAvailabilityZone(zone));
}
