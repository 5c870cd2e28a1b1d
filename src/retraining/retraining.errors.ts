import { DomainError } from '../common/errors/domain.error';

/** Another retraining of the model holds its lease (in this process or another one sharing the database). */
export class RetrainInProgressError extends DomainError {
  readonly code = 'RETRAIN.IN_PROGRESS';
  readonly kind = 'conflict';

  constructor(model: string, holder: string) {
    super(`A retraining of ${model} is already running (job ${holder}); one runs at a time per model`);
  }
}

export class RetrainJobNotFoundError extends DomainError {
  readonly code = 'RETRAIN.JOB_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(id: string) {
    super(`No retraining job ${id}`);
  }
}
