import { ValidationError } from 'class-validator';
import { DomainError, FieldProblem } from './domain.error';

/** A request body, query or path parameter broke a validation rule. */
export class RequestValidationError extends DomainError {
  readonly code = 'REQUEST.VALIDATION_FAILED';
  readonly kind = 'invalid_input';

  constructor(errors: FieldProblem[]) {
    super(`Request validation failed: ${errors.map((e) => e.message).join('; ')}`, errors);
  }

  /** Flattens class-validator's nested errors into one problem per field and rule (values are never echoed). */
  static fromValidationErrors(errors: ValidationError[], parent = ''): RequestValidationError {
    return new RequestValidationError(flatten(errors, parent));
  }
}

function flatten(errors: ValidationError[], parent: string): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule,
      message: parent ? `${field}: ${message}` : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
