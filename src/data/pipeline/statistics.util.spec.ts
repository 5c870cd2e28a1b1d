import { median as housingMedian } from '../../../test/support/legacy/housing.features';
import { mean, median, mode, sortedDistinct } from './statistics.util';

describe('statistics', () => {
  it('takes the median as the housing pipeline does, NaN when empty', () => {
    const values = [0.3, 0.1 + 0.2, 7, -1, 1e-9, 2.5, 2.5000000000000004, 11];
    for (const sample of [values, values.slice(1), values.slice(0, 2), [4]]) {
      expect(Object.is(median(sample), housingMedian(Float64Array.from(sample)))).toBe(true);
    }
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([])).toBeNaN();
  });

  it('takes the plain mean, NaN when empty', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });

  it('takes the most frequent value, the smallest in sort order on a tie', () => {
    expect(mode([5, 3, 5, 3, 9])).toBe(3);
    expect(mode([10, 9, 10])).toBe(10);
    expect(mode(['b', 'a', 'B', 'b', 'a', 'B'])).toBe('B');
    expect(mode([])).toBeUndefined();
  });

  it('sorts distinct values by code unit', () => {
    expect(sortedDistinct(['b', 'a', 'B', '<1H OCEAN', 'a'])).toEqual(['<1H OCEAN', 'B', 'a', 'b']);
  });
});
