import { createHash } from 'node:crypto';
import { rmse } from '../ml/metrics.util';
import { Rng } from '../ml/random';
import { decodeArtifact, encodeArtifact } from './model-artifact';
import { runTrainingJob } from './training-job';

describe('model artifacts', () => {
  it('splices the worker’s estimator JSON into the envelope and reads back the same predictions', () => {
    const rng = new Rng(3);
    const X = Float64Array.from({ length: 200 * 2 }, () => rng.next());
    const y = Float64Array.from({ length: 200 }, (_, i) => X[i * 2] * 3 - X[i * 2 + 1]);
    const data = { X, y, nFeatures: 2 };
    const result = runTrainingJob({
      candidate: 'gbdt',
      task: 'regression',
      nClasses: 1,
      params: { nEstimators: 20 },
      train: data,
      test: data,
    });
    const envelope = {
      kind: 'nest-mlops.model' as const,
      formatVersion: 1 as const,
      model: 'toy',
      candidate: 'gbdt',
      runId: 'run-1',
      task: 'regression' as const,
      datasetVersion: 'abc',
      features: ['a', 'b'],
      classes: undefined,
      preprocessing: { a_median: 0.5 },
    };
    const bytes = encodeArtifact(envelope, result.modelJson);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const { classes: _omitted, ...withoutClasses } = envelope;
    expect(parsed).toEqual({ ...withoutClasses, estimator: JSON.parse(result.modelJson) });

    // The estimator read back scores the holdout exactly as the worker's fitted one did.
    const { estimator } = decodeArtifact(bytes, digest, 'toy');
    expect(rmse(y, estimator.predict(X, 200))).toBe(result.metrics.rmse);
    // Altered bytes are refused by their sha256; bytes that are not JSON, by the parser.
    const altered = Buffer.from(bytes);
    altered[altered.length - 2] ^= 1;
    expect(() => decodeArtifact(altered, digest, 'toy')).toThrow(/toy: sha256 [0-9a-f]{64} does not match/);
    const garbage = Buffer.from('{not json');
    const garbageDigest = createHash('sha256').update(garbage).digest('hex');
    expect(() => decodeArtifact(garbage, garbageDigest, 'toy')).toThrow(/toy: not valid JSON/);
  });
});
