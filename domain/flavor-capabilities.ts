/** The openstack flavors API's capabilities as Nova extra specs: one rule, used by the API and the register flow. */
import type { OpenstackFlavor } from '../generated/prisma/client';

/**
 * The extra specs a flavor carries in Nova. The seed's capabilities become `capabilities:` specs,
 * which Nova's ComputeCapabilitiesFilter matches against what a compute (composed) node reports; an
 * extra property is used as the spec's key when it is scoped (`hw:cpu_policy`, `trait:...`), and is
 * a capability otherwise (`gpu` -> `capabilities:gpu`). Values are strings, as Nova stores them.
 */
export function novaExtraSpecs(f: Pick<OpenstackFlavor, 'cpuSpeed' | 'memorySpeed' | 'cpuArch' | 'properties'>): Record<string, string> {
  const specs: Record<string, string> = {};
  if (f.cpuArch !== null) specs['capabilities:cpu_arch'] = f.cpuArch;
  if (f.cpuSpeed !== null) specs['capabilities:cpu_speed'] = String(f.cpuSpeed);
  if (f.memorySpeed !== null) specs['capabilities:memory_speed'] = String(f.memorySpeed);
  const properties = f.properties && typeof f.properties === 'object' && !Array.isArray(f.properties) ? f.properties : {};
  for (const [key, value] of Object.entries(properties)) specs[novaSpecKey(key)] = String(value);
  return specs;
}

export const novaSpecKey = (property: string) => (property.includes(':') ? property : `capabilities:${property}`);
