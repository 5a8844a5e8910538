/**
 * Starting flows, the one place that knows how a flow is named and labelled in Temporal:
 *   - workflow id `<resource>-<id>-<operation>[-<request>]`: readable in the Web UI, and unique per
 *     object and operation while it runs, so two deletes or two failovers of one object can never run
 *     at once (updates carry a request id: they are serialised by the load balancer's PENDING state);
 *   - search attributes LoadBalancerId, ProjectId, ResourceType, Operation (AmphoraId for amphora
 *     flows): `LoadBalancerId="<id>"` in the Web UI lists every flow that touched a load balancer;
 *   - a one-line summary shown in the workflow list.
 *
 * It is also the contract between the starters (the API, the start-up reconciliation, the health
 * monitor) and the flows: each flow's input is declared here and the workflows take it from here, so
 * nothing below workflows/ imports workflow code. Workflow code imports this module too (the health
 * monitor starts failovers as child workflows with the same names), so it imports no Temporal client
 * code at run time.
 */
import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import type { Config } from '../config';
import type { ChildChange, ChildOperation, ChildResource } from './resources';
import { AmphoraId, LoadBalancerId, Operation, ProjectId, ResourceType } from './search-attributes';

/** How a flow waits for an amphora to boot, fixed at its start so replays do not depend on the worker's configuration. */
export interface BootSettings {
  /** AMP_BOOT_TIMEOUT_SECONDS: bounds the whole wait for one amphora, retries included. */
  bootTimeoutSeconds: number;
  /** AMP_ACTIVE_WAIT_SEC: between two polls of the instance. Absent in flows started before it was passed. */
  activeWaitSeconds?: number;
}

export const bootSettings = (config: Config): Required<BootSettings> => ({
  bootTimeoutSeconds: config.compute.amphora.bootTimeoutSeconds,
  activeWaitSeconds: config.compute.amphora.activeWaitSeconds,
});

export interface LoadBalancerFlowInput extends BootSettings {
  loadBalancerId: string;
  projectId: string;
}

export interface LoadBalancerUpdateInput extends LoadBalancerFlowInput {
  /** New values, in the database's (camelCase) field names. */
  updates: Record<string, unknown>;
}

export interface FailoverInput extends BootSettings {
  amphoraId: string;
  /** The load balancer the starter locked (PENDING_UPDATE), if any: whatever happens, it is settled. */
  loadBalancerId?: string;
  /** Standalone failovers settle the load balancer themselves; under a load balancer failover the parent does. */
  settleLoadBalancer: boolean;
}

export interface ChildFlowInput {
  loadBalancerId: string;
  projectId: string;
  changes: ChildChange[];
}

export interface OpenstackFlavorFlowInput {
  openstackFlavorId: string;
}

/** Every flow started from outside workflow code, with its one argument (test/unit/flow-contract.test.ts checks workflows/ agrees). */
export interface FlowInputs {
  createLoadBalancer: LoadBalancerFlowInput;
  updateLoadBalancer: LoadBalancerUpdateInput;
  deleteLoadBalancer: LoadBalancerFlowInput;
  failoverLoadBalancer: LoadBalancerFlowInput;
  failoverAmphora: FailoverInput;
  changeChildren: ChildFlowInput;
  registerOpenstackFlavor: OpenstackFlavorFlowInput;
  deleteOpenstackFlavor: OpenstackFlavorFlowInput;
}

export type FlowName = keyof FlowInputs;

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
  args: [FlowInputs[W]];
}

export function flowId(req: { resourceType: string; resourceId: string; operation: string; requestId?: string }): string {
  return [req.resourceType, req.resourceId, req.operation, req.requestId].filter(Boolean).join('-');
}

/** What a start of `req` is named and labelled with, from a client or from a parent workflow alike. */
export function flowStartOptions(req: FlowRequest<FlowName>) {
  const attributes: SearchAttributePair[] = [
    { key: ResourceType, value: req.resourceType },
    { key: Operation, value: req.operation },
  ];
  if (req.loadBalancerId) attributes.push({ key: LoadBalancerId, value: req.loadBalancerId });
  if (req.projectId) attributes.push({ key: ProjectId, value: req.projectId });
  if (req.amphoraId) attributes.push({ key: AmphoraId, value: req.amphoraId });
  return {
    workflowId: flowId(req),
    // A finished flow's id is reused: delete again after a failed delete, fail over again, ...
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: attributes,
    staticSummary: `${req.operation} ${req.resourceType} ${req.resourceId}`,
  };
}

export async function startFlow<W extends FlowName>(client: Client, taskQueue: string, req: FlowRequest<W>) {
  return client.workflow.start(req.workflow, {
    ...flowStartOptions(req),
    taskQueue,
    args: req.args,
    // Never join a running flow: it may already have settled the object and be about to finish, and
    // joining it would leave the new request's PENDING state to nobody. The caller sees
    // WorkflowExecutionAlreadyStartedError and undoes its write.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
  });
}

type LoadBalancerRef = { id: string; projectId: string };

const lbArgs = (lb: LoadBalancerRef, config: Config): LoadBalancerFlowInput => ({
  loadBalancerId: lb.id,
  projectId: lb.projectId,
  ...bootSettings(config),
});

const lbFlow = <W extends FlowName>(workflow: W, operation: string, lb: LoadBalancerRef, args: [FlowInputs[W]], requestId?: string) =>
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

/**
 * failover_amphora, under the amphora's own id: a second failover of the same amphora while the first
 * runs is refused (conflict policy FAIL from a client; a child start fails the same way).
 */
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
        ...bootSettings(config),
        settleLoadBalancer: true,
      },
    ],
  } satisfies FlowRequest<'failoverAmphora'>;
}

/**
 * The flow of one child change (a listener created, a member updated, ...): every child operation is
 * the one parameterised `changeChildren` flow, named and labelled by what it changes.
 */
export function childFlow(change: ChildChange, lb: LoadBalancerRef, requestId: string) {
  return childChangesFlow(change.resource, change.id, change.operation, [change], lb, change.operation === 'update' ? requestId : undefined);
}

/** PUT /pools/{id}/members: every member change of one request in one flow. */
export function batchMembersFlow(poolId: string, changes: ChildChange[], lb: LoadBalancerRef, requestId: string) {
  return childChangesFlow('pool', poolId, 'members', changes, lb, requestId);
}

function childChangesFlow(
  resourceType: ChildResource,
  resourceId: string,
  operation: ChildOperation | 'members',
  changes: ChildChange[],
  lb: LoadBalancerRef,
  requestId: string | undefined,
) {
  return {
    workflow: 'changeChildren',
    resourceType,
    resourceId,
    operation,
    requestId,
    loadBalancerId: lb.id,
    projectId: lb.projectId,
    args: [{ loadBalancerId: lb.id, projectId: lb.projectId, changes }],
  } satisfies FlowRequest<'changeChildren'>;
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
