import { GradientBoostedTrees } from './gbdt.model';
import { InvalidInputError } from './invalid-input.error';
import { accuracy, r2, rmse } from './metrics.util';
import { ModelFormatError } from './model-format.error';
import { Rng } from './random';

/** n rows of nF uniform features in [0, 1) and a target computed from each row. */
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

function roundTrip(model: GradientBoostedTrees): GradientBoostedTrees {
  return GradientBoostedTrees.fromJSON(JSON.parse(JSON.stringify(model)));
}

describe('GradientBoostedTrees', () => {
  it('learns a step function exactly', () => {
    const data = makeData(400, 1, (x) => (x[0] <= 0.5 ? 1 : 3));
    const model = GradientBoostedTrees.fit(data, { nEstimators: 100, learningRate: 0.3, minSamplesLeaf: 5 });
    const pred = model.predict(Float64Array.from([0.1, 0.45, 0.55, 0.9]));
    expect(Array.from(pred).map((v) => Math.round(v * 1000) / 1000)).toEqual([1, 1, 3, 3]);
  });

  it('learns XOR, which needs depth 2', () => {
    const data = makeData(800, 2, (x) => (x[0] > 0.5 !== x[1] > 0.5 ? 1 : 0));
    const model = GradientBoostedTrees.fit(data, {
      nEstimators: 60,
      learningRate: 0.3,
      maxDepth: 2,
      minSamplesLeaf: 5,
    });
    const test = Float64Array.from([0.2, 0.2, 0.2, 0.8, 0.8, 0.2, 0.8, 0.8]);
    const pred = Array.from(model.predict(test)).map((v) => Math.round(v) + 0);
    expect(pred).toEqual([0, 1, 1, 0]);
  });

  it('approaches a linear target as rounds are added', () => {
    const data = makeData(2000, 3, (x) => 3 * x[0] - 2 * x[1]);
    const test = makeData(500, 3, (x) => 3 * x[0] - 2 * x[1], 2);
    const few = GradientBoostedTrees.fit(data, { nEstimators: 5 });
    const many = GradientBoostedTrees.fit(data, { nEstimators: 300 });
    const errFew = rmse(test.y, few.predict(test.X));
    const errMany = rmse(test.y, many.predict(test.X));
    expect(errMany).toBeLessThan(errFew / 5);
    expect(r2(test.y, many.predict(test.X))).toBeGreaterThan(0.99);
  });

  it('separates three classes perfectly and predicts probabilities that sum to 1', () => {
    const data = makeData(300, 2, (x) => (x[0] < 0.33 ? 0 : x[0] < 0.66 ? 1 : 2));
    const y = Int32Array.from(data.y);
    const model = GradientBoostedTrees.fit(
      { ...data, y },
      { task: 'classification', nEstimators: 30, minSamplesLeaf: 3 },
    );
    expect(model.nClasses).toBe(3);
    expect(accuracy(y, model.predict(data.X))).toBe(1);
    const proba = model.predictProba(Float64Array.from([0.1, 0.5, 0.5, 0.5, 0.9, 0.5]));
    for (let r = 0; r < 3; r++) {
      expect(proba[r * 3] + proba[r * 3 + 1] + proba[r * 3 + 2]).toBeCloseTo(1, 12);
      expect(proba[r * 3 + r]).toBeGreaterThan(0.9);
    }
  });

  it('routes missing values to the side learned in training', () => {
    // Missing x0 behaves like a large value (target 5); present values follow a step at 0.5.
    const data = makeData(600, 2, (x) => (x[0] <= 0.5 ? 1 : 5));
    for (let r = 0; r < 600; r += 4) {
      data.X[r * 2] = NaN;
      data.y[r] = 5;
    }
    const model = GradientBoostedTrees.fit(data, { nEstimators: 50, learningRate: 0.3, minSamplesLeaf: 5 });
    const pred = model.predict(Float64Array.from([NaN, 0.5, 0.2, 0.5, 0.8, 0.5]));
    expect(pred[0]).toBeCloseTo(5, 2);
    expect(pred[1]).toBeCloseTo(1, 2);
    expect(pred[2]).toBeCloseTo(5, 2);
  });

  it('gives the same rows the same prediction in the batched fast path and the NaN-safe path', () => {
    const data = makeData(500, 3, (x) => x[0] * 4 + x[1]);
    const model = GradientBoostedTrees.fit(data, { nEstimators: 20 });
    const X = data.X.slice(0, 16 * 3);
    const withNaN = X.slice();
    withNaN[47] = NaN; // forces the slow path for the whole block
    const a = model.predict(X);
    const b = model.predict(withNaN);
    for (let r = 0; r < 15; r++) expect(b[r]).toBe(a[r]);
  });

  it('is deterministic for a seed and varies with the seed when subsampling', () => {
    const data = makeData(1000, 4, (x) => x[0] + x[1] * x[2] + 0.1 * x[3]);
    const params = { nEstimators: 30, subsample: 0.7, colsampleByTree: 0.75 };
    const a = GradientBoostedTrees.fit(data, { ...params, seed: 7 }).predict(data.X);
    const b = GradientBoostedTrees.fit(data, { ...params, seed: 7 }).predict(data.X);
    const c = GradientBoostedTrees.fit(data, { ...params, seed: 8 }).predict(data.X);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it('stops early on a held-out part and keeps the best round', () => {
    const data = makeData(1000, 2, (x) => (x[0] > 0.5 ? 1 : 0));
    const rounds: number[] = [];
    const model = GradientBoostedTrees.fit(
      data,
      { nEstimators: 500, learningRate: 0.5, nIterNoChange: 5, validationFraction: 0.2 },
      { onProgress: (done) => rounds.push(done) },
    );
    expect(model.nRounds).toBeLessThan(100);
    expect(rounds.length).toBeLessThan(500);
    expect(rounds.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('ranks the informative feature first in gain importance', () => {
    const data = makeData(1000, 4, (x) => 10 * x[2] + 0.1 * x[0]);
    const model = GradientBoostedTrees.fit(data, { nEstimators: 50 });
    const imp = Array.from(model.featureImportances);
    expect(imp.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(imp.indexOf(Math.max(...imp))).toBe(2);
    expect(imp[2]).toBeGreaterThan(0.9);
  });

  it('round-trips through JSON with identical predictions', () => {
    const data = makeData(500, 3, (x) => Math.sin(6 * x[0]) + x[1]);
    data.X[5] = NaN;
    const model = GradientBoostedTrees.fit(data, { nEstimators: 40, subsample: 0.8 });
    const copy = roundTrip(model);
    expect(Array.from(copy.predict(data.X))).toEqual(Array.from(model.predict(data.X)));
    expect(copy.toJSON()).toEqual(model.toJSON());

    const labels = Int32Array.from(data.y, (v) => (v > 0.8 ? 1 : 0));
    const clf = GradientBoostedTrees.fit({ ...data, y: labels }, { task: 'classification', nEstimators: 10 });
    expect(Array.from(roundTrip(clf).predictProba(data.X))).toEqual(Array.from(clf.predictProba(data.X)));
  });

  it('rejects malformed JSON with ModelFormatError', () => {
    const data = makeData(100, 2, (x) => x[0]);
    const good = JSON.parse(JSON.stringify(GradientBoostedTrees.fit(data, { nEstimators: 2 }))) as Record<
      string,
      unknown
    >;
    const tree = (good.trees as Record<string, unknown>[])[0];
    const bad: unknown[] = [
      null,
      [],
      { ...good, kind: 'random_forest' },
      { ...good, formatVersion: 2 },
      { ...good, nFeatures: 0 },
      { ...good, baseScore: [] },
      { ...good, params: { ...(good.params as object), learningRate: -1 } },
      { ...good, trees: [{ ...tree, feature: (tree.feature as number[]).map(() => 7) }] },
      { ...good, trees: [{ ...tree, left: (tree.left as number[]).map(() => 0) }] },
      { ...good, trees: [{ ...tree, threshold: 'x' }] },
    ];
    for (const json of bad) {
      expect(() => GradientBoostedTrees.fromJSON(json)).toThrow(ModelFormatError);
    }
    let thrown: unknown;
    try {
      GradientBoostedTrees.fromJSON({});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ModelFormatError);
    expect((thrown as ModelFormatError).code).toBe('ML.INVALID_MODEL_FORMAT');
  });

  it('rejects bad input shapes and parameters', () => {
    const data = makeData(50, 2, (x) => x[0]);
    expect(() => GradientBoostedTrees.fit({ ...data, nFeatures: 3 })).toThrow(InvalidInputError);
    expect(() => GradientBoostedTrees.fit(data, { maxBins: 300 })).toThrow('maxBins');
    expect(() => GradientBoostedTrees.fit(data, { task: 'classification' })).toThrow('Int32Array');
    const model = GradientBoostedTrees.fit(data, { nEstimators: 2 });
    expect(() => model.predict(new Float64Array(3))).toThrow(InvalidInputError);
  });
});
