import { foldData, kFolds, sampleGbdtParams } from './search.util';
import { Rng } from '../ml/random';

describe('k-fold cross-validation helpers', () => {
  it('makes k disjoint folds covering every row, sizes within one', () => {
    const folds = kFolds(103, 5, 1);
    expect(folds.map((f) => f.length).sort()).toEqual([20, 20, 21, 21, 21]);
    const all = folds.flatMap((f) => Array.from(f));
    expect(new Set(all).size).toBe(103);
    expect(kFolds(103, 5, 1)).toEqual(folds);
    expect(kFolds(103, 5, 2)).not.toEqual(folds);
  });

  it('splits data into the other folds and the held-out fold', () => {
    const X = Float64Array.from({ length: 20 }, (_, i) => i);
    const y = Float64Array.from({ length: 10 }, (_, i) => i * 10);
    const folds = kFolds(10, 5, 3);
    const { train, valid } = foldData({ X, y, nFeatures: 2 }, folds, 0);
    expect(valid.y.length).toBe(2);
    expect(train.y.length).toBe(8);
    // Rows keep their features: row r has features (2r, 2r+1) and target 10r.
    for (let i = 0; i < valid.y.length; i++) expect(valid.X[i * 2]).toBe((valid.y[i] / 10) * 2);
    expect([...train.y, ...valid.y].sort((a, b) => a - b)).toEqual(Array.from(y));
  });

  it('samples gbdt parameters inside the search space', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 50; i++) {
      const p = sampleGbdtParams(rng);
      expect(p.learningRate).toBeGreaterThanOrEqual(0.03);
      expect(p.learningRate).toBeLessThanOrEqual(0.2);
      expect([15, 31, 63]).toContain(p.maxLeaves);
    }
  });
});
