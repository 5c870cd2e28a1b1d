import { DomainError } from '../common/errors/domain.error';

export class BatchTooLargeError extends DomainError {
  readonly code = 'PREDICTION.BATCH_TOO_LARGE';
  readonly kind = 'payload_too_large';

  constructor(rows: number, limit: number) {
    super(`A batch may hold at most ${limit} rows (MAX_BATCH_ROWS); this one has ${rows}`);
  }
}

/** The request body is not in any shape the protocol accepts (MLflow, Open Inference). */
export class PayloadFormatError extends DomainError {
  readonly code = 'PREDICTION.INVALID_PAYLOAD';
  readonly kind = 'invalid_input';
}

export class ServerNotReadyError extends DomainError {
  readonly code = 'PREDICTION.NOT_READY';
  readonly kind = 'unavailable';
}
