import { DomainError } from '../errors/domain.error';

const HOW = 'send it as `Authorization: Bearer <key>` or `x-api-key: <key>`';

/** An admin endpoint on a service with no ADMIN_API_KEY: disabled, secure by default. */
export class AdminDisabledError extends DomainError {
  readonly code = 'AUTH.ADMIN_DISABLED';
  readonly kind = 'forbidden';

  constructor() {
    super(
      'Admin endpoints (promote, rollback, register, retrain) are disabled: start the service with ADMIN_API_KEY ' +
        `set to a secret of at least 16 characters, and ${HOW}`,
    );
  }
}

/** No key, or a key that is not accepted here. */
export class AuthenticationRequiredError extends DomainError {
  readonly code = 'AUTH.UNAUTHENTICATED';
  readonly kind = 'unauthenticated';

  constructor(what: 'admin' | 'api', presented: boolean) {
    super(
      `${presented ? 'The API key is not valid' : 'An API key is required'} for this ${what === 'admin' ? 'admin ' : ''}endpoint: ` +
        `${what === 'admin' ? 'the ADMIN_API_KEY' : 'one of API_KEYS (or the admin key)'}; ${HOW}`,
    );
  }
}
