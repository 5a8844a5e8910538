/** The member (Octavia's MemberResponse). */
import { z } from 'zod';
import type { Member } from '../../generated/prisma/client';
import { body, resource, stored } from '../resource';
import { memberCreateRoot, membersBatchRoot, memberUpdateRoot } from '../schemas/member';
import { objectFields, text } from './common';

export const members = resource<Member>()({
  model: 'member',
  name: 'Member',
  singular: 'member',
  plural: 'members',
  fields: {
    ...objectFields,
    name: text(),
    address: stored(z.string(), { column: 'ipAddress' }),
    protocol_port: stored(z.number().int()),
    weight: stored(z.number().int()),
    backup: stored(z.boolean()),
    subnet_id: stored(z.string().nullable()),
    monitor_address: stored(z.string().nullable()),
    monitor_port: stored(z.number().int().nullable()),
  },
  // openstacksdk's find_member adds ?pool_id=; the pool in the path decides anyway.
  filters: { pool_id: stored(z.guid(), { column: 'poolId' }) },
  bodies: {
    create: body(memberCreateRoot, 'member_'),
    update: body(memberUpdateRoot, 'member_'),
    batch: body(membersBatchRoot, 'members_'),
  },
});
