/**
 * Flavor extra-spec validation as Nova does it from microversion 2.86
 * (nova/api/validation/extra_specs): a key with a registered validator must have a valid value; an
 * unknown key in a namespace Nova knows (`hw:`, `hw_rng:`, `os:`, ...) is rejected
 * (10-flavor-extra-specs-unknown-hw-key-2.86.json); keys in other namespaces (`octavia:`) pass.
 * The registry here is the subset of Nova 26's that a load balancer flavor can plausibly use.
 */
import { badRequest } from './http';

type Value =
  | { type: 'str'; enum?: string[]; pattern?: string }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' };

interface Validator {
  name: string;
  regex: RegExp;
  value: Value;
}

const CPU_MAP = '\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*';

function v(name: string, value: Value, params: Record<string, string> = {}): Validator {
  let pattern = name.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  for (const [param, re] of Object.entries(params)) pattern = pattern.replace(`{${param}}`, `(${re})`);
  return { name, regex: new RegExp(`^${pattern}$`), value };
}

const VALIDATORS: Validator[] = [
  // hw
  v('hw:cpu_realtime', { type: 'bool' }),
  v('hw:cpu_realtime_mask', { type: 'str', pattern: '(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*' }),
  v('hw:hide_hypervisor_id', { type: 'bool' }),
  v('hw:cpu_policy', { type: 'str', enum: ['dedicated', 'shared', 'mixed'] }),
  v('hw:cpu_thread_policy', { type: 'str', enum: ['prefer', 'isolate', 'require'] }),
  v('hw:emulator_threads_policy', { type: 'str', enum: ['isolate', 'share'] }),
  v('hw:cpu_dedicated_mask', { type: 'str', pattern: CPU_MAP }),
  v('hw:mem_page_size', { type: 'str', pattern: '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)' }),
  v('hw:numa_nodes', { type: 'int', min: 1 }),
  v('hw:numa_cpus.{id}', { type: 'str', pattern: CPU_MAP }, { id: '\\d+' }),
  v('hw:numa_mem.{id}', { type: 'int', min: 1 }, { id: '\\d+' }),
  v('hw:pci_numa_affinity_policy', { type: 'str', enum: ['required', 'preferred', 'legacy', 'socket'] }),
  v('hw:cpu_sockets', { type: 'int', min: 1 }),
  v('hw:cpu_cores', { type: 'int', min: 1 }),
  v('hw:cpu_threads', { type: 'int', min: 1 }),
  v('hw:max_cpu_sockets', { type: 'int', min: 1 }),
  v('hw:max_cpu_cores', { type: 'int', min: 1 }),
  v('hw:max_cpu_threads', { type: 'int', min: 1 }),
  v('hw:boot_menu', { type: 'bool' }),
  v('hw:mem_encryption', { type: 'bool' }),
  v('hw:pmem', { type: 'str', pattern: '([a-zA-Z0-9_]+(,)?)+' }),
  v('hw:pmu', { type: 'bool' }),
  v('hw:serial_port_count', { type: 'int', min: 0 }),
  v('hw:tpm_model', { type: 'str', enum: ['tpm-tis', 'tpm-crb'] }),
  v('hw:tpm_version', { type: 'str', enum: ['1.2', '2.0'] }),
  v('hw:watchdog_action', { type: 'str', enum: ['none', 'pause', 'poweroff', 'reset', 'disabled'] }),
  v('hw:vif_multiqueue_enabled', { type: 'bool' }),
  // hw_rng, hw_video
  v('hw_rng:allowed', { type: 'bool' }),
  v('hw_rng:rate_bytes', { type: 'int', min: 0 }),
  v('hw_rng:rate_period', { type: 'int', min: 0 }),
  v('hw_video:ram_max_mb', { type: 'int', min: 0 }),
  // os
  v('os:secure_boot', { type: 'str', enum: ['disabled', 'required'] }),
  // quota
  v('quota:cpu_{param}', { type: 'int' }, { param: 'shares|period|quota' }),
  v('quota:disk_{param}', { type: 'int', min: 0 }, {
    param: 'read_bytes_sec|read_iops_sec|write_bytes_sec|write_iops_sec|total_bytes_sec|total_iops_sec',
  }),
  v('quota:vif_{direction}_{param}', { type: 'int', min: 0 }, { direction: 'inbound|outbound', param: 'average|peak|burst' }),
  // resources, traits, accel, pci, aggregates, capabilities
  v('resources{group}:{resource_class}', { type: 'int', min: 0 }, { group: '([a-zA-Z0-9_-]{1,64})?', resource_class: '[A-Z0-9_]+' }),
  v('trait{group}:{trait}', { type: 'str', enum: ['required', 'forbidden'] }, { group: '([a-zA-Z0-9_-]{1,64})?', trait: '[A-Z0-9_]+' }),
  v('accel:device_profile', { type: 'str' }),
  v('pci_passthrough:alias', { type: 'str', pattern: '[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*' }),
  v('aggregate_instance_extra_specs:{key}', { type: 'str' }, { key: '.+' }),
  v('capabilities:{key}', { type: 'str' }, { key: '.+' }),
  v('vmware:hw_version', { type: 'str' }),
  v('vmware:storage_policy', { type: 'str' }),
  v('powervm:{key}', { type: 'str' }, { key: '.+' }),
];

/** The namespaces Nova validates keys of (those of every registered validator). */
const NAMESPACES = [
  /^hw$/,
  /^hw_rng$/,
  /^hw_video$/,
  /^os$/,
  /^quota$/,
  /^resources([a-zA-Z0-9_-]{1,64})?$/,
  /^trait([a-zA-Z0-9_-]{1,64})?$/,
  /^accel$/,
  /^pci_passthrough$/,
  /^aggregate_instance_extra_specs$/,
  /^capabilities$/,
  /^vmware$/,
  /^powervm$/,
];

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];

function checkValue(validator: Validator, value: string): void {
  const val = validator.value;
  if (val.type === 'int') {
    if (!/^\s*[-+]?\d+\s*$/.test(value)) throw badRequest(`Validation failed; '${value}' is not a valid integer value.`);
    const n = Number(value);
    if (val.max !== undefined && val.max < n) {
      throw badRequest(`Validation failed; '${n}' is greater than the max value of '${val.max}'.`);
    }
    if (val.min !== undefined && val.min > n) {
      throw badRequest(`Validation failed; '${n}' is less than the min value of '${val.min}'.`);
    }
  } else if (val.type === 'bool') {
    const s = value.trim().toLowerCase();
    if (!TRUE_STRINGS.includes(s) && !FALSE_STRINGS.includes(s)) {
      throw badRequest(`Validation failed; '${value}' is not a valid boolean-like value.`);
    }
  } else if (val.pattern !== undefined) {
    if (!new RegExp(`^(?:${val.pattern})$`).test(value)) {
      throw badRequest(`Validation failed; '${value}' is not of the format '${val.pattern}'.`);
    }
  } else if (val.enum !== undefined && !val.enum.includes(value)) {
    throw badRequest(`Validation failed; '${value}' is not one of: ${val.enum.join(', ')}.`);
  }
}

/** Throws Nova's 400 for an extra spec Nova 26 rejects at microversion 2.86 and later. */
export function validateExtraSpec(name: string, value: string): void {
  const validator = VALIDATORS.find((x) => x.name === name) ?? VALIDATORS.find((x) => x.regex.test(name));
  if (validator) {
    checkValue(validator, value);
    return;
  }
  if (!name.includes(':')) return;
  const ns = name.split(':', 1)[0] ?? '';
  if (!NAMESPACES.some((re) => re.test(ns))) return;
  throw badRequest(`Validation failed; extra spec '${name}' does not appear to be a valid extra spec.`);
}
