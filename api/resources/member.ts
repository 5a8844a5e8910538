/** The member (Octavia's MemberResponse). */
import { z } from 'zod';
import type { Member, Prisma } from '../../generated/prisma/client';
import { OperatingStatus } from '../../common/status';
import { newChild } from '../lifecycle';
import { body, resource, stored } from '../resource';
import { memberCreateRoot, membersBatchRoot, memberUpdateRoot, type MemberCreate } from '../schemas/member';
import { defaulted, objectFields, text } from './common';

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
    weight: defaulted(z.number().int(), 1),
    backup: defaulted(z.boolean(), false),
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

/**
 * The row of a new member of a pool: NO_MONITOR until an amphora reports its health, as Octavia shows a
 * member made alone; a single-call create makes the members of a monitored pool OFFLINE, as Octavia's does.
 */
export const newMember = (m: MemberCreate, pool: { id: string; projectId: string }, operatingStatus: OperatingStatus = OperatingStatus.NO_MONITOR) => ({
  ...(members.toColumns(m) as Pick<Prisma.MemberUncheckedCreateInput, 'ipAddress' | 'protocolPort'>),
  ...newChild(pool.projectId, operatingStatus),
  poolId: pool.id,
});
