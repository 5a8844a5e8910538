/**
 * How an error is written to the log: its type, its message and its whole cause chain, so a failed flow
 * says why (`ChildWorkflowFailure` ← `ActivityFailure` ← `ApplicationFailure(BootTimeout)`: "amphora ...
 * not ACTIVE") instead of `error: {}` (JSON.stringify of an Error) or the outermost wrapper's message.
 *
 * Pure and import-free on purpose: common/logger.ts installs it as pino's serializer for `err` and
 * `error` (the worker's, the API's and the Temporal SDK's lines), and workflow code, which cannot import
 * pino, calls it before it logs (the workflow sandbox hands log attributes to the worker by structured
 * clone, which keeps an Error's message and cause but drops its class and Temporal's fields).
 */

export interface SerializedError {
  /** The class (ApplicationFailure, ChildWorkflowFailure, NotFoundError, ...). */
  type: string;
  message: string;
  /** ApplicationFailure's type (our error class, for failures from activities). */
  failureType?: string;
  nonRetryable?: boolean;
  /** Our DomainError's HTTP code, a Prisma or system error's code. */
  code?: string | number;
  /** Which step or child failed (ActivityFailure, ChildWorkflowFailure). */
  activityType?: string;
  workflowType?: string;
  workflowId?: string;
  /** The innermost cause, one line ("ApplicationFailure(BootTimeout): amphora ... not ACTIVE"): what to read first. */
  rootCause?: string;
  cause?: SerializedError;
  stack?: string;
}

const MAX_DEPTH = 8;

function isErrorLike(v: unknown): v is Record<string, unknown> & { message: unknown } {
  return typeof v === 'object' && v !== null && 'message' in v && ('stack' in v || 'name' in v || 'cause' in v || v instanceof Error);
}

/** The class name: `name`, or the stack's first line when a structured clone turned the class into plain Error. */
function typeOf(e: Record<string, unknown>): string {
  const name = typeof e.name === 'string' ? e.name : e.constructor?.name;
  if ((!name || name === 'Error') && typeof e.stack === 'string') {
    const m = /^([A-Z]\w*)(?::|$)/.exec(e.stack);
    if (m) return m[1]!;
  }
  return name || 'Error';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Already serialized (in workflow code, before the log line crossed to the worker): kept as it is. */
function isSerialized(v: unknown): v is SerializedError {
  return (
    typeof v === 'object' && v !== null && Object.prototype.toString.call(v) === '[object Object]' &&
    typeof (v as SerializedError).type === 'string' && typeof (v as SerializedError).message === 'string' && !('name' in v)
  );
}

function one(e: unknown, depth: number, seen: Set<unknown>): SerializedError {
  if (isSerialized(e)) return e;
  if (!isErrorLike(e)) return { type: typeof e, message: typeof e === 'string' ? e : safeString(e) };
  seen.add(e);
  const out: SerializedError = { type: typeOf(e), message: String(e.message) };
  const failureType = str(e.type);
  if (failureType) out.failureType = failureType;
  if (typeof e.nonRetryable === 'boolean') out.nonRetryable = e.nonRetryable;
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const activityType = str(e.activityType);
  if (activityType) out.activityType = activityType;
  const workflowType = str(e.workflowType);
  if (workflowType) out.workflowType = workflowType;
  const execution = e.execution as { workflowId?: unknown } | undefined;
  const workflowId = str(execution?.workflowId);
  if (workflowId) out.workflowId = workflowId;
  if (e.cause !== undefined && e.cause !== null && !seen.has(e.cause) && depth < MAX_DEPTH) out.cause = one(e.cause, depth + 1, seen);
  return out;
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}

/** One line per link: "ChildWorkflowFailure: ... ← ApplicationFailure(BootTimeout): amphora ... not ACTIVE". */
export function describeLink(e: SerializedError): string {
  return `${e.type}${e.failureType && e.failureType !== e.type ? `(${e.failureType})` : ''}: ${e.message}`;
}

/**
 * The error as a plain object with its cause chain (and the top-level stack, where there is one). Values
 * that are not errors come back as `{type, message}`, so a log line never loses what was thrown.
 */
export function serializeError(err: unknown, opts: { stack?: boolean } = {}): SerializedError {
  if (isSerialized(err)) return err;
  const out = one(err, 0, new Set());
  let root = out;
  while (root.cause) root = root.cause;
  if (root !== out) out.rootCause = describeLink(root);
  const stack = isErrorLike(err) ? str(err.stack) : undefined;
  if (opts.stack !== false && stack) out.stack = stack;
  return out;
}

/** The whole chain in one line, for messages and summaries. */
export function errorChainText(err: unknown): string {
  const links: string[] = [];
  for (let e: SerializedError | undefined = serializeError(err, { stack: false }); e; e = e.cause) links.push(describeLink(e));
  return links.join(' ← ');
}
