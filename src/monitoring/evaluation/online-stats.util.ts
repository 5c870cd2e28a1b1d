/**
 * The statistics of online evaluation: per-row losses summarised as moments, the fixed-sample intervals of a
 * difference of mean losses (Welch for two independent arms, paired t for the same rows scored twice), and an
 * always-valid confidence sequence of that difference (a normal mixture, Robbins 1970; Johari, Pekelis and Walsh,
 * "Always valid inference", 2017; Howard et al., "Time-uniform, nonparametric, nonasymptotic confidence sequences",
 * 2021), which stays valid however often it is looked at: evaluations run every EVALUATION_INTERVAL_S as feedback
 * arrives, and a fixed-sample test read that often would promote an equal challenger far more often than α.
 * Plain functions, no I/O.
 */

import { studentTQuantile } from './distributions.util';

/**
 * Count, mean and variance of a set of per-row values, such that variance / n is the variance of the mean: the
 * sample variance (n − 1 denominator; NaN below 2 values) of independent rows, or the cluster-robust equivalent of
 * rows observed in `units` groups (see clusteredMoments).
 */
export interface Moments {
  n: number;
  mean: number;
  variance: number;
  /** The independent units the rows came in (default: every row is one); the degrees of freedom follow them. */
  units?: number;
}

/** An interval of `estimate`: challenger − champion mean loss (negative: the challenger's loss is lower). */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface FixedInterval extends Interval {
  method: 'welch' | 'paired_t';
  /** Degrees of freedom (Welch–Satterthwaite, or pairs − 1; over units when rows came in units). */
  df: number;
}

export type Verdict = 'collecting' | 'challenger_better' | 'champion_better' | 'inconclusive';

/** One challenger against the champion: the decision rests on the sequence; the fixed interval is information. */
export interface LossComparison {
  difference: number;
  sequence: Interval;
  fixed: FixedInterval;
  verdict: Verdict;
}

/** Moments by Welford's update (no cancellation, unlike sums of squares). */
export function moments(values: ArrayLike<number>): Moments {
  let [n, mean, m2] = [0, 0, 0];
  for (let i = 0; i < values.length; i++) {
    n++;
    const delta = values[i] - mean;
    mean += delta / n;
    m2 += delta * (values[i] - mean);
  }
  return { n, mean: n > 0 ? mean : NaN, variance: n > 1 ? m2 / (n - 1) : NaN };
}

/** Moments from a count, a sum and a sum of squares (as a database aggregates them). */
export function momentsFromSums(n: number, sum: number, sumOfSquares: number): Moments {
  if (n === 0) return { n, mean: NaN, variance: NaN };
  const mean = sum / n;
  return { n, mean, variance: n > 1 ? Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1)) : NaN };
}

/**
 * Moments of per-row values that came in `units` groups whose rows share their fate (the rows of one request go
 * to one arm together, and resemble each other): with S_j and n_j the sum and size of unit j, N = Σ n_j and
 * μ = Σ S_j / N, the variance of μ is estimated by the cluster-robust (ratio, delta-method) formula
 *
 *   Var(μ) = m / (m − 1) · Σ_j (S_j − μ·n_j)² / N²,   m units,
 *
 * which is s² / N when every unit is one row. Treating correlated rows as independent would understate it (and
 * promote an equal challenger whenever its requests happened to be easier).
 */
export function clusteredMoments(sums: {
  n: number;
  sum: number;
  units: number;
  unitSquares: number;
  unitSizes: number;
  unitCross: number;
}): Moments {
  const { n, sum, units } = sums;
  if (n === 0) return { n, mean: NaN, variance: NaN, units };
  const mean = sum / n;
  if (units < 2) return { n, mean, variance: NaN, units };
  const deviations = Math.max(0, sums.unitSquares - 2 * mean * sums.unitCross + mean * mean * sums.unitSizes);
  const varianceOfMean = ((units / (units - 1)) * deviations) / (n * n);
  return { n, mean, variance: varianceOfMean * n, units };
}

/** clusteredMoments of per-row `values`, the unit of each row given (`units[i]`: a request id). */
export function momentsByUnit(values: readonly number[], units: readonly (number | string)[]): Moments {
  const sums = new Map<number | string, { sum: number; size: number }>();
  values.forEach((value, i) => {
    const unit = sums.get(units[i]) ?? { sum: 0, size: 0 };
    sums.set(units[i], { sum: unit.sum + value, size: unit.size + 1 });
  });
  let [sum, unitSquares, unitSizes, unitCross] = [0, 0, 0, 0];
  for (const unit of sums.values()) {
    sum += unit.sum;
    unitSquares += unit.sum * unit.sum;
    unitSizes += unit.size * unit.size;
    unitCross += unit.sum * unit.size;
  }
  return clusteredMoments({ n: values.length, sum, units: sums.size, unitSquares, unitSizes, unitCross });
}

/** Welch's interval of challenger − champion mean loss, two independent samples (unequal variances). */
export function welchInterval(champion: Moments, challenger: Moments, confidence: number): FixedInterval {
  const [va, vb] = [champion.variance / champion.n, challenger.variance / challenger.n];
  const [ua, ub] = [champion.units ?? champion.n, challenger.units ?? challenger.n];
  const df = (va + vb) ** 2 / (va ** 2 / (ua - 1) + vb ** 2 / (ub - 1));
  const estimate = challenger.mean - champion.mean;
  const half = va + vb === 0 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, df) * Math.sqrt(va + vb);
  return { method: 'welch', estimate, lower: estimate - half, upper: estimate + half, df };
}

/** The paired-t interval of the mean of per-row differences (challenger − champion on the same rows). */
export function pairedInterval(differences: Moments, confidence: number): FixedInterval {
  const { n, mean, variance } = differences;
  const df = (differences.units ?? n) - 1;
  const half = variance === 0 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, df) * Math.sqrt(variance / n);
  return { method: 'paired_t', estimate: mean, lower: mean - half, upper: mean + half, df };
}

/**
 * The radius of the two-sided normal-mixture confidence sequence of an estimate whose variance is `v` now and
 * would be `v0` at the planned minimum sample:
 *
 *   radius = √( v · (1 + c/r) · ln((r + c) / (c · α²)) ),  r = v0 / v (the information gathered, 1 at v0),
 *   c = 1 / (2 ln(1/α) + ln(1 + 2 ln(1/α)))
 *
 * In information time I = 1/v the estimate is a Brownian motion; mixing its drift over N(0, 1/ρ) gives the
 * martingale √(ρ/(I+ρ)) · exp(S²/(2(I+ρ))) with S = I·(estimate − θ), and Ville's inequality bounds the chance that
 * it ever exceeds 1/α. The mixing precision ρ = c · I0 makes the sequence tightest at the minimum sample
 * (ρ = c · I0: the tuning of Howard et al. 2021 and of Waudby-Smith et al., "Time-uniform central limit theory
 * and asymptotic confidence sequences", 2024). Variances are plug-in estimates: the sequence is asymptotically valid.
 */
export function mixtureRadius(v: number, v0: number, alpha: number): number {
  if (v === 0 || v0 === 0) return 0;
  const logInverse = Math.log(1 / alpha);
  const c = 1 / (2 * logInverse + Math.log(1 + 2 * logInverse));
  const r = v0 / v;
  return Math.sqrt(v * (1 + c / r) * Math.log((r + c) / (c * alpha * alpha)));
}

/**
 * One challenger against the champion on per-row losses. `differences`: the per-row challenger − champion losses
 * of rows both scored (shadow), whose arms' moments are then those of the same rows; without it the arms are
 * independent (canary, A/B). `confidence`: of the sequence; the challenger is better when its upper end is below 0
 * and both arms have at least `minSamples` rows (worse when its lower end is above 0).
 */
export function compareLosses(
  arms: { champion: Moments; challenger: Moments; differences?: Moments },
  rule: { confidence: number; minSamples: number },
): LossComparison {
  const { champion, challenger, differences } = arms;
  const alpha = 1 - rule.confidence;
  const enough = Math.min(champion.n, challenger.n) >= Math.max(2, rule.minSamples);
  const n0 = Math.max(2, rule.minSamples);
  let fixed: FixedInterval;
  let v: number;
  let v0: number;
  if (differences) {
    fixed = pairedInterval(differences, rule.confidence);
    [v, v0] = [differences.variance / differences.n, differences.variance / n0];
  } else {
    fixed = welchInterval(champion, challenger, rule.confidence);
    v = champion.variance / champion.n + challenger.variance / challenger.n;
    v0 = (champion.variance + challenger.variance) / n0;
  }
  const estimate = fixed.estimate;
  const radius = mixtureRadius(v, v0, alpha);
  const sequence = { estimate, lower: estimate - radius, upper: estimate + radius };
  const valid = [sequence.lower, sequence.upper].every(Number.isFinite);
  const verdict: Verdict =
    !enough || !valid
      ? 'collecting'
      : sequence.upper < 0
        ? 'challenger_better'
        : sequence.lower > 0
          ? 'champion_better'
          : 'inconclusive';
  return { difference: estimate, sequence, fixed, verdict };
}
