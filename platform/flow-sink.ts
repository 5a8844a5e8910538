/**
 * The worker's end of workflows/observe.ts: one log line when a flow ends, and the flow counters.
 *
 *   flow createLoadBalancer loadbalancer-<id>-create completed in 231 ms lb=<id>
 *   flow createLoadBalancer loadbalancer-<id>-create failed in 1804 ms, compensated lb=<id>: ApplicationFailure(BootTimeout): ...
 *
 * Completed housekeeping runs (every few seconds at the default intervals) and continue-as-new are
 * logged at debug, so they do not bury the operator's flows; their failures are warnings like any other.
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { describeLink } from '../common/error-chain';
import type { Logger } from '../common/logger';
import { flowDuration, flowsCompensated, flowsCompleted, flowsFailed, flowsStarted } from '../common/metrics';
import type { FlowEnd, FlowSinks } from '../workflows/observe';

const housekeeping = new Set(['maintainSparePool', 'cleanupDeleted', 'monitorAmphoraHealth']);

export function flowSinks(log: () => Logger): InjectedSinks<FlowSinks> {
  return {
    flows: {
      started: {
        fn(info: WorkflowInfo, run) {
          // A continue-as-new goes on with the same flow: counted once, when it first started.
          if (!run.continued) flowsStarted.inc({ type: info.workflowType });
          log().debug({ workflowType: info.workflowType, workflowId: info.workflowId, runId: info.runId, loadBalancerId: run.loadBalancerId }, `flow ${info.workflowType} ${info.workflowId} started`);
        },
        callDuringReplay: false,
      },
      ended: {
        fn(info: WorkflowInfo, end: FlowEnd) {
          flowEnded(log(), info, end);
        },
        callDuringReplay: false,
      },
    },
  };
}

function flowEnded(log: Logger, info: WorkflowInfo, end: FlowEnd): void {
  const type = info.workflowType;
  if (end.outcome === 'completed') flowsCompleted.inc({ type });
  else if (end.outcome !== 'continued') flowsFailed.inc({ type, outcome: end.outcome });
  if (end.compensated) flowsCompensated.inc({ type });
  if (end.outcome !== 'continued') flowDuration.observe({ type, outcome: end.outcome }, end.durationMs / 1000);

  const why = end.error ? `: ${describeLink(rootOf(end.error))}` : '';
  const message = `flow ${type} ${info.workflowId} ${end.outcome} in ${end.durationMs} ms${end.compensated ? ', compensated' : ''}${end.loadBalancerId ? ` lb=${end.loadBalancerId}` : ''}${why}`;
  const fields = {
    flow: { type, workflowId: info.workflowId, runId: info.runId, outcome: end.outcome, durationMs: end.durationMs, compensated: end.compensated },
    loadBalancerId: end.loadBalancerId,
    ...(end.error ? { error: end.error } : {}),
  };
  if (end.outcome === 'failed' || end.outcome === 'cancelled') log.warn(fields, message);
  else if (end.outcome === 'continued' || housekeeping.has(type)) log.debug(fields, message);
  else log.info(fields, message);
}

function rootOf(e: NonNullable<FlowEnd['error']>): NonNullable<FlowEnd['error']> {
  let root = e;
  while (root.cause) root = root.cause;
  return root;
}
