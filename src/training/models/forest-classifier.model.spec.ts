import { ModelFormatError } from '../../ml/model-format.error';
import { Rng } from '../../ml/random';
import { explainRows, notExplainable } from './explanation';
import { ForestClassifierModel } from './forest-classifier.model';

describe('ForestClassifierModel (ml-random-forest)', () => {
  // Three separable classes along the first feature; the second is noise.
  const rng = new Rng(5);
  const n = 90;
  const X = Float64Array.from({ length: n * 2 }, (_, i) =>
    i % 2 === 0 ? Math.floor(i / 2 / 30) * 10 + rng.next() : rng.next(),
  );
  const y = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 30));
  const model = ForestClassifierModel.fit({ X, y, nFeatures: 2 }, 3, { nEstimators: 20, maxFeatures: 1, seed: 1 });

  it('separates separable classes, with probabilities that sum to 1', () => {
    expect(Array.from(model.predict(X))).toEqual(Array.from(y));
    const proba = model.predictProba(X);
    for (let i = 0; i < n; i++) {
      expect(proba[i * 3] + proba[i * 3 + 1] + proba[i * 3 + 2]).toBeCloseTo(1, 6);
      expect(proba[i * 3 + y[i]]).toBeGreaterThan(0.5);
    }
  });

  it('predicts identically after a JSON round trip and refuses a broken forest', () => {
    const copy = ForestClassifierModel.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(copy.predictProba(X)).toEqual(model.predictProba(X));
    expect(() => ForestClassifierModel.fromJSON({ ...model.toJSON(), forest: { name: 'nope' } })).toThrow(
      ModelFormatError,
    );
  });

  describe('as FlatTrees (what explanations read)', () => {
    const trees = model.flatTrees ?? [];
    // Rows on, just below and just above every split value, where `<` and `<=` part ways.
    const probes: number[] = [];
    for (const tree of trees) {
      tree.feature.forEach((f, i) => {
        if (f === -1) return;
        const split = nextDouble(tree.threshold[i]); // the ml-cart split value
        for (const x of [tree.threshold[i], split, split * (1 + 1e-12), split * (1 - 1e-12)]) probes.push(x, x, NaN, x);
      });
    }
    const P = Float64Array.from(probes);

    it('vote exactly as ml-cart does: the mean of the one-hot leaves is predictProba, at every split value too', () => {
      expect(trees).toHaveLength(20);
      for (const data of [X, P]) {
        const nRows = data.length / 2;
        const mean = new Float64Array(nRows * 3);
        for (const tree of trees) {
          for (let r = 0; r < nRows; r++) {
            let node = 0;
            while (tree.feature[node] !== -1) {
              const x = data[r * 2 + tree.feature[node]];
              node = x <= tree.threshold[node] ? tree.left[node] : tree.left[node] + 1;
            }
            for (let k = 0; k < 3; k++) mean[r * 3 + k] += tree.value[node * 3 + k] / trees.length;
          }
        }
        expect(Array.from(mean)).toEqual(Array.from(model.predictProba(data)));
      }
    });

    it('count every training row at the root, and split the count between the children', () => {
      for (const tree of trees) {
        expect(tree.cover?.[0]).toBe(n);
        tree.feature.forEach((f, i) => {
          if (f !== -1)
            expect((tree.cover?.[tree.left[i]] ?? 0) + (tree.cover?.[tree.left[i] + 1] ?? 0)).toBe(tree.cover?.[i]);
        });
      }
    });

    it('explain additively in probability space, survive a round trip, and refuse without covers', () => {
      const { base, phi, space, nOutputs } = explainRows(model, X, n);
      expect(space).toBe('output');
      const proba = model.predictProba(X);
      for (let r = 0; r < n; r++) {
        for (let k = 0; k < nOutputs; k++) {
          let total = base[k];
          for (let f = 0; f < 2; f++) total += phi[(r * 2 + f) * nOutputs + k];
          expect(Math.abs(total - proba[r * 3 + k])).toBeLessThanOrEqual(1e-12);
        }
      }
      const copy = ForestClassifierModel.fromJSON(JSON.parse(JSON.stringify(model)));
      expect(explainRows(copy, X, n).phi).toEqual(phi);
      const { covers, ...old } = model.toJSON();
      expect(covers).toHaveLength(20);
      expect(notExplainable(ForestClassifierModel.fromJSON(old))).toMatch(/retrain/);
      expect(() => ForestClassifierModel.fromJSON({ ...old, covers: covers?.slice(1) })).toThrow(ModelFormatError);
      expect(() => ForestClassifierModel.fromJSON({ ...old, covers: [...(covers ?? []), [1]] })).toThrow(/21 entries/);
      expect(() => ForestClassifierModel.fromJSON({ ...old, covers: [[-1]] })).toThrow(/covers\[0\]/);
    });
  });
});

/** The double next to x towards +Infinity (x finite, not 0). */
function nextDouble(x: number): number {
  const bits = new BigInt64Array(Float64Array.of(x).buffer);
  bits[0] += x > 0 ? 1n : -1n;
  return new Float64Array(bits.buffer)[0];
}
