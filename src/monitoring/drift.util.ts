import { binIndex, FeatureProfile } from '../data/profile.util';

/** Floor for an empty bin's share, so PSI stays finite (Evidently's and NannyML's choice). */
const PSI_EPSILON = 1e-4;

/**
 * Population stability index of `values` against the reference's quantile bins:
 * Σ (current − reference) · ln(current / reference) over the bins, with empty bins floored at 0.0001.
 * Values that are NaN are ignored. Returns null when there is nothing to compare.
 */
export function psi(reference: FeatureProfile['bins'], values: ArrayLike<number>): number | null {
  const counts = new Array<number>(reference.counts.length).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    counts[binIndex(reference.edges, v)]++;
    n++;
  }
  const total = reference.counts.reduce((a, b) => a + b, 0);
  if (n === 0 || total === 0) return null;
  let sum = 0;
  for (let b = 0; b < counts.length; b++) {
    const expected = Math.max(reference.counts[b] / total, PSI_EPSILON);
    const actual = Math.max(counts[b] / n, PSI_EPSILON);
    sum += (actual - expected) * Math.log(actual / expected);
  }
  return sum;
}

/**
 * The reference distribution function at x, from its 0th…100th percentiles (linear between them, as the
 * percentiles were computed). For a value repeated over several percentiles it gives the highest one.
 */
export function referenceCdf(percentiles: readonly number[], x: number): number {
  const last = percentiles.length - 1;
  if (x < percentiles[0]) return 0;
  if (x >= percentiles[last]) return 1;
  // Largest i with percentiles[i] <= x.
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (percentiles[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  const width = percentiles[lo + 1] - percentiles[lo];
  const within = width > 0 ? (x - percentiles[lo]) / width : 0;
  return (lo + within) / last;
}

/** Kolmogorov's limiting distribution: P(K > λ) = 2 Σ (−1)^(j−1) e^(−2 j² λ²). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += (j % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface KsResult {
  /** sup |F_current − F_reference|. */
  statistic: number;
  /** Asymptotic two-sample p-value (Stephens' small-sample correction), for n current and m reference rows. */
  pValue: number;
}

/**
 * Two-sample Kolmogorov–Smirnov statistic of `values` against the reference, whose distribution function comes
 * from its stored percentiles (`referenceRows` rows). NaN values are ignored; null when there is nothing to compare.
 */
export function ks(percentiles: readonly number[], referenceRows: number, values: ArrayLike<number>): KsResult | null {
  const sorted = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]);
  const n = sorted.length;
  if (n === 0 || percentiles.length < 2 || referenceRows <= 0) return null;
  sorted.sort();
  let statistic = 0;
  // The empirical CDF jumps at each distinct value: compare just below and at the jump.
  for (let i = 0; i < n;) {
    const x = sorted[i];
    let j = i;
    while (j < n && sorted[j] === x) j++;
    const f = referenceCdf(percentiles, x);
    const below = referenceCdfBelow(percentiles, x);
    statistic = Math.max(statistic, Math.abs(i / n - below), Math.abs(j / n - f));
    i = j;
  }
  // Between the sample's jumps the reference keeps rising: check it at its own percentile points too.
  for (let p = 0; p < percentiles.length; p++) {
    const x = percentiles[p];
    const current = upperBound(sorted, x) / n;
    statistic = Math.max(statistic, Math.abs(current - referenceCdf(percentiles, x)));
  }
  const en = Math.sqrt((n * referenceRows) / (n + referenceRows));
  return { statistic, pValue: kolmogorovSurvival((en + 0.12 + 0.11 / en) * statistic) };
}

/** The reference CDF just below x (differs from referenceCdf(x) where x is an atom, e.g. a repeated value). */
function referenceCdfBelow(percentiles: readonly number[], x: number): number {
  const last = percentiles.length - 1;
  if (x <= percentiles[0]) return 0;
  if (x > percentiles[last]) return 1;
  // Smallest i with percentiles[i] >= x.
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (percentiles[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  if (percentiles[lo] > x) {
    const width = percentiles[lo] - percentiles[lo - 1];
    return (lo - 1 + (x - percentiles[lo - 1]) / width) / last;
  }
  return lo / last;
}

/** Number of sorted values ≤ x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type DriftStatus = 'ok' | 'warn' | 'drift';

const RANK: Record<DriftStatus, number> = { ok: 0, warn: 1, drift: 2 };

/** The more severe of two statuses. */
export function worst(a: DriftStatus, b: DriftStatus): DriftStatus {
  return RANK[a] >= RANK[b] ? a : b;
}
