import { DomainError } from '../common/errors/domain.error';

/** The model already has a queued or running retraining (in this process or another one sharing the database). */
export class RetrainInProgressError extends DomainError {
  readonly code = 'RETRAIN.IN_PROGRESS';
  readonly kind = 'conflict';

  constructor(model: string, job: string, status: string) {
    super(`A retraining of ${model} is already ${status} (job ${job}); one runs at a time per model`);
  }
}

/** A job with the same dedupe key exists: another replica queued this cron tick first. */
export class RetrainDuplicateError extends DomainError {
  readonly code = 'RETRAIN.DUPLICATE';
  readonly kind = 'conflict';

  constructor(key: string) {
    super(`A retraining for ${key} was queued already`);
  }
}

export class RetrainJobNotFoundError extends DomainError {
  readonly code = 'RETRAIN.JOB_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(id: string) {
    super(`No retraining job ${id}`);
  }
}
