import { InvalidInputError } from './invalid-input.error';
import { float32SplitAbove, nextFloat32, thresholdBelowFloat32 } from './float32-split.util';
import { shortestBetween } from './precision.util';

/** Largest number of value bins per feature; one more code (the missing-value bin) must still fit in a byte. */
export const MAX_BINS = 255;

export interface QuantileBinnerOptions {
  /** Value bins per feature, 2..255 (default 255). Missing values get one extra bin. */
  maxBins?: number;
  /** Rows used to fit the bins (default: all rows). */
  rows?: Int32Array;
}

/**
 * Maps each feature to at most `maxBins` quantile bins. Bin b holds values v with thresholds[b-1] < v <= thresholds[b];
 * NaN gets the extra code `nBins(f)`. Values that are the same float32 share a bin, and each threshold is the
 * boundary of a float32 split condition c halfway between its neighbouring training values (`x <= t` exactly when
 * `fround(x) < c`): trees compare raw values at inference exactly as training compared bins, and every tree is also
 * exactly an XGBoost tree, which compares float32 values (see float32-split.util).
 */
export class QuantileBinner {
  private constructor(readonly thresholds: readonly Float64Array[]) {}

  get nFeatures(): number {
    return this.thresholds.length;
  }

  /** Number of value bins of feature f; its missing-value code equals this number. */
  nBins(f: number): number {
    return this.thresholds[f].length + 1;
  }

  static fit(X: Float64Array, nFeatures: number, options: QuantileBinnerOptions = {}): QuantileBinner {
    const maxBins = options.maxBins ?? MAX_BINS;
    if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS) {
      throw new InvalidInputError(`maxBins must be an integer in [2, ${MAX_BINS}]`);
    }
    const nRows = X.length / nFeatures;
    const rows = options.rows ?? Int32Array.from({ length: nRows }, (_, i) => i);
    const values = new Float64Array(rows.length);
    const thresholds: Float64Array[] = [];
    for (let f = 0; f < nFeatures; f++) {
      let n = 0;
      for (let i = 0; i < rows.length; i++) {
        const v = X[rows[i] * nFeatures + f];
        if (v === v) values[n++] = v;
      }
      thresholds.push(fitFeature(values.subarray(0, n).sort(), maxBins));
    }
    return new QuantileBinner(thresholds);
  }

  /** Row-major bin codes (nRows × nFeatures). */
  transform(X: Float64Array, nRows = X.length / this.nFeatures): Uint8Array {
    const nF = this.nFeatures;
    const out = new Uint8Array(nRows * nF);
    for (let f = 0; f < nF; f++) {
      const thr = this.thresholds[f];
      const missing = thr.length + 1;
      for (let r = 0; r < nRows; r++) {
        const v = X[r * nF + f];
        out[r * nF + f] = v === v ? binOf(thr, v) : missing;
      }
    }
    return out;
  }
}

/** Index of the first threshold >= v (binary search), i.e. the bin of v. */
function binOf(thr: Float64Array, v: number): number {
  let lo = 0;
  let hi = thr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= thr[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Thresholds for one feature from its sorted non-missing values. */
function fitFeature(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || Math.fround(sorted[i]) !== Math.fround(sorted[i - 1])) {
      distinct.push(sorted[i]);
      counts.push(1);
    } else {
      counts[counts.length - 1]++;
    }
  }
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) edges.push(thresholdBetween(distinct[i], distinct[i + 1]));
    return Float64Array.from(edges);
  }
  // Greedy equal-frequency cuts; the target is re-spread over the remaining bins after each cut, so a heavy value
  // that fills several quantiles costs one bin instead of leaving the tail short of bins.
  let cumulative = 0;
  let target = n / maxBins;
  for (let i = 0; i + 1 < distinct.length && edges.length < maxBins - 1; i++) {
    cumulative += counts[i];
    if (cumulative >= target) {
      edges.push(thresholdBetween(distinct[i], distinct[i + 1]));
      target = cumulative + (n - cumulative) / (maxBins - edges.length);
    }
  }
  return Float64Array.from(edges);
}

/**
 * The threshold between neighbouring values of different float32 roundings: the boundary of the float32 condition
 * nearest the short decimal halfway between them, kept within (fround(lo), fround(hi)] so that lo goes left and hi
 * right. (The last value of a float32 group is lo; the first of the next, hi.)
 */
function thresholdBetween(lo: number, hi: number): number {
  const low = nextFloat32(Math.fround(lo), true);
  const high = Math.fround(hi);
  const c = Math.min(high, Math.max(low, float32SplitAbove(shortestBetween(lo, hi))));
  return thresholdBelowFloat32(c);
}
