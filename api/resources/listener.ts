/** The listener (Octavia's ListenerResponse). */
import { z } from 'zod';
import type { Listener, Prisma } from '../../generated/prisma/client';
import { ListenerProtocol } from '../../common/status';
import { body, resource, stored } from '../resource';
import { listenerCreateRoot, listenerUpdateRoot, type ListenerSingleCreate } from '../schemas/listener';
import { newChild } from '../lifecycle';
import { absent, absentTlsLists, defaulted, objectFields, refsOf, refTo, text } from './common';

/** A listener's policies as its view lists them: in evaluation order. */
export const listenerInclude = {
  l7Policies: { select: { id: true }, orderBy: [{ position: 'asc' }, { createdAt: 'asc' }] },
} satisfies Prisma.ListenerInclude;

/** `l7Policies`: a listener read without them (just created) has none yet. */
export type ListenerRow = Listener & { l7Policies?: { id: string }[] };

/** The timeouts' defaults are Octavia's [haproxy_amphora] ones. */
const timeout = (fallback: number) => defaulted(z.number().int(), fallback);
const loadBalancerId = stored(z.guid(), { column: 'loadBalancerId' });

export const listeners = resource<ListenerRow>()({
  model: 'listener',
  name: 'Listener',
  singular: 'listener',
  plural: 'listeners',
  fields: {
    ...objectFields,
    name: text(),
    description: text(),
    protocol: stored(z.enum(ListenerProtocol)),
    protocol_port: stored(z.number().int()),
    connection_limit: defaulted(z.number().int(), -1),
    default_tls_container_ref: stored(z.string().nullable()),
    sni_container_refs: stored(z.array(z.string())),
    default_pool_id: stored(z.guid().nullable()),
    l7policies: refsOf('l7Policies'),
    // null clears them.
    insert_headers: defaulted(z.record(z.string(), z.string()), {}),
    loadbalancers: refTo('loadBalancerId'),
    timeout_client_data: timeout(50000),
    timeout_member_connect: timeout(5000),
    timeout_member_data: timeout(50000),
    timeout_tcp_inspect: timeout(0),
    client_ca_tls_container_ref: absent(),
    client_authentication: defaulted(z.string(), 'NONE'),
    client_crl_container_ref: absent(),
    // Octavia shows an empty list of CIDRs as null.
    allowed_cidrs: stored(z.array(z.string()).nullable(), { show: (cidrs: string[]) => (cidrs.length > 0 ? cidrs : null) }),
    ...absentTlsLists,
  },
  // openstacksdk filters by load_balancer_id, the openstack CLI by loadbalancer_id.
  filters: { loadbalancer_id: loadBalancerId, load_balancer_id: loadBalancerId },
  bodies: {
    create: body(listenerCreateRoot, 'listener_'),
    update: body(listenerUpdateRoot, 'listener_'),
  },
});

/** The row of a new listener of a load balancer (its POST, or a single-call create), PENDING_CREATE. */
export const newListener = (listener: ListenerSingleCreate, lb: { id: string; projectId: string }) => ({
  ...(listeners.toColumns(listener) as Pick<Prisma.ListenerUncheckedCreateInput, 'protocol' | 'protocolPort'>),
  ...newChild(lb.projectId),
  loadBalancerId: lb.id,
});
