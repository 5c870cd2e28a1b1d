import type { FieldProblem } from '../../common/errors/domain.error';

/**
 * One predicted row against its ground truth: pure functions, no I/O. A logged output is what the prediction log
 * holds for the row: the value (regression, in the model's unit as answered) or `{label, probabilities}`
 * (classification, the probability of every class the answering version knows).
 */

/** Probabilities below this count as this much in the log loss (scikit-learn's clipping): −ln(1e-15) ≈ 34.5. */
export const LOG_LOSS_EPSILON = 1e-15;

/**
 * The largest magnitude of a regression value compared (the truth, and the logged prediction): squared errors stay
 * below 4e24, so their sums (and the sums of their squares the evaluation keeps per request) stay finite in
 * SQLite and PostgreSQL alike, and no single row can outweigh millions of others.
 */
export const MAX_ABS_VALUE = 1e12;

/** The ground truth a client sends: a value (regression) or a class label (classification). */
export type Actual = number | string;

export interface RegressionOutcome {
  task: 'regression';
  predicted: number;
  actual: number;
  squaredError: number;
  absoluteError: number;
}

export interface ClassificationOutcome {
  task: 'classification';
  predicted: string;
  actual: string;
  correct: boolean;
  logLoss: number;
}

export type RowOutcome = RegressionOutcome | ClassificationOutcome;

/** A logged classification output. */
interface ClassOutput {
  label: string;
  probabilities: Record<string, unknown>;
}

function isClassOutput(output: unknown): output is ClassOutput {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return false;
  const { label, probabilities } = output as Partial<ClassOutput>;
  return typeof label === 'string' && typeof probabilities === 'object' && probabilities !== null;
}

/** A regression value that can be compared: a number within ±MAX_ABS_VALUE (so neither NaN nor infinite). */
const isValue = (value: unknown): value is number => typeof value === 'number' && Math.abs(value) <= MAX_ABS_VALUE;

/**
 * The task a logged output belongs to, or undefined when it is neither shape (a damaged log row) or a value beyond
 * ±MAX_ABS_VALUE (not compared: its squared error would swamp, or overflow, the sums of live performance).
 */
export function outputTask(output: unknown): RowOutcome['task'] | undefined {
  if (isValue(output)) return 'regression';
  return isClassOutput(output) ? 'classification' : undefined;
}

/** Classes listed in a problem message at most (a model may have many). */
const CLASSES_SHOWN = 20;

/**
 * Why `actual` cannot be the truth of a row whose logged output is `output` (undefined: it can): regression wants
 * a finite number within ±MAX_ABS_VALUE, classification one of the classes the answering version gave a
 * probability for.
 */
export function actualProblem(output: unknown, actual: Actual, field = 'actual'): FieldProblem | undefined {
  if (isValue(output)) {
    if (isValue(actual)) return undefined;
    if (typeof actual === 'number' && Number.isFinite(actual)) {
      return { field, rule: 'range', message: `${field} must be between -1e12 and 1e12 for a regression model` };
    }
    return {
      field,
      rule: 'isFiniteNumber',
      message: `${field} must be a finite number for a regression model: the true value, in the unit of the predicted value`,
    };
  }
  if (isClassOutput(output)) {
    const classes = Object.keys(output.probabilities);
    if (typeof actual === 'string' && classes.includes(actual)) return undefined;
    const shown = classes.slice(0, CLASSES_SHOWN).join(', ') + (classes.length > CLASSES_SHOWN ? ', …' : '');
    return {
      field,
      rule: 'isClassLabel',
      message: `${field} must be one of the classes of the model (${shown}) for a classification model`,
    };
  }
  return undefined;
}

/**
 * The row's losses: regression error = predicted − actual with its square and absolute value; classification
 * `correct` (predicted label == actual) and log loss −ln(max(p(actual), 1e-15)). Undefined when the output and
 * the actual are not of the same task (check actualProblem first for the answered entry).
 */
export function rowOutcome(output: unknown, actual: Actual): RowOutcome | undefined {
  if (isValue(output)) {
    if (!isValue(actual)) return undefined;
    const error = output - actual;
    return {
      task: 'regression',
      predicted: output,
      actual,
      squaredError: error * error,
      absoluteError: Math.abs(error),
    };
  }
  if (isClassOutput(output) && typeof actual === 'string') {
    const p = output.probabilities[actual];
    const probability = typeof p === 'number' && Number.isFinite(p) ? p : 0;
    return {
      task: 'classification',
      predicted: output.label,
      actual,
      correct: output.label === actual,
      // max(0, …): a probability rounded above 1 gives 0, and −ln(1) gives +0 rather than −0.
      logLoss: Math.max(0, -Math.log(Math.max(probability, LOG_LOSS_EPSILON))),
    };
  }
  return undefined;
}

/** Whether two truths of the same row are the same feedback (sent again) rather than a conflicting one. */
export function sameActual(
  stored: { actualValue: number | null; actualLabel: string | null },
  actual: Actual,
): boolean {
  return typeof actual === 'number' ? stored.actualValue === actual : stored.actualLabel === actual;
}
