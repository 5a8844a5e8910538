/** The openstack flavors API's request body (Valence's, unwrapped). */
import { z } from 'zod';
import { int32, optional } from './common';

/** At least 1, at most Nova's 32-bit bound. */
const positive = () => int32().min(1);

export const openstackFlavorCreate = z
  .object({
    name: z.string().min(1).max(255),
    /** MiB, vCPUs and GiB, with Nova's bounds. */
    ram: positive(),
    vcpus: positive(),
    disk: int32().min(0),
    /** MHz. */
    cpu_speed: optional(positive()),
    memory_speed: optional(positive()),
    /** e.g. x86_64, aarch64. */
    cpu_arch: optional(z.string().min(1).max(32)),
    /** Extra capabilities: `{"gpu": "nvidia-a100", "hw:cpu_policy": "dedicated"}`. */
    properties: optional(z.record(z.string(), z.union([z.string().max(255), z.number(), z.boolean()]))),
  })
  .strict();
