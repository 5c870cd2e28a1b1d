import { accuracy, rmse } from './metrics.util';
import { ModelFormatError } from './model-format.error';
import { RandomForest } from './random-forest.model';
import { featuresPerSplit } from './random-forest.params';
import { Rng } from './random';

function makeData(n: number, nF: number, target: (row: Float64Array) => number, seed = 1) {
  const rng = new Rng(seed);
  const X = new Float64Array(n * nF);
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < nF; f++) X[r * nF + f] = rng.next();
    y[r] = target(X.subarray(r * nF, (r + 1) * nF));
  }
  return { X, y, nFeatures: nF };
}

describe('RandomForest', () => {
  it('fits a step function (regression averages leaf means)', () => {
    const data = makeData(400, 2, (x) => (x[0] <= 0.5 ? 1 : 3));
    const model = RandomForest.fit(data, { nEstimators: 20, maxFeatures: 1 });
    const pred = model.predict(Float64Array.from([0.1, 0.5, 0.4, 0.1, 0.6, 0.9, 0.95, 0.3]));
    expect(Array.from(pred)).toEqual([1, 1, 3, 3]);
  });

  it('learns XOR and beats the mean on a smooth target', () => {
    const xor = makeData(800, 2, (x) => (x[0] > 0.5 !== x[1] > 0.5 ? 1 : 0));
    const model = RandomForest.fit(xor, { nEstimators: 30, maxFeatures: 1 });
    expect(Array.from(model.predict(Float64Array.from([0.2, 0.2, 0.2, 0.8, 0.8, 0.2, 0.8, 0.8])))).toEqual([
      0, 1, 1, 0,
    ]);

    const smooth = makeData(1000, 3, (x) => x[0] * 2 + x[1]);
    const test = makeData(300, 3, (x) => x[0] * 2 + x[1], 2);
    const forest = RandomForest.fit(smooth, { nEstimators: 30 });
    expect(rmse(test.y, forest.predict(test.X))).toBeLessThan(0.1);
  });

  it('classifies separable classes with probabilities averaged over trees', () => {
    // Classes occupy separated bands of x1: [0, 0.5), [1, 1.5), [2, 2.5).
    const data = makeData(300, 3, (x) => Math.floor(x[1] * 3));
    const y = Int32Array.from(data.y);
    for (let r = 0; r < 300; r++) data.X[r * 3 + 1] = y[r] + data.X[r * 3 + 1] / 2;
    const model = RandomForest.fit({ ...data, y }, { task: 'classification', nEstimators: 25 });
    expect(accuracy(y, model.predict(data.X))).toBe(1);
    const proba = model.predictProba(Float64Array.from([0.5, 0.1, 0.5, 0.5, 2.3, 0.5]));
    expect(proba.length).toBe(6);
    expect(proba[0]).toBeGreaterThan(0.8);
    expect(proba[3 + 2]).toBeGreaterThan(0.8);
    expect(proba[0] + proba[1] + proba[2]).toBeCloseTo(1, 12);
  });

  it('is deterministic for a seed and varies with the seed', () => {
    const data = makeData(500, 4, (x) => x[0] + x[1] * x[2]);
    const a = RandomForest.fit(data, { nEstimators: 10, seed: 3 }).predict(data.X);
    const b = RandomForest.fit(data, { nEstimators: 10, seed: 3 }).predict(data.X);
    const c = RandomForest.fit(data, { nEstimators: 10, seed: 4 }).predict(data.X);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('reports progress per tree and ranks the informative feature first', () => {
    const data = makeData(600, 3, (x) => 5 * x[1] + 0.05 * x[0]);
    const progress: number[] = [];
    const model = RandomForest.fit(
      data,
      { nEstimators: 8 },
      { onProgress: (done, total) => progress.push(done / total) },
    );
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => i / 8));
    const imp = Array.from(model.featureImportances);
    expect(imp.indexOf(Math.max(...imp))).toBe(1);
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('round-trips through JSON and rejects malformed input', () => {
    const data = makeData(300, 3, (x) => (x[0] > 0.3 ? 2 : 0));
    data.X[4] = NaN;
    const y = Int32Array.from(data.y, (v) => v / 2);
    for (const model of [
      RandomForest.fit(data, { nEstimators: 5, minSamplesLeaf: 2 }),
      RandomForest.fit({ ...data, y }, { task: 'classification', nEstimators: 5 }),
    ]) {
      const copy = RandomForest.fromJSON(JSON.parse(JSON.stringify(model)));
      expect(Array.from(copy.predict(data.X))).toEqual(Array.from(model.predict(data.X)));
      expect(copy.toJSON()).toEqual(model.toJSON());
    }
    const good = JSON.parse(JSON.stringify(RandomForest.fit(data, { nEstimators: 2 }))) as Record<string, unknown>;
    expect(() => RandomForest.fromJSON({ ...good, kind: 'gbdt' })).toThrow(ModelFormatError);
    expect(() => RandomForest.fromJSON({ ...good, trees: [] })).toThrow(ModelFormatError);
    expect(() => RandomForest.fromJSON({ ...good, nClasses: 3 })).toThrow(ModelFormatError);
    expect(() => RandomForest.fromJSON({ ...good, params: { maxFeatures: 'all' } })).toThrow(ModelFormatError);
  });

  it('resolves maxFeatures', () => {
    expect(featuresPerSplit('sqrt', 16)).toBe(4);
    expect(featuresPerSplit('log2', 8)).toBe(3);
    expect(featuresPerSplit(0.5, 9)).toBe(5);
    expect(featuresPerSplit(0.01, 9)).toBe(1);
  });
});
