import { InvalidInputError } from './invalid-input.error';

export type MlTask = 'regression' | 'classification';
export const ML_TASKS: readonly MlTask[] = ['regression', 'classification'];

/** Row-major features (NaN = missing) and targets: Float64Array for regression, Int32Array labels 0..k-1 otherwise. */
export interface TrainingData {
  X: Float64Array;
  y: Float64Array | Int32Array;
  nFeatures: number;
}

export interface ProgressInfo {
  trainLoss?: number;
  validationLoss?: number;
}

/** Called after each boosting round or forest tree, e.g. to report progress from a training child process. */
export type ProgressCallback = (done: number, total: number, info?: ProgressInfo) => void;

/** Checks shapes and targets; returns the number of classes (1 for regression). */
export function validateTrainingData(data: TrainingData, task: MlTask, minRows = 2): number {
  const { X, y, nFeatures } = data;
  if (!Number.isInteger(nFeatures) || nFeatures < 1)
    throw new InvalidInputError('nFeatures must be a positive integer');
  if (y.length < minRows) throw new InvalidInputError(`need at least ${minRows} rows, got ${y.length}`);
  if (X.length !== y.length * nFeatures) {
    throw new InvalidInputError(`X has ${X.length} values, expected ${y.length} rows × ${nFeatures} features`);
  }
  if (task === 'regression') {
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw new InvalidInputError(`y[${i}] is not a finite number`);
    }
    return 1;
  }
  if (!(y instanceof Int32Array)) throw new InvalidInputError('classification labels must be an Int32Array');
  let max = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0) throw new InvalidInputError(`y[${i}] is a negative class label`);
    max = Math.max(max, y[i]);
  }
  if (max < 1) throw new InvalidInputError('classification needs at least two classes');
  return max + 1;
}

/** Copies the given rows of a row-major matrix. */
export function takeRows(X: Float64Array, nFeatures: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * nFeatures);
  for (let i = 0; i < rows.length; i++)
    out.set(X.subarray(rows[i] * nFeatures, (rows[i] + 1) * nFeatures), i * nFeatures);
  return out;
}

/** Copies the given entries of a target vector, keeping its type. */
export function takeTargets<T extends Float64Array | Int32Array>(y: T, rows: Int32Array): T {
  const out = y instanceof Int32Array ? new Int32Array(rows.length) : new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out as T;
}

/** 0, 1, …, n-1. */
export function range(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** m distinct indices from [0, n), drawn with a partial Fisher–Yates shuffle and returned in ascending order. */
export function sampleWithoutReplacement(n: number, m: number, rng: { int(n: number): number }, scratch: Int32Array) {
  for (let i = 0; i < n; i++) scratch[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = scratch[i];
    scratch[i] = scratch[j];
    scratch[j] = t;
  }
  return scratch.slice(0, m).sort();
}
