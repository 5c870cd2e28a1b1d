import { Rng } from '../ml/random';
import { runTrainingJob, TrainingJob } from './training-job';

describe('runTrainingJob', () => {
  const rng = new Rng(11);
  const make = (n: number) => {
    const X = Float64Array.from({ length: n * 2 }, () => rng.next());
    const y = Float64Array.from({ length: n }, (_, i) => (X[i * 2] > 0.5 ? 2 : 0) + X[i * 2 + 1]);
    return { X, y, nFeatures: 2 };
  };
  const job: TrainingJob = {
    candidate: 'gbdt',
    task: 'regression',
    nClasses: 1,
    params: { nEstimators: 30, minSamplesLeaf: 5 },
    train: make(400),
    test: make(100),
  };

  it('fits, evaluates on the holdout and reports progress', () => {
    const stages: string[] = [];
    const started = performance.now();
    const result = runTrainingJob(job, (p) => stages.push(p.stage));
    const wallMs = performance.now() - started;
    expect(Object.keys(result.metrics).sort()).toEqual(['mae', 'mape', 'r2', 'rmse']);
    expect(result.metrics.r2).toBeGreaterThan(0.9);
    // Timings in their units, inside the call: the fit in seconds, at least one prediction pass over the holdout.
    expect(result.trainSeconds).toBeGreaterThan(0);
    expect(result.trainSeconds).toBeLessThan(wallMs / 1000);
    expect(result.predictMicrosPerRow).toBeGreaterThan(0);
    expect(result.predictMicrosPerRow * job.test.y.length).toBeLessThan(wallMs * 1000);
    expect(result.featureImportances?.[0]).toBeGreaterThan(result.featureImportances?.[1] ?? 1);
    expect(result.cv).toBeUndefined();
    expect(stages).toContain('fit');
  });

  it('cross-validates and keeps the best random-search trial', () => {
    const result = runTrainingJob({ ...job, crossValidation: { folds: 3, searchIterations: 3, seed: 1 } });
    expect(result.cv?.folds).toBe(3);
    expect(result.cv?.scores).toHaveLength(3);
    expect(result.cv?.trials).toHaveLength(4);
    const best = Math.min(...(result.cv?.trials ?? []).map((t) => t.mean));
    expect(result.cv?.mean).toBeCloseTo(best, 12);
    const chosen = result.cv?.trials?.find((t) => t.mean === best)?.params;
    expect(result.params).toEqual(chosen);
  });
});
