import { binIndex, profileFeatures, quantile } from './profile.util';

describe('profile', () => {
  it('computes NumPy-style linear quantiles', () => {
    const sorted = Float64Array.from([1, 2, 3, 4]);
    expect(quantile(sorted, 0)).toBe(1);
    expect(quantile(sorted, 0.5)).toBe(2.5);
    expect(quantile(sorted, 1)).toBe(4);
    expect(quantile(sorted, 1 / 3)).toBeCloseTo(2, 12);
  });

  it('finds the bin of a value: (edge[i-1], edge[i]]', () => {
    const edges = [1, 2, 3];
    expect([0, 1, 1.5, 2, 3, 3.1].map((v) => binIndex(edges, v))).toEqual([0, 0, 1, 1, 2, 3]);
  });

  it('profiles each column of a row-major matrix, counting NaN as missing', () => {
    // Two columns: 1..100 and a 0/1 indicator (30 ones), plus one missing value in the first column.
    const rows = 101;
    const matrix = new Float64Array(rows * 2);
    for (let i = 0; i < 100; i++) {
      matrix[i * 2] = i + 1;
      matrix[i * 2 + 1] = i < 30 ? 1 : 0;
    }
    matrix[200] = NaN;
    const [x, flag] = profileFeatures(
      matrix,
      [
        { name: 'x', kind: 'numeric', description: '' },
        { name: 'flag', kind: 'indicator', description: '' },
      ],
      10,
    );
    expect(x).toMatchObject({ name: 'x', count: 101, missing: 1, min: 1, max: 100, mean: 50.5 });
    expect(x.std).toBeCloseTo(Math.sqrt((100 * 100 - 1) / 12), 10);
    expect(x.bins.edges).toHaveLength(9);
    expect(x.bins.counts).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    expect(x.percentiles[0]).toBe(1);
    expect(x.percentiles[100]).toBe(100);
    // Repeated quantiles collapse into distinct edges: zeros, ones, and an empty bin above 1.
    expect(flag.bins.edges).toEqual([0, 1]);
    expect(flag.bins.counts).toEqual([71, 30, 0]);
    expect(flag.mean).toBeCloseTo(30 / 101, 12);
  });
});
