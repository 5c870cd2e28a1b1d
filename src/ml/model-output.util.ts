/** Index of the largest score in each row of a row-major nRows × K matrix (first one on ties). */
export function argmaxRows(scores: Float64Array, K: number): Float64Array {
  const nRows = scores.length / K;
  const out = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[r * K + k] > scores[r * K + best]) best = k;
    out[r] = best;
  }
  return out;
}

/** Scales non-negative values to sum 1 (all zeros stay zeros). */
export function normalise(values: Float64Array): Float64Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum > 0 ? values.map((v) => v / sum) : new Float64Array(values.length);
}
