import fc from 'fast-check';
import { InvalidInputError } from './invalid-input.error';
import { float32SplitAbove, thresholdBelowFloat32 } from './float32-split.util';
import { QuantileBinner } from './quantile-binner';

/** A threshold is the boundary of a float32 condition: x <= t exactly when fround(x) < c (see float32-split.util). */
const isFloat32Boundary = (t: number) => thresholdBelowFloat32(float32SplitAbove(t)) === t;

describe('QuantileBinner', () => {
  it('puts a float32 boundary halfway between neighbouring distinct values and gives NaN its own bin', () => {
    const X = Float64Array.from([1, 2, 2, 3.5, NaN, 1]);
    const binner = QuantileBinner.fit(X, 1);
    const thr = Array.from(binner.thresholds[0]);
    expect(thr.map((t) => Math.round(t * 1e6) / 1e6)).toEqual([1.5, 3]);
    expect(thr.every(isFloat32Boundary)).toBe(true);
    expect(binner.nBins(0)).toBe(3);
    expect(Array.from(binner.transform(X))).toEqual([0, 1, 1, 2, 3, 0]);
    // Unseen values follow the same comparisons as trees do: v <= threshold goes to the lower bin.
    expect(Array.from(binner.transform(Float64Array.from([1.5, 1.50001, -10, 100])))).toEqual([0, 1, 0, 2]);
  });

  it('caps the bins at maxBins with roughly equal counts, fitting on the given rows only', () => {
    const n = 10000;
    const X = Float64Array.from({ length: n }, (_, i) => i);
    const binner = QuantileBinner.fit(X, 1, { maxBins: 10, rows: Int32Array.from({ length: 5000 }, (_, i) => i) });
    const thr = binner.thresholds[0];
    expect(thr.length).toBe(9);
    expect(thr[thr.length - 1]).toBeLessThan(5000);
    const counts = new Array<number>(10).fill(0);
    for (const code of binner.transform(X.subarray(0, 5000))) counts[code]++;
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThanOrEqual(1);
  });

  it('spends one bin on a heavy value and spreads the rest', () => {
    const values = [...new Array<number>(500).fill(0), ...Array.from({ length: 500 }, (_, i) => i + 1)];
    const binner = QuantileBinner.fit(Float64Array.from(values), 1, { maxBins: 5 });
    const counts = new Array<number>(5).fill(0);
    for (const code of binner.transform(Float64Array.from(values))) counts[code]++;
    expect(counts[0]).toBe(500);
    expect(counts.slice(1).every((c) => c >= 100 && c <= 150)).toBe(true);
  });
});

describe('QuantileBinner edges and codes', () => {
  const finiteDouble = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

  it('gives every distinct float32 value its own bin when there are fewer of them than maxBins', () => {
    fc.assert(
      fc.property(fc.array(finiteDouble, { minLength: 1, maxLength: 60 }), fc.integer({ min: 2, max: 255 }), (v, m) => {
        // Values are told apart as float32, as XGBoost tells them apart.
        const distinct = [...new Set(v.map((x) => Math.fround(x) + 0))].sort((a, b) => a - b);
        fc.pre(distinct.length <= m);
        const binner = QuantileBinner.fit(Float64Array.from(v), 1, { maxBins: m });
        const thr = binner.thresholds[0];
        expect(binner.nBins(0)).toBe(distinct.length);
        for (let i = 0; i < thr.length; i++) {
          // Each edge separates two neighbouring values: the lower one goes left (v <= threshold), the upper right.
          expect(thr[i]).toBeGreaterThanOrEqual(distinct[i]);
          expect(thr[i]).toBeLessThan(distinct[i + 1]);
          expect(isFloat32Boundary(thr[i])).toBe(true);
        }
        expect(Array.from(binner.transform(Float64Array.from(distinct)))).toEqual(distinct.map((_, i) => i));
      }),
    );
  });

  it('never uses more than maxBins bins, with strictly increasing edges', () => {
    fc.assert(
      fc.property(fc.array(finiteDouble, { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 20 }), (v, m) => {
        const X = Float64Array.from(v);
        const binner = QuantileBinner.fit(X, 1, { maxBins: m });
        const thr = binner.thresholds[0];
        expect(binner.nBins(0)).toBeLessThanOrEqual(m);
        for (let i = 1; i < thr.length; i++) expect(thr[i]).toBeGreaterThan(thr[i - 1]);
        for (const code of binner.transform(X)) expect(code).toBeLessThan(binner.nBins(0));
      }),
    );
  });

  it('maps values monotonically and keeps tied values in one bin', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 2, max: 12 }),
        (v, m) => {
          const X = Float64Array.from(v);
          const codes = QuantileBinner.fit(X, 1, { maxBins: m }).transform(X);
          const codeOf = new Map<number, number>();
          for (let i = 0; i < v.length; i++) {
            expect(codeOf.get(v[i]) ?? codes[i]).toBe(codes[i]);
            codeOf.set(v[i], codes[i]);
            for (let j = 0; j < v.length; j++) if (v[i] < v[j]) expect(codes[i]).toBeLessThanOrEqual(codes[j]);
          }
        },
      ),
    );
  });

  it('sends NaN to the missing code nBins(f) of its own feature and fits edges on the present values only', () => {
    // Row-major, 3 features: feature 0 has one NaN, feature 1 only NaN, feature 2 none.
    const X = Float64Array.from([1, NaN, 5, NaN, NaN, 6, 3, NaN, 7, 1, NaN, 8]);
    const binner = QuantileBinner.fit(X, 3);
    expect(Array.from(binner.thresholds[0], (t) => Math.round(t * 1e6) / 1e6)).toEqual([2]);
    expect(binner.thresholds[1].length).toBe(0);
    expect([binner.nBins(0), binner.nBins(1), binner.nBins(2)]).toEqual([2, 1, 4]);
    expect(Array.from(binner.transform(X))).toEqual([0, 1, 0, 2, 1, 1, 1, 1, 2, 0, 1, 3]);
  });

  it('keeps a value that fills several quantiles in a single bin', () => {
    const values = [...new Array<number>(90).fill(7), 1, 2, 3, 8, 9, 10, 11, 12, 13, 14];
    const X = Float64Array.from(values);
    const binner = QuantileBinner.fit(X, 1, { maxBins: 4 });
    const codes = binner.transform(X);
    const sevens = new Set(Array.from(codes).filter((_, i) => values[i] === 7));
    expect(sevens.size).toBe(1);
    expect(binner.nBins(0)).toBeGreaterThan(2);
  });

  it('rejects maxBins outside 2..255', () => {
    const X = Float64Array.from([1, 2, 3]);
    for (const maxBins of [1, 256, 2.5]) {
      expect(() => QuantileBinner.fit(X, 1, { maxBins })).toThrow(InvalidInputError);
    }
  });
});
