/**
 * The workflow interceptor every flow runs under: it reports each run's start and end (outcome,
 * duration, whether it compensated, the error with its cause chain) to the worker through the `flows`
 * sink, which logs one line and counts it (platform/flow-sink.ts). Sinks issue no commands and are not
 * called on replay, so this changes no history and counts each run once.
 */
import {
  ContinueAsNew,
  isCancellation,
  proxySinks,
  workflowInfo,
  type Sinks,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type Next,
} from '@temporalio/workflow';
import { serializeError, type SerializedError } from '../common/error-chain';
import { LoadBalancerId } from '../common/search-attributes';
import { compensationsRan } from './saga';

export type FlowOutcome = 'completed' | 'failed' | 'cancelled' | 'continued';

export interface FlowEnd {
  outcome: FlowOutcome;
  durationMs: number;
  compensated: boolean;
  loadBalancerId?: string;
  error?: SerializedError;
}

export interface FlowSinks extends Sinks {
  flows: {
    started(run: { continued: boolean; loadBalancerId?: string }): void;
    ended(end: FlowEnd): void;
  };
}

const { flows } = proxySinks<FlowSinks>();

function loadBalancerId(): string | undefined {
  const value = workflowInfo().typedSearchAttributes.get(LoadBalancerId);
  return typeof value === 'string' ? value : undefined;
}

class FlowObserver implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = workflowInfo();
    const startedAt = info.runStartTime.getTime();
    flows.started({ continued: info.continuedFromExecutionRunId !== undefined, loadBalancerId: loadBalancerId() });
    const end = (outcome: FlowOutcome, err?: unknown): FlowEnd => ({
      outcome,
      // Workflow time: the moment the final activation began, close to the run's end.
      durationMs: Math.max(0, Date.now() - startedAt),
      compensated: compensationsRan(),
      loadBalancerId: loadBalancerId(),
      ...(err === undefined ? {} : { error: serializeError(err, { stack: false }) }),
    });
    try {
      const result = await next(input);
      flows.ended(end('completed'));
      return result;
    } catch (err) {
      if (err instanceof ContinueAsNew) flows.ended(end('continued'));
      else flows.ended(end(isCancellation(err) ? 'cancelled' : 'failed', err));
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new FlowObserver()] });
