/** Median of the values (the average of the middle two for an even count), as scikit-learn imputes; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Plain arithmetic mean; NaN when empty. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

const ascending = <T extends number | string>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/** The most frequent value; a tie goes to the smallest value in sort order; undefined when empty. */
export function mode<T extends number | string>(values: readonly T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && ascending(value, best) < 0)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

/** The distinct values in sort order (UTF-16 code units, as `Array.prototype.sort`). */
export function sortedDistinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort(ascending);
}
