import { HOUSING_DATASET } from '../../test/support/housing-dataset';
import { seededSplit, stratifiedSplit } from './split.util';

describe('seededSplit', () => {
  it('holds out ceil(n × fraction) rows, disjoint from the training rows, covering all rows', () => {
    const { rows, split } = HOUSING_DATASET;
    const { train, test } = seededSplit(rows, split.testFraction, split.seed);
    expect(test).toHaveLength(split.testRows);
    expect(train).toHaveLength(split.trainRows);
    const all = new Set([...train, ...test]);
    expect(all.size).toBe(rows);
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(rows - 1);
  });

  it('is identical for the same seed and sorted ascending', () => {
    const a = seededSplit(1000, 0.25, 7);
    const b = seededSplit(1000, 0.25, 7);
    expect(a).toEqual(b);
    expect(a.test).toEqual([...a.test].sort((x, y) => x - y));
  });

  it('differs for another seed', () => {
    const a = seededSplit(1000, 0.25, 7);
    const b = seededSplit(1000, 0.25, 8);
    expect(a.test).not.toEqual(b.test);
    const overlap = a.test.filter((i) => new Set(b.test).has(i)).length;
    // Two random 25% samples share about a quarter of their rows.
    expect(overlap).toBeGreaterThan(30);
    expect(overlap).toBeLessThan(100);
  });
});

describe('stratifiedSplit', () => {
  const labels = [...Array<string>(100).fill('a'), ...Array<string>(30).fill('b'), ...Array<string>(20).fill('c')];
  const share = (rows: number[], label: string) => rows.filter((i) => labels[i] === label).length;

  it('holds out each class in its share, ceil(n × fraction) rows in all, disjoint and covering all rows', () => {
    const { train, test } = stratifiedSplit(labels, 0.2, 42);
    expect(test).toHaveLength(30);
    expect([share(test, 'a'), share(test, 'b'), share(test, 'c')]).toEqual([20, 6, 4]);
    expect(new Set([...train, ...test]).size).toBe(150);
    expect(test).toEqual([...test].sort((x, y) => x - y));
  });

  it('gives the remainders to the largest fractional parts, and the same rows for the same seed', () => {
    const { test } = stratifiedSplit(['x', 'x', 'x', 'y', 'y', 'z', 'z'], 0.5, 1);
    // 4 held out of exact shares 1.71, 1.14, 1.14: x gets the remainder.
    expect([share2(test, 'x'), share2(test, 'y'), share2(test, 'z')]).toEqual([2, 1, 1]);
    expect(stratifiedSplit(labels, 0.2, 7)).toEqual(stratifiedSplit(labels, 0.2, 7));
    expect(stratifiedSplit(labels, 0.2, 7).test).not.toEqual(stratifiedSplit(labels, 0.2, 8).test);
  });
});

function share2(rows: number[], label: string): number {
  const labels = ['x', 'x', 'x', 'y', 'y', 'z', 'z'];
  return rows.filter((i) => labels[i] === label).length;
}
