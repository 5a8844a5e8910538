/**
 * Starting flows, the one place that knows how a flow is named and labelled in Temporal:
 *   - workflow id `<resource>-<id>-<operation>[-<request>]`: readable in the Web UI, and unique per
 *     object and operation while it runs, so two deletes or two failovers of one object can never run
 *     at once (updates carry a request id: they are serialised by the load balancer's PENDING state);
 *   - search attributes LoadBalancerId, ProjectId, ResourceType, Operation (AmphoraId for amphora
 *     flows): `LoadBalancerId="<id>"` in the Web UI lists every flow that touched a load balancer;
 *   - a one-line summary shown in the workflow list.
 */
import { Client, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../config';
import type * as workflows from '../workflows';
import type { ChildChange, ChildOperation, ChildResource } from './resources';
import { AmphoraId, LoadBalancerId, Operation, ProjectId, ResourceType } from './search-attributes';

export type FlowName = keyof typeof workflows;

export interface FlowRequest<W extends FlowName> {
  workflow: W;
  resourceType: 'loadbalancer' | 'amphora' | 'openstackflavor' | ChildResource;
  resourceId: string;
  operation: string;
  /** Makes the id unique for operations an object undergoes many times (updates). */
  requestId?: string;
  loadBalancerId?: string;
  projectId?: string;
  amphoraId?: string;
  args: Parameters<(typeof workflows)[W]>;
}

export function flowId(req: { resourceType: string; resourceId: string; operation: string; requestId?: string }): string {
  return [req.resourceType, req.resourceId, req.operation, req.requestId].filter(Boolean).join('-');
}

export async function startFlow<W extends FlowName>(client: Client, taskQueue: string, req: FlowRequest<W>) {
  const attributes: SearchAttributePair[] = [
    { key: ResourceType, value: req.resourceType },
    { key: Operation, value: req.operation },
  ];
  if (req.loadBalancerId) attributes.push({ key: LoadBalancerId, value: req.loadBalancerId });
  if (req.projectId) attributes.push({ key: ProjectId, value: req.projectId });
  if (req.amphoraId) attributes.push({ key: AmphoraId, value: req.amphoraId });

  return client.workflow.start(req.workflow, {
    taskQueue,
    workflowId: flowId(req),
    args: req.args as never,
    // Never join a running flow: it may already have settled the object and be about to finish, and
    // joining it would leave the new request's PENDING state to nobody. The caller sees
    // WorkflowExecutionAlreadyStartedError and undoes its write.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    // A finished flow's id is reused: delete again after a failed delete, fail over again, ...
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: attributes,
    staticSummary: `${req.operation} ${req.resourceType} ${req.resourceId}`,
  });
}

type LoadBalancerRef = { id: string; projectId: string };

const lbArgs = (lb: LoadBalancerRef, config: Config) => ({
  loadBalancerId: lb.id,
  projectId: lb.projectId,
  bootTimeoutSeconds: config.compute.amphora.bootTimeoutSeconds,
});

const lbFlow = <W extends FlowName>(workflow: W, operation: string, lb: LoadBalancerRef, args: Parameters<(typeof workflows)[W]>, requestId?: string) =>
  ({ workflow, resourceType: 'loadbalancer', resourceId: lb.id, operation, requestId, loadBalancerId: lb.id, projectId: lb.projectId, args }) satisfies FlowRequest<W>;

/** The flows of load balancer operations, as the API and the start-up reconciliation start them. */
export const loadBalancerFlows = {
  create: (lb: LoadBalancerRef, config: Config) => lbFlow('createLoadBalancer', 'create', lb, [lbArgs(lb, config)]),
  delete: (lb: LoadBalancerRef, config: Config) => lbFlow('deleteLoadBalancer', 'delete', lb, [lbArgs(lb, config)]),
  update: (lb: LoadBalancerRef, config: Config, updates: Record<string, unknown>, requestId: string) =>
    lbFlow('updateLoadBalancer', 'update', lb, [{ ...lbArgs(lb, config), updates }], requestId),
  failover: (lb: LoadBalancerRef, config: Config, requestId: string) =>
    lbFlow('failoverLoadBalancer', 'failover', lb, [lbArgs(lb, config)], requestId),
};

/** failover_amphora, under the amphora's own id: a second failover of the same amphora joins the first. */
export function amphoraFailoverFlow(amphora: { id: string; loadBalancerId: string | null }, projectId: string | undefined, config: Config) {
  return {
    workflow: 'failoverAmphora',
    resourceType: 'amphora',
    resourceId: amphora.id,
    operation: 'failover',
    amphoraId: amphora.id,
    loadBalancerId: amphora.loadBalancerId ?? undefined,
    projectId,
    args: [
      {
        amphoraId: amphora.id,
        loadBalancerId: amphora.loadBalancerId ?? undefined,
        bootTimeoutSeconds: config.compute.amphora.bootTimeoutSeconds,
        settleLoadBalancer: true,
      },
    ],
  } satisfies FlowRequest<'failoverAmphora'>;
}

const childWorkflows = {
  listener: { create: 'createListener', update: 'updateListener', delete: 'deleteListener' },
  pool: { create: 'createPool', update: 'updatePool', delete: 'deletePool' },
  member: { create: 'createMember', update: 'updateMember', delete: 'deleteMember' },
  healthmonitor: { create: 'createHealthMonitor', update: 'updateHealthMonitor', delete: 'deleteHealthMonitor' },
  l7policy: { create: 'createL7Policy', update: 'updateL7Policy', delete: 'deleteL7Policy' },
  l7rule: { create: 'createL7Rule', update: 'updateL7Rule', delete: 'deleteL7Rule' },
} as const satisfies Record<ChildResource, Record<ChildOperation, FlowName>>;

/** The flow of one child change (a listener created, a member updated, ...). */
export function childFlow(change: ChildChange, lb: { id: string; projectId: string }, requestId: string) {
  return {
    workflow: childWorkflows[change.resource][change.operation],
    resourceType: change.resource,
    resourceId: change.id,
    operation: change.operation,
    requestId: change.operation === 'update' ? requestId : undefined,
    loadBalancerId: lb.id,
    projectId: lb.projectId,
    args: [{ loadBalancerId: lb.id, projectId: lb.projectId, changes: [change] }],
  } satisfies FlowRequest<FlowName>;
}

/** PUT /pools/{id}/members: every member change of one request in one flow. */
export function batchMembersFlow(poolId: string, changes: ChildChange[], lb: { id: string; projectId: string }, requestId: string) {
  return {
    workflow: 'batchUpdateMembers',
    resourceType: 'pool',
    resourceId: poolId,
    operation: 'members',
    requestId,
    loadBalancerId: lb.id,
    projectId: lb.projectId,
    args: [{ loadBalancerId: lb.id, projectId: lb.projectId, changes }],
  } satisfies FlowRequest<FlowName>;
}

/** The openstack flavors API's flows: `openstackflavor-<id>-register`, `openstackflavor-<id>-delete`. */
export function openstackFlavorFlow(operation: 'register' | 'delete', openstackFlavorId: string) {
  return {
    workflow: operation === 'register' ? 'registerOpenstackFlavor' : 'deleteOpenstackFlavor',
    resourceType: 'openstackflavor',
    resourceId: openstackFlavorId,
    operation,
    args: [{ openstackFlavorId }],
  } satisfies FlowRequest<FlowName>;
}
