import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmse } from '../ml/metrics.util';
import { Rng } from '../ml/random';
import { readArtifact, writeArtifact } from './model-artifact';
import { runTrainingJob } from './training-job';

describe('model artifacts', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'nest-mlops-artifact-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('splices the worker’s estimator JSON into the envelope and reads back the same predictions', async () => {
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
    const stored = await writeArtifact(dir, envelope, result.modelJson);

    const bytes = await readFile(stored.path);
    expect(stored.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const { classes: _omitted, ...withoutClasses } = envelope;
    expect(parsed).toEqual({ ...withoutClasses, estimator: JSON.parse(result.modelJson) });

    // The estimator read back scores the holdout exactly as the worker's fitted one did.
    const { estimator } = await readArtifact(stored.path, stored.sha256);
    expect(rmse(y, estimator.predict(X, 200))).toBe(result.metrics.rmse);
  });
});
