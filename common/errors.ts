/**
 * The one errors module, after Octavia's common/exceptions.py: every fault the system raises on purpose
 * is a class here (drivers keep their own exception models beside their ports, all rooted in
 * DomainError), each with its HTTP `code` and its message template. Two mappings read them, each once:
 * api/errors.ts renders any DomainError in Octavia's fault body with its code, and common/failures.ts
 * turns `retryable` into Temporal's retry semantics.
 */

export interface DomainErrorOptions {
  cause?: unknown;
  /** Whether trying again can help; the class's `retryableByDefault` when not given. */
  retryable?: boolean;
  code?: number;
}

export class DomainError extends Error {
  /**
   * Whether an error of this class is retryable when its raiser does not say: a class per fault sets
   * it once (a driver's base class for its transient faults, its lookups that miss for final ones).
   */
  static readonly retryableByDefault: boolean = false;
  readonly retryable: boolean;
  /** The HTTP status the API answers with; 500 (the default) is rendered as Octavia's unknown exception. */
  readonly code: number;

  constructor(message: string, opts: DomainErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retryable = opts.retryable ?? (new.target as typeof DomainError).retryableByDefault;
    this.code = opts.code ?? 500;
  }
}

/** An object a flow or a request must act on does not exist (the seed's LBNotFound, AmphoraNotFound, ...). */
export class NotFoundError extends DomainError {
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found.`, { code: 404 });
  }
}

/** The load balancer is in a PENDING_* state (another flow owns it). */
export class LoadBalancerLocked extends DomainError {
  constructor(
    readonly loadBalancerId: string,
    readonly status: string,
  ) {
    super(`Load balancer ${loadBalancerId} is ${status}: another operation owns it.`, { retryable: true, code: 409 });
  }
}

/** A fault answered to an API client: never retried, always with its code. */
export class ApiFault extends DomainError {
  constructor(code: number, message: string) {
    super(message, { code });
  }
}

/** Python's repr() of a string: single quotes unless it holds one (and no double quote), escapes as Python's. */
function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a value parsed from JSON (`{'name': 'x', 'admin_state_up': True}`). */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return reprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return pyStr(v);
}

/** How Octavia (Python) prints a value in its messages: str(), which is repr() for lists and dicts. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'object') return pyRepr(v);
  return String(v);
}

// 400: the request itself is wrong.

export class InvalidInput extends ApiFault {
  constructor(field: string, value: unknown, reason: string) {
    super(400, `Invalid input for field/attribute ${field}. Value: '${pyStr(value)}'. ${reason}`);
  }
}

export class UnknownAttributes extends ApiFault {
  constructor(argument: string, attributes: string[]) {
    const noun = attributes.length === 1 ? 'attribute' : 'attributes';
    super(400, `Unknown ${noun} for argument ${argument}: ${attributes.join(', ')}`);
  }
}

export class ValidationFailure extends ApiFault {
  constructor(detail: string) {
    super(400, `Validation failure: ${detail}`);
  }
}

/** Octavia's SingleCreateDetailsMissing: a single-call create names a pool it does not define. */
export class SingleCreateDetailsMissing extends ApiFault {
  constructor(type: string, name: string) {
    super(400, `Missing details for ${type} object: ${name}`);
  }
}

/** Octavia's ListenerNoChildren. */
export class ListenerNoChildren extends ApiFault {
  constructor(protocol: string) {
    super(400, `Protocol ${protocol} listeners cannot have child objects.`);
  }
}

/** WSME's refusal of a call without a parameter its handler needs (a PUT or DELETE of a collection's path). */
export class MissingArgument extends ApiFault {
  constructor(name: string) {
    super(400, `Missing argument: "${name}"`);
  }
}

export class InvalidFilter extends ApiFault {
  constructor() {
    super(400, 'One or more arguments are either duplicate or invalid');
  }
}

export class InvalidSort extends ApiFault {
  constructor(what: 'key' | 'direction', value: string) {
    super(400, `Supplied sort ${what} '${value}' is not valid.`);
  }
}

export class MalformedJson extends ApiFault {
  constructor() {
    super(400, 'Request is not in valid JSON format');
  }
}

/** Octavia's InvalidOption: `<value> is not a valid option for <option>`. */
export class InvalidOption extends ApiFault {
  constructor(value: unknown, option: string) {
    super(400, `${value === null || value === undefined ? 'None' : String(value)} is not a valid option for ${option}`);
  }
}

/** Octavia's DisabledOption. */
export class DisabledOption extends ApiFault {
  constructor(option: string, value: string) {
    super(400, `The selected ${option} is not allowed in this deployment: ${value}`);
  }
}

/** Octavia's ProviderNotEnabled. */
export class ProviderNotEnabled extends ApiFault {
  constructor(provider: string) {
    super(400, `Provider '${provider}' is not enabled.`);
  }
}

export class ProviderFlavorMismatch extends ApiFault {
  constructor(flavorId: string, provider: string) {
    super(400, `Flavor '${flavorId}' is not compatible with provider '${provider}'`);
  }
}

/** Octavia's L7RuleValidation. */
export class L7RuleValidation extends ApiFault {
  constructor(detail: string) {
    super(400, `Error parsing L7Rule: ${detail}`);
  }
}

/** Octavia's InvalidL7PolicyArgs. */
export class InvalidL7PolicyArgs extends ApiFault {
  constructor(detail: string) {
    super(400, `Invalid L7 Policy arguments: ${detail}`);
  }
}

/** Octavia's CertificateRetrievalException: no certificate manager is configured here. */
export class CertificateRetrieval extends ApiFault {
  constructor(refs: string[]) {
    super(400, `Could not retrieve certificate: [${refs.map((r) => `'${r}'`).join(', ')}]`);
  }
}

/**
 * Octavia's InvalidSubresource: an id the request names (vip_subnet_id, vip_network_id, vip_port_id,
 * vip_qos_policy_id, a member's subnet_id) that the network does not know. A 400: the request is wrong.
 */
export class InvalidSubresource extends ApiFault {
  constructor(resource: string, id: string) {
    super(400, `${resource} ${id} not found.`);
  }
}

// 403, 404: who may, and what exists.

/** Octavia's policy refusal. */
export class NotAuthorized extends ApiFault {
  constructor() {
    super(403, 'Policy does not allow this request to be performed.');
  }
}

export class QuotaExceeded extends ApiFault {
  constructor(resourceNames: string) {
    super(403, `Quota has been met for resources: ${resourceNames}`);
  }
}

export class NotFound extends ApiFault {
  constructor(resource: string, id: string) {
    super(404, `${resource} ${id} not found.`);
  }
}

/**
 * A fault that Octavia's web framework (pecan), not its API code, answers: pecan's body is
 * `{"code", "title", "description"}` instead of the API's fault body.
 */
export class FrameworkFault extends ApiFault {
  constructor(
    code: number,
    readonly title: string,
    description: string,
  ) {
    super(code, description);
  }
}

/**
 * Octavia's NotFound raised while pecan routes (a pool's members under a missing pool, a policy's rules
 * under a missing policy): Octavia's exceptions are webob client errors, so pecan titles it "Bad Request".
 */
export class FrameworkNotFound extends FrameworkFault {
  constructor(resource: string, id: string) {
    super(404, 'Bad Request', `${resource} ${id} not found.`);
  }
}

/** No route: pecan's own 404, with an empty description. */
export class NoSuchRoute extends FrameworkFault {
  constructor() {
    super(404, 'Not Found', '');
  }
}

/** A method the path's controller has no handler for (PATCH, HEAD, ...): pecan's 405, naming what it allows. */
export class MethodNotAllowed extends FrameworkFault {
  constructor(readonly allow: readonly string[]) {
    super(405, 'Method Not Allowed', '');
  }
}

// 409: the request conflicts with what is there.

/** PUT/DELETE of an object whose own state forbids it. */
export class InvalidState extends ApiFault {
  constructor(resourceType: string, id: string, state: string) {
    super(409, `Invalid state ${state} of ${resourceType} resource ${id}`);
  }
}

/** A child operation while its load balancer is PENDING_*. */
export class ImmutableObject extends ApiFault {
  constructor(resource: string, id: string) {
    super(409, `${resource} ${id} is immutable and cannot be updated.`);
  }
}

/** Octavia's ObjectInUse. */
export class ObjectInUse extends ApiFault {
  constructor(object: string, id: string) {
    super(409, `${object} ${id} is in use and cannot be modified.`);
  }
}

/** Octavia's RecordAlreadyExists. */
export class RecordAlreadyExists extends ApiFault {
  constructor(field: string, name: string) {
    super(409, `A ${field} of ${name} already exists.`);
  }
}

/** Octavia's DuplicateListenerEntry. */
export class DuplicateListener extends ApiFault {
  constructor(protocol: string, port: number) {
    super(409, `Another Listener on this Load Balancer is already using protocol ${protocol} and protocol_port ${port}`);
  }
}

/** Octavia's DuplicateMemberEntry. */
export class DuplicateMember extends ApiFault {
  constructor(address: string, port: number) {
    super(409, `Another member on this pool is already using ip ${address} on protocol_port ${port}`);
  }
}

/** Octavia's DuplicatePoolEntry. */
export class DuplicateDefaultPool extends ApiFault {
  constructor() {
    super(409, 'This listener already has a default pool');
  }
}

/** Octavia's DuplicateHealthMonitor. */
export class DuplicateHealthMonitor extends ApiFault {
  constructor() {
    super(409, 'This pool already has a health monitor');
  }
}

/** Octavia's PoolInUseByL7Policy. */
export class PoolInUseByL7Policy extends ApiFault {
  constructor(poolId: string, policyId: string) {
    super(409, `Pool ${poolId} is in use by L7 policy ${policyId}`);
  }
}

/** Octavia's TooManyL7RulesOnL7Policy. */
export class TooManyRules extends ApiFault {
  constructor(policyId: string) {
    super(409, `Too many rules on L7 policy ${policyId}`);
  }
}

/** The same operation's previous flow is still finishing. */
export class FlowInProgress extends ApiFault {
  constructor(operation: string, resourceType: string, resourceId: string) {
    super(409, `Another ${operation} of ${resourceType} ${resourceId} is still in progress; try again.`);
  }
}

// 413, 415, 501, 503: the request's form, and what this deployment cannot do now.

export class PayloadTooLarge extends ApiFault {
  constructor() {
    super(413, 'Request body is too large');
  }
}

export class UnsupportedMediaType extends ApiFault {
  constructor(mimetype: string) {
    super(415, `Unknown mimetype: ${mimetype}`);
  }
}

/** Octavia's ProviderUnsupportedOptionError (a 501, as Octavia answers). */
export class ProviderUnsupportedOption extends ApiFault {
  constructor(provider: string, message: string) {
    super(501, `Provider '${provider}' does not support a requested option: ${message}`);
  }
}

/**
 * A fault that Octavia's WSGI middleware answers, not its API: the body is webob's JSON rendering of the
 * HTTP exception (`{"message": <explanation><br /><br />\n<detail>\n\n, "code": "503 Service
 * Unavailable", "title": ...}`), not Octavia's fault body.
 */
export class WebobFault extends ApiFault {
  constructor(
    code: number,
    readonly title: string,
    readonly explanation: string,
    detail: string,
  ) {
    super(code, detail);
  }

  get body() {
    return { message: `${this.explanation}<br /><br />\n${this.message}\n\n`, code: `${this.code} ${this.title}`, title: this.title };
  }
}

/** keystonemiddleware's answer when Keystone cannot be reached or cannot validate a token: 503, never 500. */
export class KeystoneUnavailable extends WebobFault {
  constructor() {
    super(503, 'Service Unavailable', 'The server is currently unavailable. Please try again at a later time.', 'The Keystone service is temporarily unavailable.');
  }
}

export class ServiceUnavailable extends ApiFault {
  constructor(what: string) {
    super(503, `${what} is temporarily unavailable; nothing was changed. Try again.`);
  }
}
