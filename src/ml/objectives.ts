/**
 * Losses of gradient boosting. Raw scores are row-major nRows × K (K = 1 for regression, nClasses for softmax).
 * Gradients and hessians are written class-major (class k at [k * nRows, (k + 1) * nRows)) so each class's tree
 * reads one contiguous block.
 */

const MIN_HESSIAN = 1e-16;
const MIN_PROBABILITY = 1e-15;

/** Squared error: g = raw - y, h = 1. */
export function squaredErrorGradients(
  raw: Float64Array,
  y: Float64Array,
  grad: Float64Array,
  hess: Float64Array,
): void {
  for (let r = 0; r < y.length; r++) {
    grad[r] = raw[r] - y[r];
    hess[r] = 1;
  }
}

/** Softmax cross-entropy: g_k = p_k - [y = k], h_k = p_k (1 - p_k). */
export function softmaxGradients(
  raw: Float64Array,
  y: Int32Array,
  K: number,
  grad: Float64Array,
  hess: Float64Array,
  prob: Float64Array,
): void {
  const n = y.length;
  for (let r = 0; r < n; r++) {
    softmaxRow(raw, r * K, K, prob, 0);
    for (let k = 0; k < K; k++) {
      const p = prob[k];
      grad[k * n + r] = p - (y[r] === k ? 1 : 0);
      hess[k * n + r] = Math.max(p * (1 - p), MIN_HESSIAN);
    }
  }
}

/** Writes softmax(raw[from, from + K)) into out[at, at + K). */
export function softmaxRow(raw: Float64Array, from: number, K: number, out: Float64Array, at: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, raw[from + k]);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(raw[from + k] - max);
    out[at + k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[at + k] /= sum;
}

export function meanSquaredError(raw: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let r = 0; r < y.length; r++) {
    const d = raw[r] - y[r];
    s += d * d;
  }
  return s / y.length;
}

/** Mean negative log-likelihood of softmax(raw). */
export function softmaxLogLoss(raw: Float64Array, y: Int32Array, K: number): number {
  let s = 0;
  for (let r = 0; r < y.length; r++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, raw[r * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(raw[r * K + k] - max);
    s += Math.log(sum) + max - raw[r * K + y[r]];
  }
  return s / y.length;
}

/** Starting scores: the mean target, or the log class priors. */
export function initialScores(y: Float64Array | Int32Array, K: number, classification: boolean): Float64Array {
  const base = new Float64Array(K);
  if (!classification) {
    let s = 0;
    for (let r = 0; r < y.length; r++) s += y[r];
    base[0] = s / y.length;
    return base;
  }
  for (let r = 0; r < y.length; r++) base[y[r]] += 1;
  for (let k = 0; k < K; k++) base[k] = Math.log(Math.max(base[k] / y.length, MIN_PROBABILITY));
  return base;
}
