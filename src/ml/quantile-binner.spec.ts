import { QuantileBinner } from './quantile-binner';

describe('QuantileBinner', () => {
  it('puts a short threshold between neighbouring distinct values and gives NaN its own bin', () => {
    const X = Float64Array.from([1, 2, 2, 3.5, NaN, 1]);
    const binner = QuantileBinner.fit(X, 1);
    expect(Array.from(binner.thresholds[0])).toEqual([1.5, 3]);
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
