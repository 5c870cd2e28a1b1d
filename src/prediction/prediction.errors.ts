import { clampText } from '../common/errors/clamp-text.util';
import { DomainError } from '../common/errors/domain.error';

export class BatchTooLargeError extends DomainError {
  readonly code = 'PREDICTION.BATCH_TOO_LARGE';
  readonly kind = 'payload_too_large';

  constructor(rows: number, limit: number) {
    super(`A batch may hold at most ${limit} rows (MAX_BATCH_ROWS); this one has ${rows}`);
  }
}

/** The request body is not in any shape the protocol accepts (MLflow, Open Inference). */
/** A body that is not in the protocol's format. Its message may quote the client's keys: they are clamped. */
export class PayloadFormatError extends DomainError {
  readonly code = 'PREDICTION.INVALID_PAYLOAD';
  readonly kind = 'invalid_input';

  constructor(message: string) {
    super(clampText(message));
  }
}

export class ServerNotReadyError extends DomainError {
  readonly code = 'PREDICTION.NOT_READY';
  readonly kind = 'unavailable';
}
