import type { FeatureDefinition } from './feature-spec';

/** Summary of one feature over the training part, stored with the split as the drift reference. */
export interface FeatureProfile {
  name: string;
  kind: FeatureDefinition['kind'];
  count: number;
  missing: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  /**
   * Quantile bins: `edges` are the distinct inner bin edges; bin i holds values in (edges[i-1], edges[i]], the first
   * bin everything up to edges[0], the last everything above the last edge. `counts` has edges.length + 1 entries
   * and sums to count - missing.
   */
  bins: { edges: number[]; counts: number[] };
  /** Values at the 0th, 1st, …, 100th percentile (for Kolmogorov–Smirnov comparisons). */
  percentiles: number[];
}

/** Linear-interpolation quantile of sorted values (NumPy's default method). */
export function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/** Index of the bin a value falls in: the number of edges strictly below it. */
export function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function profileColumn(values: Float64Array, feature: FeatureDefinition, nBins: number): FeatureProfile {
  const present = values.filter((v) => !Number.isNaN(v)).sort();
  const n = present.length;
  const base = { name: feature.name, kind: feature.kind, count: values.length, missing: values.length - n };
  if (n === 0) {
    return { ...base, min: null, max: null, mean: null, std: null, bins: { edges: [], counts: [0] }, percentiles: [] };
  }
  let sum = 0;
  for (const v of present) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of present) squares += (v - mean) ** 2;
  const edges = [...new Set(Array.from({ length: nBins - 1 }, (_, i) => quantile(present, (i + 1) / nBins)))];
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of present) counts[binIndex(edges, v)]++;
  const percentiles = Array.from({ length: 101 }, (_, i) => quantile(present, i / 100));
  return {
    ...base,
    min: present[0],
    max: present[n - 1],
    mean,
    std: Math.sqrt(squares / n),
    bins: { edges, counts },
    percentiles,
  };
}

/** Profiles every column of a row-major matrix (NaN counts as missing). */
export function profileFeatures(
  matrix: Float64Array,
  features: readonly FeatureDefinition[],
  nBins: number,
): FeatureProfile[] {
  const width = features.length;
  const rows = matrix.length / width;
  return features.map((feature, j) => {
    const column = new Float64Array(rows);
    for (let i = 0; i < rows; i++) column[i] = matrix[i * width + j];
    return profileColumn(column, feature, nBins);
  });
}
