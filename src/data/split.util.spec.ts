import { seededSplit } from './split.util';

describe('seededSplit', () => {
  it('holds out ceil(n × fraction) rows, disjoint from the training rows, covering all rows', () => {
    const { train, test } = seededSplit(20640, 0.2, 42);
    expect(test).toHaveLength(4128);
    expect(train).toHaveLength(16512);
    const all = new Set([...train, ...test]);
    expect(all.size).toBe(20640);
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(20639);
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
