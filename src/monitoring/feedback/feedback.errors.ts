import { DomainError, FieldProblem } from '../../common/errors/domain.error';

/**
 * The errors of `POST /feedback`. Messages never repeat the ids or values a client sent: a batch result names its
 * item by index, and field problems name the field (`items.3.row` in a batch) and the rule.
 */

/** Which id an item named its prediction by. */
export type PredictionKey = 'requestId' | 'predictionId';

/** No logged prediction (primary entry) by that id, even after this process wrote its queued log entries. */
export class FeedbackPredictionNotFoundError extends DomainError {
  readonly code = 'FEEDBACK.PREDICTION_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(key: PredictionKey) {
    super(
      `No logged prediction has this ${key}: it is unknown, older than the prediction log's retention, or still ` +
        'queued on another replica (send it again in a moment)',
    );
  }
}

/** The row already has a different ground truth: feedback is stored once and never changed. */
export class FeedbackConflictError extends DomainError {
  readonly code = 'FEEDBACK.CONFLICT';
  readonly kind = 'conflict';

  constructor() {
    super('This row of the prediction already has a different ground truth; feedback is stored once, never changed');
  }
}

/** The row index is not one of the request's rows. */
export class FeedbackRowOutOfRangeError extends DomainError {
  readonly code = 'FEEDBACK.ROW_OUT_OF_RANGE';
  readonly kind = 'unprocessable';

  constructor(rows: number, at = '') {
    const field = `${at}row`;
    const message = `${field} must be less than ${rows}: the prediction request had ${rows} row${rows === 1 ? '' : 's'}`;
    super(`Feedback refused: ${message}`, [{ field, rule: 'max', message }]);
  }
}

/** The actual does not fit the model that answered (a number for regression, one of its classes otherwise). */
export class FeedbackInvalidActualError extends DomainError {
  readonly code = 'FEEDBACK.INVALID_ACTUAL';
  readonly kind = 'invalid_input';

  constructor(problem: FieldProblem) {
    super(`Feedback refused: ${problem.message}`, [problem]);
  }
}

/**
 * The logged output of the row cannot be read (a damaged log entry) or is a value beyond ±1e12 (MAX_ABS_VALUE):
 * nothing to compare the truth with.
 */
export class FeedbackUnusablePredictionError extends DomainError {
  readonly code = 'FEEDBACK.PREDICTION_UNUSABLE';
  readonly kind = 'unprocessable';

  constructor() {
    super(
      'The logged prediction of this row cannot be read, or is a value beyond ±1e12, so it cannot be compared with ' +
        'a ground truth',
    );
  }
}

/** More items than FEEDBACK_MAX_ITEMS in one request. */
export class FeedbackTooManyItemsError extends DomainError {
  readonly code = 'FEEDBACK.TOO_MANY_ITEMS';
  readonly kind = 'payload_too_large';

  constructor(items: number, max: number) {
    const message = `items must hold at most ${max} items (FEEDBACK_MAX_ITEMS); this request holds ${items}`;
    super(message, [{ field: 'items', rule: 'arrayMaxSize', message }]);
  }
}
