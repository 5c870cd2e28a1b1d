import { DomainError } from '../common/errors/domain.error';

export class RunNotFoundError extends DomainError {
  readonly code = 'TRAINING.RUN_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(id: string) {
    super(`No run with id ${id}`);
  }
}

/** The training request cannot be carried out as asked (unknown candidate, bad split file, bad parameters). */
export class TrainingInputError extends DomainError {
  readonly code = 'TRAINING.INVALID_INPUT';
  readonly kind = 'invalid_input';
}

/** Fitting a candidate failed; the run is recorded as failed with this message. */
export class TrainingFailedError extends DomainError {
  readonly code = 'TRAINING.FAILED';
  readonly kind = 'internal';
}
