/**
 * Starting flows, the one place that knows how a flow is named and labelled in Temporal:
 *   - workflow id `<resource>-<id>-<operation>[-<request>]`: readable in the Web UI, and unique per
 *     object and operation while it runs, so two deletes or two failovers of one object can never run
 *     at once (updates carry a request id: they are serialised by the load balancer's PENDING state);
 *   - search attributes LoadBalancerId, ProjectId, ResourceType, Operation (AmphoraId for amphora
 *     flows): `LoadBalancerId="<id>"` in the Web UI lists every flow that touched a load balancer;
 *   - a one-line summary shown in the workflow list ("create load balancer web (project demo, SINGLE)")
 *     and details (the object, its API link, what it belongs to) on the flow's page.
 * Every start goes through flowStartOptions: the API's and the start-up reconciliation's (startFlow),
 * the schedules' and the health monitor's (platform/schedules.ts) and every child start in workflow
 * code (test/integration/flow-labels.test.ts checks that no start bypasses it).
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

/** create_amphora / delete_amphora: one amphora, by id. */
export interface AmphoraFlowInput extends BootSettings {
  amphoraId: string;
}

export interface SparePoolInput extends BootSettings {
  /** SPARE_AMPHORA_POOL_SIZE: READY (or BOOTING) spares to keep. */
  poolSize: number;
  /** Spares built at once (default 5). */
  concurrency?: number;
}

export interface SparePoolResult {
  reserved: number;
  built: number;
  failed: number;
  /** "built N, failed M": what the run did, as the Web UI shows it. */
  summary?: string;
}

export interface CleanupInput {
  /** AMPHORA_EXPIRY_AGE / LOAD_BALANCER_EXPIRY_AGE: how long DELETED rows are kept. */
  amphoraExpirySeconds: number;
  loadBalancerExpirySeconds: number;
  /** AMPHORA_ERROR_AGE: how long an amphora stays ERROR before it is deleted with its instance. */
  errorAmphoraAgeSeconds: number;
  /** A spare BOOTING this long has lost its create flow. */
  staleBootingSeconds: number;
  batchSize?: number;
}

export interface CleanupResult {
  loadBalancersPurged: number;
  amphoraePurged: number;
  stuckAmphoraeDeleted: number;
  stuckAmphoraeLeft: number;
}

export interface AmphoraHealthMonitorInput {
  checkIntervalSeconds: number;
  heartbeatTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  failoverThreshold: number | null;
  failoverThreads: number;
  /** Checks per run before continue-as-new (default 300). */
  checksPerRun?: number;
}

/**
 * What a flow that settles an object returns (instead of nothing): the object's final status and the
 * amphorae it ended with, so the Web UI's result field says how it ended.
 */
export interface FlowResult {
  status: string;
  loadBalancerId?: string;
  amphoraIds?: string[];
  /** A failover's replacement. */
  replacedBy?: string;
  /** What a child flow changed ("create listener <id>"). */
  changed?: string[];
}

/** Every flow that is started, with its one argument (test/unit/workflow-contract.test.ts checks workflows/ agrees). */
export interface FlowInputs {
  createLoadBalancer: LoadBalancerFlowInput;
  updateLoadBalancer: LoadBalancerUpdateInput;
  deleteLoadBalancer: LoadBalancerFlowInput;
  failoverLoadBalancer: LoadBalancerFlowInput;
  failoverAmphora: FailoverInput;
  changeChildren: ChildFlowInput;
  registerOpenstackFlavor: OpenstackFlavorFlowInput;
  deleteOpenstackFlavor: OpenstackFlavorFlowInput;
  /** Started by the spare pool (child flows). */
  createAmphora: AmphoraFlowInput;
  /** Housekeeping: started by their schedules, and the health monitor at start-up. */
  maintainSparePool: SparePoolInput;
  cleanupDeleted: CleanupInput;
  monitorAmphoraHealth: AmphoraHealthMonitorInput;
}

export type FlowName = keyof FlowInputs;

export interface FlowRequest<W extends FlowName> {
  workflow: W;
  resourceType: ResourceKind;
  resourceId: string;
  operation: string;
  /** Makes the id unique for operations an object undergoes many times (updates). */
  requestId?: string;
  /** A workflow id of its own instead of `<resource>-<id>-<operation>` (the housekeeping flows). */
  workflowId?: string;
  loadBalancerId?: string;
  projectId?: string;
  amphoraId?: string;
  /** The object's name, when it has one: the summary calls it so. */
  name?: string | null;
  /** What the summary adds in parentheses beside the project: `SINGLE`, `BACKUP of load balancer <id>`. */
  context?: string[];
  /** A summary of its own, when the derived one would not say what happens (housekeeping). */
  summary?: string;
  /** More lines for the details (what a batch changes, ...). */
  details?: string[];
  args: [FlowInputs[W]];
}

export type ResourceKind = 'loadbalancer' | 'amphora' | 'openstackflavor' | 'housekeeping' | ChildResource;

const resourceLabels: Record<ResourceKind, string> = {
  loadbalancer: 'load balancer',
  amphora: 'amphora',
  openstackflavor: 'openstack flavor',
  housekeeping: 'housekeeping',
  listener: 'listener',
  pool: 'pool',
  member: 'member',
  healthmonitor: 'health monitor',
  l7policy: 'L7 policy',
  l7rule: 'L7 rule',
};

/** Where the API shows the object (members and L7 rules sit under a parent the flow does not name: the load balancer's status tree shows them). */
function apiPath(kind: ResourceKind, id: string, loadBalancerId?: string): string | undefined {
  const paths: Partial<Record<ResourceKind, string>> = {
    loadbalancer: `/v2/lbaas/loadbalancers/${id}`,
    amphora: `/v2/octavia/amphorae/${id}`,
    openstackflavor: `/v1/openstack_flavors/${id}`,
    listener: `/v2/lbaas/listeners/${id}`,
    pool: `/v2/lbaas/pools/${id}`,
    healthmonitor: `/v2/lbaas/healthmonitors/${id}`,
    l7policy: `/v2/lbaas/l7policies/${id}`,
  };
  return paths[kind] ?? (loadBalancerId ? `/v2/lbaas/loadbalancers/${loadBalancerId}/status` : undefined);
}

/** The one-line summary of the workflow list: what happens to what ("create load balancer web (project demo, SINGLE)"). */
export function flowSummary(req: FlowRequest<FlowName>): string {
  if (req.summary) return req.summary;
  const what = `${req.operation} ${resourceLabels[req.resourceType]} ${req.name || req.resourceId}`;
  const context = [...(req.projectId ? [`project ${req.projectId}`] : []), ...(req.context ?? [])];
  return context.length > 0 ? `${what} (${context.join(', ')})` : what;
}

/** The details on the flow's page (Temporal markdown): the object, its API link, what it belongs to. */
export function flowDetails(req: FlowRequest<FlowName>): string {
  const label = resourceLabels[req.resourceType];
  const lines = [`**${label}** \`${req.resourceId}\`${req.name ? ` (${req.name})` : ''}`];
  const path = apiPath(req.resourceType, req.resourceId, req.loadBalancerId);
  if (path) lines.push(`API: \`GET ${path}\``);
  if (req.loadBalancerId && req.resourceType !== 'loadbalancer') {
    lines.push(`load balancer \`${req.loadBalancerId}\`: \`GET /v2/lbaas/loadbalancers/${req.loadBalancerId}\``);
  }
  if (req.amphoraId && req.resourceType !== 'amphora') lines.push(`amphora \`${req.amphoraId}\`: \`GET /v2/octavia/amphorae/${req.amphoraId}\``);
  if (req.projectId) lines.push(`project \`${req.projectId}\``);
  lines.push(...(req.details ?? []));
  lines.push(`flow \`${req.workflow}\`; all flows of the load balancer: \`LoadBalancerId="${req.loadBalancerId ?? '<id>'}"\``);
  return lines.join('\n');
}

/** The search attributes of a flow: how the Web UI finds every flow of an object. */
export function flowSearchAttributes(req: FlowRequest<FlowName>): SearchAttributePair[] {
  const attributes: SearchAttributePair[] = [
    { key: ResourceType, value: req.resourceType },
    { key: Operation, value: req.operation },
  ];
  if (req.loadBalancerId) attributes.push({ key: LoadBalancerId, value: req.loadBalancerId });
  if (req.projectId) attributes.push({ key: ProjectId, value: req.projectId });
  if (req.amphoraId) attributes.push({ key: AmphoraId, value: req.amphoraId });
  return attributes;
}

export function flowId(req: { resourceType: string; resourceId: string; operation: string; requestId?: string }): string {
  return [req.resourceType, req.resourceId, req.operation, req.requestId].filter(Boolean).join('-');
}

/**
 * What a start of `req` is named and labelled with, from a client, a schedule or a parent workflow
 * alike: workflow id, search attributes, summary and details. A child start's summary, details and
 * search attributes are fields of its StartChildWorkflowExecution command that replay does not compare
 * (only the child's id and type are), so changing them needs no patch.
 */
export function flowStartOptions(req: FlowRequest<FlowName>) {
  return {
    workflowId: req.workflowId ?? flowId(req),
    // A finished flow's id is reused: delete again after a failed delete, fail over again, ...
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: flowSearchAttributes(req),
    staticSummary: flowSummary(req),
    staticDetails: flowDetails(req),
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

/** A load balancer as its flows are labelled: the API passes its row (name, topology), others what they know. */
type LoadBalancerRef = { id: string; projectId: string; name?: string | null; topology?: string | null };

const lbArgs = (lb: LoadBalancerRef, config: Config): LoadBalancerFlowInput => ({
  loadBalancerId: lb.id,
  projectId: lb.projectId,
  ...bootSettings(config),
});

const lbFlow = <W extends FlowName>(workflow: W, operation: string, lb: LoadBalancerRef, args: [FlowInputs[W]], requestId?: string) =>
  ({
    workflow,
    resourceType: 'loadbalancer',
    resourceId: lb.id,
    operation,
    requestId,
    loadBalancerId: lb.id,
    projectId: lb.projectId,
    name: lb.name,
    context: lb.topology ? [lb.topology] : [],
    args,
  }) satisfies FlowRequest<W>;

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
 * runs is refused (conflict policy FAIL from a client; a child start fails the same way). Started by
 * the API, by the health monitor and, as a child, by a load balancer failover (which settles the load
 * balancer itself, and names the amphora's role).
 */
export function amphoraFailoverFlow(
  amphora: { id: string; loadBalancerId: string | null; role?: string | null },
  projectId: string | undefined,
  boot: BootSettings,
  opts: { settleLoadBalancer?: boolean; why?: string } = {},
) {
  const loadBalancerId = amphora.loadBalancerId ?? undefined;
  return {
    workflow: 'failoverAmphora',
    resourceType: 'amphora',
    resourceId: amphora.id,
    operation: 'failover',
    amphoraId: amphora.id,
    loadBalancerId,
    projectId,
    context: [
      ...(amphora.role ? [amphora.role] : []),
      ...(loadBalancerId ? [`load balancer ${loadBalancerId}`] : ['spare']),
      ...(opts.why ? [opts.why] : []),
    ],
    args: [
      {
        amphoraId: amphora.id,
        loadBalancerId,
        bootTimeoutSeconds: boot.bootTimeoutSeconds,
        activeWaitSeconds: boot.activeWaitSeconds,
        settleLoadBalancer: opts.settleLoadBalancer ?? true,
      },
    ],
  } satisfies FlowRequest<'failoverAmphora'>;
}

/** create_amphora of a spare, as the spare pool starts it (`amphora-<id>-create`). */
export function spareAmphoraFlow(amphoraId: string, boot: BootSettings) {
  return {
    workflow: 'createAmphora',
    resourceType: 'amphora',
    resourceId: amphoraId,
    operation: 'create',
    amphoraId,
    context: ['spare pool'],
    args: [{ amphoraId, bootTimeoutSeconds: boot.bootTimeoutSeconds, activeWaitSeconds: boot.activeWaitSeconds }],
  } satisfies FlowRequest<'createAmphora'>;
}

type HousekeepingFlow = 'maintainSparePool' | 'cleanupDeleted' | 'monitorAmphoraHealth';

/**
 * A housekeeping flow (ResourceType "housekeeping", so `ResourceType != "housekeeping"` hides the
 * thousands of runs a day from an operator's list), under its own id: the schedule's, or the monitor's.
 */
export function housekeepingFlow<W extends HousekeepingFlow>(workflow: W, workflowId: string, operation: string, summary: string, args: [FlowInputs[W]]) {
  return {
    workflow,
    resourceType: 'housekeeping',
    resourceId: workflowId,
    operation,
    workflowId,
    summary,
    args,
  } satisfies FlowRequest<W>;
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
    context: [`load balancer ${lb.name || lb.id}`],
    // A batch says what it changes; its summary says how many.
    ...(operation === 'members'
      ? {
          summary: `update members of pool ${resourceId} (project ${lb.projectId}, ${changes.length} change${changes.length === 1 ? '' : 's'})`,
          details: changes.map((c) => `- ${c.operation} ${resourceLabels[c.resource]} \`${c.id}\``),
        }
      : {}),
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
