import { DomainError } from '../../common/errors/domain.error';

/** A traffic policy that cannot be put in force as asked (a shadow of the champion itself, no champion yet, …). */
export class TrafficPolicyRefusedError extends DomainError {
  readonly code = 'TRAFFIC.POLICY_REFUSED';
  readonly kind = 'conflict';
}
