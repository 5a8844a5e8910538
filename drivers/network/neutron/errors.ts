/**
 * Neutron's answers -> the network driver's exception model (../errors.ts), in one place:
 *
 *   404 on a lookup the caller names          NetworkObjectNotFound (Subnet, Network, Port, ...), final;
 *                                             on POST /ports it is the subnet or the network that is
 *                                             missing: Neutron's type (SubnetNotFound, NetworkNotFound) says which
 *   409 IpAddressAlreadyAllocated             VipInUse (the requested address is taken), final
 *   409 IpAddressGenerationFailure            VipInUse (the subnet is full), final
 *   400 (InvalidIpForSubnet, InvalidInput)    InvalidNetworkRequest, final
 *   5xx, 408, 429, no answer, circuit open    the operation's class, retryable (every call is idempotent)
 *   other 4xx (401 after one renewal, 403)    the operation's class, final
 *   a compute driver error (attach, detach)   the operation's class, retryable as the compute error says
 *
 * Neutron's own message is kept; the original error is the cause.
 */
import { DomainError } from '../../../common/errors';
import { CircuitOpenError } from '../../openstack/breaker';
import { OpenStackHttpError, OpenStackTransportError } from '../../openstack/http';
import { InvalidNetworkRequest, NetworkError, NetworkObjectNotFound, VipInUse } from '../errors';

type Kind = NetworkObjectNotFound['kind'];
type NetworkErrorClass = new (message: string, opts?: { cause?: unknown; retryable?: boolean }) => NetworkError;

export interface ErrorContext {
  /** What we were doing, for the message: "Could not <action>". */
  action: string;
  errorClass?: NetworkErrorClass;
  /** What a 404 means: the object the request names. */
  notFound?: { kind: Kind; id: string };
}

/** Neutron's 404 types on a create (POST /ports names a network and subnets). */
const NOT_FOUND_TYPES: Record<string, Kind> = {
  SubnetNotFound: 'Subnet',
  NetworkNotFound: 'Network',
  PortNotFound: 'Port',
  QosPolicyNotFound: 'QoS Policy',
  SecurityGroupNotFound: 'Security Group',
};

/** The id a Neutron "X <id> could not be found." message names. */
function idIn(detail: string): string | undefined {
  return /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(detail)?.[1];
}

export function toNetworkError(err: unknown, ctx: ErrorContext): NetworkError {
  if (err instanceof NetworkError) return err;
  const Cls = ctx.errorClass ?? NetworkError;
  const say = (why: string) => `Could not ${ctx.action}: ${why}`;

  if (err instanceof CircuitOpenError || err instanceof OpenStackTransportError) return new Cls(say(err.message), { cause: err, retryable: true });
  if (err instanceof OpenStackHttpError) {
    const s = err.status;
    if (s === 404) {
      const typed = err.errorType ? NOT_FOUND_TYPES[err.errorType] : undefined;
      const id = typed && idIn(err.detail);
      if (typed && id) return new NetworkObjectNotFound(typed, id);
      if (ctx.notFound) return new NetworkObjectNotFound(ctx.notFound.kind, ctx.notFound.id);
    }
    if (s === 409 && (err.errorType === 'IpAddressAlreadyAllocated' || err.errorType === 'IpAddressGenerationFailure')) {
      return new VipInUse(err.detail);
    }
    if (s === 400) return new InvalidNetworkRequest(err.detail);
    const retryable = s >= 500 || s === 408 || s === 429;
    return new Cls(say(`Neutron answered ${s}${err.errorType ? ` ${err.errorType}` : ''}: ${err.detail}`), { cause: err, retryable });
  }
  // The compute driver's own errors (attach/detach) carry their retryability.
  if (err instanceof DomainError) return new Cls(say(err.message), { cause: err, retryable: err.retryable });
  return new Cls(say(err instanceof Error ? err.message : String(err)), { cause: err, retryable: true });
}

/** Whether Neutron answered `status` (and, when given, this fault type). */
export function isNeutron(err: unknown, status: number, type?: string): err is OpenStackHttpError {
  return err instanceof OpenStackHttpError && err.status === status && (type === undefined || err.errorType === type);
}
