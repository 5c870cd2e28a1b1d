/**
 * Number formatting that keeps stored models compact. Models always predict with the rounded values they store,
 * so a JSON round trip reproduces predictions exactly.
 */

/** Rounds to `digits` significant digits (7 keeps leaf values well below any useful precision loss). */
export function roundSignificant(value: number, digits = 7): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

/** The number with the fewest significant digits in [lo, hi): a threshold that separates lo (left) from hi. */
export function shortestBetween(lo: number, hi: number): number {
  const mid = lo + (hi - lo) / 2;
  for (let digits = 1; digits <= 17; digits++) {
    const candidate = Number(mid.toPrecision(digits));
    if (candidate >= lo && candidate < hi) return candidate;
  }
  return lo;
}
