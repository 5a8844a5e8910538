/**
 * Nova 26's request schemas (nova/api/openstack/compute/schemas/*), per microversion, in the key order
 * Nova declares them so that the first error reported is Nova's.
 */
import type { Schema } from './jsonschema';
import type { Microversion } from './microversion';

// nova.api.validation.parameter_types
const name: Schema = { type: 'string', minLength: 1, maxLength: 255, format: 'name' };
const description: Schema = { type: ['string', 'null'], minLength: 0, maxLength: 255 };
const uuid: Schema = { type: 'string', format: 'uuid' };
const booleanParam: Schema = {
  type: ['boolean', 'string'],
  enum: [
    true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes',
    false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no',
  ],
};
const positiveInteger: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 };
const MAX_INT = 2147483647;
const flavorParamPositive: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, maximum: MAX_INT, minLength: 1 };
const flavorParamNonNegative: Schema = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, maximum: MAX_INT, minLength: 1 };
const ipAddress: Schema = { type: 'string', oneOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
const metadataValue: Schema = { type: 'string', maxLength: 255 };
const metadata: Schema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': metadataValue },
  additionalProperties: false,
};
const tag: Schema = { type: 'string', pattern: '^[^,/]*$', minLength: 1, maxLength: 60 };

const schedulerHints: Schema = {
  type: 'object',
  properties: {
    group: uuid,
    different_host: { oneOf: [uuid, { type: 'array', items: uuid }] },
    same_host: { type: ['string', 'array'], items: uuid },
    query: { type: ['string', 'object'] },
    target_cell: name,
    different_cell: { type: ['string', 'array'], items: { type: 'string' } },
    build_near_host_ip: ipAddress,
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
  additionalProperties: true,
};

function networkItem(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    fixed_ip: ipAddress,
    port: { oneOf: [uuid, { type: 'null' }] },
    uuid: { type: 'string' },
  };
  if ((mv.ge('2.32') && mv.lt('2.37')) || mv.ge('2.42')) properties.tag = tag;
  return { type: 'object', properties, additionalProperties: false };
}

function bdmV2(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    device_name: { type: ['string', 'null'], maxLength: 255, pattern: '^[a-zA-Z0-9._/-]*$' },
    volume_id: uuid,
    snapshot_id: uuid,
    volume_size: { type: ['integer', 'string', 'null'], pattern: '^[0-9]*$', minimum: 1 },
    delete_on_termination: booleanParam,
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
    source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
    uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
    image_id: uuid,
    destination_type: { type: 'string', enum: ['local', 'volume'] },
    guest_format: { type: 'string', maxLength: 255 },
    device_type: { type: 'string', maxLength: 255 },
    disk_bus: { type: 'string', maxLength: 255 },
    boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
  };
  if ((mv.ge('2.32') && mv.lt('2.37')) || mv.ge('2.42')) properties.tag = tag;
  if (mv.ge('2.67')) properties.volume_type = { type: ['string', 'null'], minLength: 0, maxLength: 255 };
  return { type: 'object', properties, additionalProperties: false };
}

/** POST /servers */
export function serverCreateSchema(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    name,
    imageRef: { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'string', maxLength: 0 }] },
    flavorRef: { type: ['string', 'integer'], minLength: 1 },
    adminPass: { type: 'string' },
    metadata,
    networks: mv.ge('2.37')
      ? { oneOf: [{ type: 'array', items: networkItem(mv) }, { type: 'string', enum: ['none', 'auto'] }] }
      : { type: 'array', items: networkItem(mv) },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
  };
  if (mv.lt('2.57')) {
    properties.personality = {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } },
        additionalProperties: false,
      },
    };
  }
  Object.assign(properties, {
    availability_zone: name,
    block_device_mapping: { type: 'array', items: { type: 'object' } },
    block_device_mapping_v2: { type: 'array', items: bdmV2(mv) },
    config_drive: booleanParam,
    key_name: name,
    min_count: positiveInteger,
    max_count: positiveInteger,
    return_reservation_id: booleanParam,
    security_groups: {
      type: 'array',
      items: { type: 'object', properties: { name }, additionalProperties: false },
    },
    user_data: { type: 'string', format: 'base64', maxLength: 65535 },
  });
  if (mv.ge('2.19')) properties.description = description;
  if (mv.ge('2.52')) properties.tags = { type: 'array', items: tag, maxItems: 50 };
  if (mv.ge('2.63')) {
    properties.trusted_image_certificates = {
      type: ['array', 'null'],
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
    };
  }
  if (mv.ge('2.74')) {
    const hostName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' };
    properties.host = hostName;
    properties.hypervisor_hostname = hostName;
  }
  if (mv.ge('2.90')) properties.hostname = { type: 'string', minLength: 1, maxLength: 255 };
  return {
    type: 'object',
    properties: {
      server: {
        type: 'object',
        properties,
        required: mv.ge('2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'],
        additionalProperties: false,
      },
      'os:scheduler_hints': schedulerHints,
      'OS-SCH-HNT:scheduler_hints': schedulerHints,
    },
    required: ['server'],
    additionalProperties: false,
  };
}

/** PUT /servers/{id} */
export function serverUpdateSchema(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    name,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
  };
  if (mv.ge('2.19')) properties.description = description;
  if (mv.ge('2.90')) properties.hostname = { type: 'string', minLength: 1, maxLength: 255 };
  return {
    type: 'object',
    properties: { server: { type: 'object', properties, additionalProperties: false } },
    required: ['server'],
    additionalProperties: false,
  };
}

export const rebootSchema: Schema = {
  type: 'object',
  properties: {
    reboot: {
      type: 'object',
      properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: ['reboot'],
  additionalProperties: false,
};

export const metadataSchema: Schema = {
  type: 'object',
  properties: { metadata },
  required: ['metadata'],
  additionalProperties: false,
};

export const metadataItemSchema: Schema = {
  type: 'object',
  properties: {
    meta: {
      type: 'object',
      patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': metadataValue },
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
    },
  },
  required: ['meta'],
  additionalProperties: false,
};

/** POST /flavors */
export function flavorCreateSchema(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    name,
    id: {
      type: ['string', 'number', 'null'],
      minLength: 1,
      maxLength: 255,
      pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$',
    },
    ram: flavorParamPositive,
    vcpus: flavorParamPositive,
    disk: flavorParamNonNegative,
    'OS-FLV-EXT-DATA:ephemeral': flavorParamNonNegative,
    swap: flavorParamNonNegative,
    rxtx_factor: {
      type: ['number', 'string'],
      pattern: '^[0-9]+(\\.[0-9]+)?$',
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 3.40282e38,
    },
    'os-flavor-access:is_public': booleanParam,
  };
  if (mv.ge('2.55')) properties.description = { ...description, maxLength: 65535 };
  return {
    type: 'object',
    properties: {
      flavor: { type: 'object', properties, required: ['name', 'ram', 'vcpus', 'disk'], additionalProperties: false },
    },
    required: ['flavor'],
    additionalProperties: false,
  };
}

const extraSpecValue: Schema = { type: ['string', 'number', 'boolean'], minLength: 0, maxLength: 255 };

export const extraSpecsCreateSchema: Schema = {
  type: 'object',
  properties: {
    extra_specs: {
      type: 'object',
      patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': extraSpecValue },
      additionalProperties: false,
    },
  },
  required: ['extra_specs'],
  additionalProperties: false,
};

export const extraSpecUpdateSchema: Schema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': extraSpecValue },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
};

/** POST /os-keypairs */
export function keypairCreateSchema(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    name: mv.ge('2.92')
      ? { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9 @._-]+$' }
      : { type: 'string', minLength: 1, maxLength: 255 },
    public_key: { type: 'string' },
  };
  if (mv.ge('2.2')) properties.type = { type: 'string', enum: ['ssh', 'x509'] };
  if (mv.ge('2.10')) properties.user_id = { type: 'string' };
  return {
    type: 'object',
    properties: {
      keypair: {
        type: 'object',
        properties,
        required: mv.ge('2.92') ? ['name', 'public_key'] : ['name'],
        additionalProperties: false,
      },
    },
    required: ['keypair'],
    additionalProperties: false,
  };
}

/** POST /os-server-groups */
export function serverGroupCreateSchema(mv: Microversion): Schema {
  const policies = mv.ge('2.15')
    ? ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']
    : ['anti-affinity', 'affinity'];
  const group: Schema = mv.ge('2.64')
    ? {
        type: 'object',
        properties: {
          name,
          policy: { type: 'string', enum: policies },
          rules: {
            type: 'object',
            properties: { max_server_per_host: positiveInteger },
            additionalProperties: false,
          },
        },
        required: ['name', 'policy'],
        additionalProperties: false,
      }
    : {
        type: 'object',
        properties: {
          name,
          policies: {
            type: 'array',
            items: [{ type: 'string', enum: policies }],
            uniqueItems: true,
            minItems: 1,
            maxItems: 1,
            additionalItems: false,
          },
        },
        required: ['name', 'policies'],
        additionalProperties: false,
      };
  return {
    type: 'object',
    properties: { server_group: group },
    required: ['server_group'],
    additionalProperties: false,
  };
}

/** POST /servers/{id}/os-interface */
export function interfaceAttachSchema(mv: Microversion): Schema {
  const properties: Record<string, Schema> = {
    net_id: uuid,
    port_id: uuid,
    fixed_ips: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: {
        type: 'object',
        properties: { ip_address: ipAddress },
        required: ['ip_address'],
        additionalProperties: false,
      },
    },
  };
  if (mv.ge('2.49')) properties.tag = tag;
  return {
    type: 'object',
    properties: { interfaceAttachment: { type: 'object', properties, additionalProperties: false } },
    additionalProperties: false,
  };
}
