import { ModelFormatError } from '../../ml/model-format.error';
import { Rng } from '../../ml/random';
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
});
