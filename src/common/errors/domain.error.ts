/** What kind of failure a domain error is; the HTTP layer maps each kind to one status code. */
export type ErrorKind =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  /** The resource existed and was removed for good (a model version whose artifact was deleted by retention). */
  | 'gone'
  | 'payload_too_large'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

/** One problem with one field of the input: which field, which rule, and a message (never the submitted value). */
export interface FieldProblem {
  field: string;
  rule: string;
  message: string;
  /** 1-based line of a data file the problem was found on, when it came from a file. */
  line?: number;
}

/**
 * Base of every error the domain throws. Domain code never throws HTTP exceptions (jobs run without a request);
 * the global exception filter turns `kind` into a status and `code` into the stable `code` of the error body.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;

  constructor(
    message: string,
    readonly errors?: FieldProblem[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}
