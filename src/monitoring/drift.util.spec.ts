import fc from 'fast-check';
import { HOUSING_DATASET } from '../../test/support/housing-dataset';
import { Rng } from '../ml/random';
import { kolmogorovSurvival, ks, psi, referenceCdf, worst } from './drift.util';

const UNIFORM_PERCENTILES = Array.from({ length: 101 }, (_, i) => i / 100);

/** One-sample KS statistic against U(0, 1), computed the textbook way. */
function ksUniform(values: number[]): number {
  const x = [...values].sort((a, b) => a - b);
  const n = x.length;
  let d = 0;
  x.forEach((v, i) => (d = Math.max(d, (i + 1) / n - v, v - i / n)));
  return d;
}

describe('drift statistics', () => {
  it('computes PSI over the reference bins, flooring empty bins at 0.0001', () => {
    const bins = { edges: [1, 2], counts: [50, 30, 20] };
    // current: 2 of 10 in bin 0, 3 in bin 1, 5 in bin 2
    const values = [0, 0.5, 1.5, 1.7, 2, 3, 4, 5, 6, 7];
    const expected = [0.5, 0.3, 0.2].reduce((s, e, b) => {
      const a = [0.2, 0.3, 0.5][b];
      return s + (a - e) * Math.log(a / e);
    }, 0);
    expect(psi(bins, values)).toBeCloseTo(expected, 12);
    const floor = (e: number): number => (1e-4 - e) * Math.log(1e-4 / e);
    expect(psi(bins, [0, 0, 0])).toBeCloseTo(0.5 * Math.log(2) + floor(0.3) + floor(0.2), 12);
    expect(psi(bins, [])).toBeNull();
    expect(psi(bins, [NaN])).toBeNull();
  });

  it('gives PSI ≈ 0 for a sample of the reference distribution and a large PSI for a shifted one', () => {
    const rng = new Rng(5);
    const edges = Array.from({ length: 9 }, (_, i) => (i + 1) / 10);
    const bins = { edges, counts: new Array<number>(10).fill(1000) };
    const same = Array.from({ length: 5000 }, () => rng.next());
    const shifted = same.map((v) => v * 1.5);
    expect(psi(bins, same)).toBeLessThan(0.01);
    expect(psi(bins, shifted)).toBeGreaterThan(0.25);
  });

  it('matches the textbook KS statistic against a uniform reference', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
        const result = ks(UNIFORM_PERCENTILES, 1e9, values);
        expect(result?.statistic).toBeCloseTo(ksUniform(values), 9);
      }),
    );
  });

  it('reads the reference CDF from percentiles, atoms included', () => {
    expect(referenceCdf(UNIFORM_PERCENTILES, 0.255)).toBeCloseTo(0.255, 12);
    expect(referenceCdf(UNIFORM_PERCENTILES, -1)).toBe(0);
    expect(referenceCdf(UNIFORM_PERCENTILES, 2)).toBe(1);
    // An indicator: 70 % zeros, 30 % ones.
    const indicator = Array.from({ length: 101 }, (_, i) => (i <= 70 ? 0 : 1));
    expect(referenceCdf(indicator, 0)).toBeCloseTo(0.7, 12);
    const sample = [...new Array<number>(70).fill(0), ...new Array<number>(30).fill(1)];
    // 101 percentiles resolve the reference to 1 %: that is the statistic's resolution.
    expect(ks(indicator, 10_000, sample)?.statistic).toBeLessThanOrEqual(0.0100001);
    const flipped = [...new Array<number>(30).fill(0), ...new Array<number>(70).fill(1)];
    expect(Math.abs((ks(indicator, 10_000, flipped)?.statistic ?? 0) - 0.4)).toBeLessThanOrEqual(0.0100001);
  });

  it('computes the Kolmogorov survival function (5 % critical value 1.358)', () => {
    expect(kolmogorovSurvival(1.358)).toBeCloseTo(0.05, 3);
    expect(kolmogorovSurvival(1.628)).toBeCloseTo(0.01, 3);
    expect(kolmogorovSurvival(0)).toBe(1);
    const rng = new Rng(9);
    const sample = Array.from({ length: 1000 }, () => rng.next());
    // A reference as large as the housing training part.
    const referenceRows = HOUSING_DATASET.split.trainRows;
    expect(ks(UNIFORM_PERCENTILES, referenceRows, sample)?.pValue).toBeGreaterThan(0.05);
    expect(
      ks(
        UNIFORM_PERCENTILES,
        referenceRows,
        sample.map((v) => v ** 2),
      )?.pValue,
    ).toBeLessThan(1e-6);
  });

  it('ranks statuses', () => {
    expect(worst('ok', 'warn')).toBe('warn');
    expect(worst('drift', 'warn')).toBe('drift');
    expect(worst('ok', 'ok')).toBe('ok');
  });
});
