import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TrainingFailedError, TrainingInputError } from '../src/training/training.errors';
import { RunEntity } from '../src/training/entities/run.entity';
import { ArtifactStore } from '../src/training/artifact-store.service';
import { TrainingService } from '../src/training/training.service';
import { HOUSING_DATASET } from './support/housing-dataset';
import { createTestApp, TestApp } from './support/test-app';
import { alive, fittingChildren, stillAlive, trainingChildren } from './support/training-children';

describe('training (e2e)', () => {
  let t: TestApp;
  let housing: RunEntity[];
  let iris: RunEntity[];

  beforeAll(async () => {
    t = await createTestApp();
    const training = t.app.get(TrainingService);
    housing = await training.train('california-housing');
    iris = await training.train('iris');
  }, 180_000);

  afterAll(async () => {
    await t.close();
  });

  const byCandidate = (runs: RunEntity[], candidate: string) =>
    runs.find((r) => r.candidate === candidate) as RunEntity;

  it('records one succeeded run per candidate with metrics, timing and lineage', async () => {
    expect(housing.map((r) => [r.candidate, r.status])).toEqual([
      ['linear', 'succeeded'],
      ['random_forest', 'succeeded'],
      ['gbdt', 'succeeded'],
    ]);
    const rows = await t.dataSource.query<Record<string, unknown>[]>(
      "SELECT candidate, status, dataset_version, split, train_rows, test_rows FROM runs WHERE model_name = 'california-housing' ORDER BY started_at",
    );
    expect(rows).toEqual(
      ['linear', 'random_forest', 'gbdt'].map((candidate) => ({
        candidate,
        status: 'succeeded',
        dataset_version: HOUSING_DATASET.sha256,
        split: HOUSING_DATASET.split.label,
        train_rows: HOUSING_DATASET.split.trainRows,
        test_rows: HOUSING_DATASET.split.testRows,
      })),
    );
    const gbdt = byCandidate(housing, 'gbdt');
    expect(gbdt.params).toMatchObject({ nEstimators: 2000, nIterNoChange: 100, maxLeaves: 31 });
    // Timings in their units, inside the run: the fit in seconds, at least one prediction pass over the holdout.
    const runMs = (gbdt.finishedAt as Date).getTime() - gbdt.startedAt.getTime();
    expect(gbdt.trainSeconds).toBeGreaterThan(0);
    expect(gbdt.trainSeconds).toBeLessThanOrEqual(runMs / 1000);
    expect(gbdt.predictMicrosPerRow).toBeGreaterThan(0);
    expect((gbdt.predictMicrosPerRow as number) * HOUSING_DATASET.split.testRows).toBeLessThanOrEqual(runMs * 1000);
    expect(Object.keys(gbdt.featureImportances ?? {})).toContain('MedInc');
  });

  it('keeps the quality gates: gbdt R² ≥ 0.84 on California Housing, Iris accuracy ≥ 0.9', () => {
    expect(byCandidate(housing, 'gbdt').metrics?.r2).toBeGreaterThanOrEqual(0.84);
    expect(byCandidate(housing, 'random_forest').metrics?.r2).toBeGreaterThanOrEqual(0.8);
    expect(byCandidate(housing, 'gbdt').metrics?.rmse).toBeLessThan(
      byCandidate(housing, 'linear').metrics?.rmse as number,
    );
    expect(byCandidate(iris, 'gbdt').metrics?.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(byCandidate(iris, 'random_forest').metrics?.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(byCandidate(iris, 'gbdt').metrics?.confusionMatrix).toHaveLength(3);
  });

  it('writes each artifact with the sha256 the run records, and it loads back', async () => {
    const store = t.app.get(ArtifactStore);
    const readArtifact = (path: string, sha256: string) => store.read(path, sha256);
    // Files under MODELS_DIR on SQLite; rows of the artifacts table on PostgreSQL.
    const bytesOf = async (path: string): Promise<Buffer> =>
      path.startsWith('db://artifacts/')
        ? (
            await t.dataSource.query<{ content: Buffer }[]>('SELECT content FROM artifacts WHERE sha256 = $1', [
              path.slice(15),
            ])
          )[0].content
        : readFileSync(path);
    for (const run of [...housing, ...iris]) {
      const bytes = await bytesOf(run.artifactPath as string);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(run.artifactSha256);
      const { artifact } = await readArtifact(run.artifactPath as string, run.artifactSha256 as string);
      expect(artifact).toMatchObject({ model: run.modelName, candidate: run.candidate, runId: run.id });
    }
    const gbdt = byCandidate(housing, 'gbdt');
    expect((await bytesOf(gbdt.artifactPath as string)).length).toBeLessThan(2 * 1024 * 1024);
    await expect(readArtifact(gbdt.artifactPath as string, '0'.repeat(64))).rejects.toThrow(/does not match/);
  });

  it('serves the runs at /experiments, /runs and /runs/:id', async () => {
    const experiments = (await t.app.inject({ url: '/experiments' })).json();
    expect(experiments).toEqual([
      expect.objectContaining({ name: 'california-housing', runCount: 3 }),
      expect.objectContaining({ name: 'iris', runCount: 2 }),
    ]);
    const runs = (await t.app.inject({ url: '/runs?model=california-housing' })).json();
    expect(runs.map((r: { candidate: string }) => r.candidate).sort()).toEqual(['gbdt', 'linear', 'random_forest']);
    const gbdt = byCandidate(housing, 'gbdt');
    const one = await t.app.inject({ url: `/runs/${gbdt.id}` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      id: gbdt.id,
      model: 'california-housing',
      candidate: 'gbdt',
      status: 'succeeded',
    });
    expect((await t.app.inject({ url: '/runs?status=succeeded&limit=2' })).json()).toHaveLength(2);
    const missing = await t.app.inject({ url: '/runs/8a1b9c0d-1234-4abc-8def-0123456789ab' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('TRAINING.RUN_NOT_FOUND');
    const bad = await t.app.inject({ url: '/runs?limit=0&candidate=svm' });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['candidate', 'limit']);
  });

  it('keeps answering requests while a model trains in its child process', async () => {
    let finished = false;
    const training = t.app
      .get(TrainingService)
      .train('california-housing', { candidates: ['gbdt'] })
      .finally(() => (finished = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answers: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ url: '/health/live' });
      answers.push(res.statusCode === 200 && !finished);
    }
    expect(answers).toEqual([true, true, true, true, true]);
    const fitting = await fittingChildren(process.pid, () => finished);
    expect(fitting.length).toBe(1);
    await training;
    // The child exits with its job: nothing of the fit stays behind in a process.
    expect(await stillAlive(fitting, 2_000)).toEqual([]);
    expect(trainingChildren(process.pid).filter(alive)).toEqual([]);
  });

  it('refuses unknown candidates before starting a run', async () => {
    await expect(t.app.get(TrainingService).train('iris', { candidates: ['linear'] })).rejects.toThrow(
      TrainingInputError,
    );
  });
});

describe('training failures (e2e)', () => {
  it('records a failed run with its reason and rethrows', async () => {
    const t = await createTestApp({ TRAINING_PARAMS: '{"iris":{"gbdt":{"learningRate":-1}}}' });
    try {
      const error = await t.app
        .get(TrainingService)
        .train('iris', { candidates: ['gbdt'] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TrainingFailedError);
      const [run] = await t.dataSource.query<{ status: string; error: string; finished_at: string | null }[]>(
        'SELECT status, error, finished_at FROM runs',
      );
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/learningRate/);
      expect(run.finished_at).not.toBeNull();
    } finally {
      await t.close();
    }
  });
});
