import { DomainError, FieldProblem } from '../common/errors/domain.error';

/** No model by that name (or alias) is defined. Kept under the registry's code, which clients already know. */
export class ModelNotFoundError extends DomainError {
  readonly code = 'REGISTRY.MODEL_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(name: string, known: readonly string[]) {
    super(`Unknown model '${name}'; known: ${known.join(', ')}`);
  }
}

/** A definition document broke one or more rules; every problem is listed with its path. */
export class InvalidDefinitionError extends DomainError {
  readonly code = 'DEFINITION.INVALID';
  readonly kind = 'invalid_input';

  constructor(origin: string, problems: FieldProblem[]) {
    super(
      `${origin}: the model definition has ${problems.length} problem(s): ${problems
        .slice(0, 5)
        .map((p) => p.message)
        .join('; ')}${problems.length > 5 ? '; …' : ''}`,
      problems,
    );
  }
}

/** The definition cannot be changed that way (a built-in or file definition can be overridden, not deleted twice…). */
export class DefinitionConflictError extends DomainError {
  readonly code = 'DEFINITION.CONFLICT';
  readonly kind = 'conflict';
}
