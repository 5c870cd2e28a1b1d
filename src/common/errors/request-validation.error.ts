import { ValidationError } from 'class-validator';
import { clampText } from './clamp-text.util';
import { DomainError, FieldProblem } from './domain.error';

/** A request body, query or path parameter broke a validation rule. */
export class RequestValidationError extends DomainError {
  readonly code = 'REQUEST.VALIDATION_FAILED';
  readonly kind = 'invalid_input';

  constructor(errors: FieldProblem[]) {
    const shown = errors
      .slice(0, MAX_PROBLEMS)
      .map((e) => ({ ...e, field: clampText(e.field), message: clampText(e.message) }));
    const more = errors.length - shown.length;
    super(
      `Request validation failed: ${shown.map((e) => e.message).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
      shown,
    );
  }

  /** Flattens class-validator's nested errors into one problem per field and rule (values are never echoed). */
  static fromValidationErrors(errors: ValidationError[], parent = ''): RequestValidationError {
    return new RequestValidationError(flatten(errors, parent));
  }
}

/** Problems reported per answer: a batch of bad rows must not produce an answer larger than its body. */
const MAX_PROBLEMS = 100;
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
