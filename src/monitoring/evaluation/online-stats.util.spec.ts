import { Rng } from '../../ml/random';
import { normalQuantile, studentTQuantile } from './distributions.util';
import {
  clusteredMoments,
  compareLosses,
  mixtureRadius,
  Moments,
  moments,
  momentsByUnit,
  momentsFromSums,
  pairedInterval,
  welchInterval,
} from './online-stats.util';

/** A standard normal draw (Box–Muller). */
const gaussian = (rng: Rng): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());

/** A running sum of per-row losses, as the database aggregates an arm. */
class Arm {
  n = 0;
  sum = 0;
  squares = 0;
  add(loss: number): void {
    [this.n, this.sum, this.squares] = [this.n + 1, this.sum + loss, this.squares + loss * loss];
  }
  get moments(): Moments {
    return momentsFromSums(this.n, this.sum, this.squares);
  }
}

/**
 * A canary or A/B experiment monitored continuously: rows arrive one at a time, a share `split` of them on the
 * challenger; each row's loss is a squared error (σ·z)² (heavy-tailed, like a regressor's); the rule is read every
 * `every` rows, up to `rows` in all. Returns the row count at the first promotion, or undefined.
 */
function experiment(options: {
  seed: number;
  championSigma: number;
  challengerSigma: number;
  split: number;
  rows: number;
  every: number;
  decide: (champion: Moments, challenger: Moments) => boolean;
}): number | undefined {
  const rng = new Rng(options.seed);
  const [champion, challenger] = [new Arm(), new Arm()];
  for (let row = 1; row <= options.rows; row++) {
    const onChallenger = rng.next() < options.split;
    const z = gaussian(rng);
    if (onChallenger) challenger.add((options.challengerSigma * z) ** 2);
    else champion.add((options.championSigma * z) ** 2);
    if (row % options.every === 0 && options.decide(champion.moments, challenger.moments)) return row;
  }
  return undefined;
}

const RULE = { confidence: 0.95, minSamples: 200 };
const alwaysValid = (champion: Moments, challenger: Moments): boolean =>
  compareLosses({ champion, challenger }, RULE).verdict === 'challenger_better';
/** The mistake the sequence avoids: a fixed-sample Welch interval read at every evaluation. */
const peekingWelch = (champion: Moments, challenger: Moments): boolean =>
  Math.min(champion.n, challenger.n) >= RULE.minSamples &&
  welchInterval(champion, challenger, RULE.confidence).upper < 0;

describe('online statistics', () => {
  it('computes moments by Welford and from sums alike', () => {
    const values = [1.5, 2.5, 0.5, 4, 3.25];
    const sums = momentsFromSums(
      5,
      11.75,
      values.reduce((s, v) => s + v * v, 0),
    );
    expect(moments(values)).toEqual({ n: 5, mean: 2.35, variance: expect.closeTo(1.925, 12) });
    expect(sums.variance).toBeCloseTo(1.925, 12);
    expect(moments([])).toEqual({ n: 0, mean: NaN, variance: NaN });
    expect(moments([3]).variance).toBeNaN();
  });

  it('gives cluster-robust moments: the plain ones for single-row units, wider ones for correlated units', () => {
    const values = [1.5, 2.5, 0.5, 4, 3.25];
    const single = clusteredMoments({
      n: 5,
      sum: 11.75,
      units: 5,
      unitSquares: values.reduce((s, v) => s + v * v, 0),
      unitSizes: 5,
      unitCross: 11.75,
    });
    expect(single).toEqual({ n: 5, mean: 2.35, variance: expect.closeTo(1.925, 12), units: 5 });
    // Two requests of three rows each, alike within a request: 6 rows but 2 units of information.
    const units = [
      [1, 1.1, 0.9],
      [3, 3.1, 2.9],
    ];
    const sums = units.map((u) => u.reduce((a, b) => a + b, 0));
    const clustered = clusteredMoments({
      n: 6,
      sum: 12,
      units: 2,
      unitSquares: sums.reduce((s, v) => s + v * v, 0),
      unitSizes: 18,
      unitCross: sums.reduce((s, v) => s + 3 * v, 0),
    });
    // Var(mean) = 2/1 · ((3 − 6)² + (9 − 6)²) / 36 = 1: the variance of the mean of the two unit means.
    expect(clustered.variance / clustered.n).toBeCloseTo(1, 12);
    expect(momentsByUnit(units.flat(), ['a', 'a', 'a', 'b', 'b', 'b'])).toEqual(clustered);
    expect(clustered.variance / 6).toBeGreaterThan(moments(units.flat()).variance / 6);
  });

  it('gives the normal and Student t quantiles (scipy.stats values)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(1e-5)).toBeCloseTo(-4.264890793922825, 7);
    expect(normalQuantile(0.5)).toBe(0);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 9);
    expect(studentTQuantile(0.975, 3.7)).toBeCloseTo(2.8675207071911895, 8);
    expect(studentTQuantile(0.995, 1)).toBeCloseTo(63.656741162871526, 6);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228138851986274, 9);
  });

  it("gives Welch's interval of the difference (scipy.stats.ttest_ind(equal_var=False))", () => {
    const a = moments([1.2, 0.8, 1.9, 2.4, 0.3, 1.1, 0.7, 1.5]);
    const b = moments([0.4, 0.9, 0.2, 1.1, 0.6, 0.3, 0.5, 0.8, 0.1, 0.7]);
    const interval = welchInterval(a, b, 0.95);
    expect(interval.method).toBe('welch');
    expect(interval.estimate).toBeCloseTo(-0.6775, 12);
    expect(interval.df).toBeCloseTo(9.473630175611456, 9);
    expect(interval.lower).toBeCloseTo(-1.2633699957477775, 8);
    expect(interval.upper).toBeCloseTo(-0.09163000425222245, 8);
  });

  it('gives the paired-t interval of the mean difference (scipy.stats.ttest_rel)', () => {
    const champion = [0.5, 1.4, 0.9, 1.7, 1.1, 0.2];
    const challenger = [0.3, 1.0, 1.0, 1.2, 0.6, 0.1];
    const interval = pairedInterval(moments(challenger.map((c, i) => c - champion[i])), 0.9);
    expect(interval).toMatchObject({ method: 'paired_t', df: 5 });
    expect(interval.lower).toBeCloseTo(-0.4659199826364927, 8);
    expect(interval.upper).toBeCloseTo(-0.06741335069684073, 8);
  });

  it('makes the sequence wider than the fixed interval, tightest relative to it near the minimum sample', () => {
    const z = normalQuantile(0.975);
    const ratio = (n: number): number => mixtureRadius(1 / n, 1 / 200, 0.05) / (z * Math.sqrt(1 / n));
    expect(ratio(200)).toBeGreaterThan(1);
    expect(ratio(200)).toBeLessThan(1.7);
    expect(ratio(20)).toBeGreaterThan(ratio(200));
    expect(ratio(20_000)).toBeGreaterThan(ratio(200));
    // The radius still shrinks as rows arrive.
    expect(mixtureRadius(1 / 20_000, 1 / 200, 0.05)).toBeLessThan(mixtureRadius(1 / 2000, 1 / 200, 0.05));
  });

  it('covers the true mean at every look of a whole stream in ≥ 95% of streams (time-uniform coverage)', () => {
    let missed = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Rng(seed);
      const stream = new Arm();
      let covered = true;
      for (let i = 1; i <= 5000 && covered; i++) {
        stream.add(2 + gaussian(rng)); // true mean 2: the paired sequence of mean differences
        if (i < 20 || i % 10 !== 0) continue;
        const m = stream.moments;
        const radius = mixtureRadius(m.variance / m.n, m.variance / 200, 0.05);
        covered = Math.abs(m.mean - 2) <= radius;
      }
      if (!covered) missed++;
    }
    expect(missed).toBeLessThanOrEqual(10);
  });

  it('promotes an equal challenger in at most 1 of 20 seeded experiments read after every 10 rows', () => {
    const promoted = [...Array(20).keys()].filter(
      (seed) =>
        experiment({
          seed: 1000 + seed,
          championSigma: 1,
          challengerSigma: 1,
          split: 0.5,
          rows: 10_000,
          every: 10,
          decide: alwaysValid,
        }) !== undefined,
    );
    expect(promoted.length).toBeLessThanOrEqual(1);
  });

  it('while the same fixed-sample Welch interval, read as often, promotes an equal challenger far more often', () => {
    const run = (decide: typeof alwaysValid) =>
      [...Array(100).keys()].filter(
        (seed) =>
          experiment({
            seed: 5000 + seed,
            championSigma: 1,
            challengerSigma: 1,
            split: 0.5,
            rows: 10_000,
            every: 10,
            decide,
          }) !== undefined,
      ).length;
    const [sequential, peeking] = [run(alwaysValid), run(peekingWelch)];
    expect(sequential).toBeLessThanOrEqual(5);
    expect(peeking).toBeGreaterThan(2 * Math.max(sequential, 5));
  });

  it('stays valid when an arm is assigned per request of many alike rows (cluster-robust variance)', () => {
    /** Requests of 20 rows sharing a difficulty; each request goes to one arm; the arms are equal. */
    const run = (seed: number, robust: boolean): boolean => {
      const rng = new Rng(seed);
      const arms = [0, 1].map(() => ({
        n: 0,
        sum: 0,
        squares: 0,
        units: 0,
        unitSquares: 0,
        unitSizes: 0,
        unitCross: 0,
      }));
      for (let request = 1; request <= 300; request++) {
        const arm = arms[rng.next() < 0.5 ? 0 : 1];
        const difficulty = Math.exp(gaussian(rng));
        let unitSum = 0;
        for (let row = 0; row < 20; row++) {
          const loss = difficulty * (1 + 0.2 * gaussian(rng)) ** 2;
          [arm.n, arm.sum, arm.squares, unitSum] = [
            arm.n + 1,
            arm.sum + loss,
            arm.squares + loss * loss,
            unitSum + loss,
          ];
        }
        arm.units++;
        arm.unitSquares += unitSum * unitSum;
        arm.unitSizes += 400;
        arm.unitCross += unitSum * 20;
        const [a, b] = robust
          ? [clusteredMoments(arms[0]), clusteredMoments(arms[1])]
          : arms.map((x) => momentsFromSums(x.n, x.sum, x.squares));
        if (compareLosses({ champion: a, challenger: b }, RULE).verdict === 'challenger_better') return true;
      }
      return false;
    };
    const seeds = [...Array(40).keys()].map((i) => 20_000 + i);
    const [robust, naive] = [seeds.filter((s) => run(s, true)).length, seeds.filter((s) => run(s, false)).length];
    expect(robust).toBeLessThanOrEqual(2);
    expect(naive).toBeGreaterThan(4 * Math.max(robust, 1));
  });

  it('promotes a truly better challenger in every seeded canary, after its minimum sample', () => {
    for (let seed = 0; seed < 20; seed++) {
      const at = experiment({
        seed: 9000 + seed,
        championSigma: 1,
        challengerSigma: 0.8, // 36% lower mean squared error
        split: 0.2,
        rows: 20_000,
        every: 10,
        decide: alwaysValid,
      });
      expect(at).toBeDefined();
      expect(at ?? 0).toBeGreaterThanOrEqual(200);
    }
  });

  it('decides on paired differences when the same rows were scored twice (shadow)', () => {
    const rng = new Rng(7);
    const [champion, challenger, differences] = [[], [], []] as number[][];
    for (let i = 0; i < 400; i++) {
      const z = gaussian(rng);
      const base = z * z;
      champion.push(base + 0.05);
      challenger.push(base + 0.05 * gaussian(rng) - 0.02);
      differences.push(challenger[i] - champion[i]);
    }
    const arms = { champion: moments(champion), challenger: moments(challenger) };
    const paired = compareLosses({ ...arms, differences: moments(differences) }, RULE);
    // Pairing removes the rows' shared difficulty: the paired sequence sees what independent arms cannot.
    expect(paired.verdict).toBe('challenger_better');
    expect(paired.fixed.method).toBe('paired_t');
    expect(compareLosses(arms, RULE).verdict).toBe('inconclusive');
  });

  it('keeps collecting below the minimum sample, and says when the champion is better', () => {
    const better = moments([1, 1.1, 0.9, 1, 1.05, 0.95]);
    const worse = moments([3, 3.1, 2.9, 3, 3.05, 2.95]);
    expect(compareLosses({ champion: better, challenger: worse }, { confidence: 0.95, minSamples: 10 }).verdict).toBe(
      'collecting',
    );
    const result = compareLosses({ champion: better, challenger: worse }, { confidence: 0.95, minSamples: 5 });
    expect(result.verdict).toBe('champion_better');
    expect(result.sequence.lower).toBeGreaterThan(0);
    expect(result.sequence.lower).toBeLessThan(result.fixed.lower);
  });
});
