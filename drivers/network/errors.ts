/**
 * The network driver's exception model, after Octavia's octavia/network/base.py: one base class, a
 * class per failure a flow or the API acts on. Lookups that miss are not retryable (the subnet will not
 * appear by asking again); a VIP address that is taken is a conflict the API answers 409; a call that
 * got no answer is retryable (every call is idempotent).
 */
import { DomainError } from '../../common/errors';

export class NetworkError extends DomainError {
  static override readonly retryableByDefault: boolean = true;
}

/** A subnet, network, port, QoS policy or security group that does not exist. */
export class NetworkObjectNotFound extends NetworkError {
  constructor(
    readonly kind: 'Subnet' | 'Network' | 'Port' | 'QoS Policy' | 'Security Group',
    readonly id: string,
  ) {
    // Octavia's API answers an unknown vip_subnet_id (network, port, ...) with 400 `Subnet <id> not found.`
    super(`${kind} ${id} not found.`, { retryable: false, code: 400 });
  }
}

/** The requested VIP address is in use, or the subnet has no free address (Octavia: 409). */
export class VipInUse extends NetworkError {
  constructor(message: string) {
    super(message, { retryable: false, code: 409 });
  }
}

/** Bad input for the network (an address outside the subnet, ...): never retried. */
export class InvalidNetworkRequest extends NetworkError {
  constructor(message: string) {
    super(message, { retryable: false, code: 400 });
  }
}

export class AllocateVipError extends NetworkError {}
export class PlugVipError extends NetworkError {}
export class UnplugVipError extends NetworkError {}
export class PlugNetworkError extends NetworkError {}
export class UnplugNetworkError extends NetworkError {}
