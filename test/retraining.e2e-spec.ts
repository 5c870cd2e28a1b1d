import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { DataService } from '../src/data/data.service';
import { HOUSING_SPEC } from './support/builtin-models';
import { ClusterBus } from '../src/cluster/cluster-bus.service';
import { DriftService } from '../src/monitoring/drift.service';
import { sha256 } from '../src/common/crypto/sha256.util';
import { RETRAIN_CRON_JOB, RetrainScheduler } from '../src/retraining/retrain.scheduler';
import { RetrainInProgressError } from '../src/retraining/retraining.errors';
import { RetrainingService } from '../src/retraining/retraining.service';
import { TrainingService } from '../src/training/training.service';
import { realHousingCsvPath } from './support/housing-data';
import { HOUSING_DATASET } from './support/housing-dataset';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

// Requests carry the admin key: admin endpoints need it (security.e2e-spec.ts tests the refusals).
const json = { 'content-type': 'application/json', ...ADMIN };

describe('scheduled and triggered retraining (e2e)', () => {
  let t: TestApp;
  let csvDir: string;
  let csvPath: string;
  const original = readFileSync(realHousingCsvPath(), 'utf8');

  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const post = (url: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url, headers: json, payload: JSON.stringify(payload) });
  const servedVersion = async (): Promise<number> => {
    const res = await post('/predict/housing', HOUSING_SPEC.example);
    expect(res.statusCode).toBe(200);
    return res.json().version as number;
  };
  const finished = (id: string) => t.app.get(RetrainingService).wait(id);
  const metric = async (text: string): Promise<number> => {
    const line = (await get('/metrics')).body.split('\n').find((l) => l.startsWith(text));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  /** The registry's view of california-housing: its champion, served version and number of versions. */
  const housing = async (): Promise<{ champion: number | null; servedVersion: number | null; versionCount: number }> =>
    (await get('/models/california-housing')).json();
  /** The version of the linear run trained at the start (champion unless a block promoted another). */
  let linearVersion: number;
  /** Writes the housing CSV the service reads for the duration of `work`, then puts the real one back. */
  const withCsv = async <T>(content: string, work: () => Promise<T>): Promise<T> => {
    writeFileSync(csvPath, content);
    try {
      return await work();
    } finally {
      writeFileSync(csvPath, original);
    }
  };

  beforeAll(async () => {
    csvDir = mkdtempSync(join(tmpdir(), 'nest-mlops-retrain-csv-'));
    csvPath = join(csvDir, 'housing.csv');
    copyFileSync(realHousingCsvPath(), csvPath);
    t = await createTestApp({ HOUSING_CSV_PATH: csvPath, DRIFT_CHECK_INTERVAL_S: '0' });
    const [run] = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear'] });
    const registered = await post('/models/california-housing/versions', { runId: run.id });
    expect(registered.statusCode).toBe(201);
    linearVersion = registered.json().version;
    expect((await post(`/models/california-housing/versions/${linearVersion}/promote`, {})).statusCode).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await t.close();
    rmSync(csvDir, { recursive: true, force: true });
  });

  it('the cron handler, invoked directly, trains, gates, registers, promotes and hot-swaps', async () => {
    // The linear version serves (a forced promotion if a block promoted another); every gbdt beats it.
    if ((await housing()).champion !== linearVersion) {
      const back = await post(`/models/california-housing/versions/${linearVersion}/promote`, { force: true });
      expect(back.statusCode).toBe(200);
    }
    expect(await servedVersion()).toBe(linearVersion);
    const next = (await housing()).versionCount + 1;
    // iris: no block but this one retrains it, so it has no champion yet.
    expect((await get('/models/iris')).json()).toMatchObject({ champion: null, versionCount: 0 });
    const promotedBefore = await metric('retrain_runs_total{model="california-housing",outcome="promoted"}');
    const started = Date.now();
    const jobs = await t.app.get(RetrainScheduler).runScheduled();
    const elapsedSeconds = (Date.now() - started) / 1000;
    const job = jobs.find((j) => j.modelName === 'california-housing');
    expect(job).toMatchObject({
      trigger: 'cron',
      status: 'succeeded',
      outcome: 'promoted',
      version: next,
      fromVersion: linearVersion,
      error: null,
    });
    expect(job?.runIds).toHaveLength(3); // linear, random_forest, gbdt
    expect(Object.keys(job?.stages ?? {})).toEqual(['data', 'train', 'register', 'promote']);
    expect(job?.comparison).toMatchObject({ metric: 'rmse', rows: HOUSING_DATASET.split.testRows });
    // iris had no champion: its first retraining makes one.
    expect(jobs.find((j) => j.modelName === 'iris')).toMatchObject({ outcome: 'promoted', version: 1 });

    expect(await servedVersion()).toBe(next);
    const history = (await get('/models/california-housing/history')).json();
    expect(history[history.length - 1]).toMatchObject({
      alias: 'champion',
      fromVersion: linearVersion,
      toVersion: next,
      actor: 'retraining:cron',
    });
    const listed = (await get(`/retrain/jobs/${job?.id}`)).json();
    expect(listed).toMatchObject({ id: job?.id, model: 'california-housing', status: 'succeeded', version: next });
    // Seconds, within the call that ran it.
    expect(listed.durationSeconds).toBeGreaterThan(0);
    expect(listed.durationSeconds).toBeLessThanOrEqual(elapsedSeconds);
    expect(await metric('retrain_runs_total{model="california-housing",outcome="promoted"}')).toBe(promotedBefore + 1);
    expect(await metric('retrain_last_success_timestamp_seconds{model="california-housing"}')).toBeGreaterThan(1.7e9);
    expect((await get(`/models/california-housing/versions/${next}`)).json()).toMatchObject({
      runId: job?.bestRunId,
      datasetVersion: job?.datasetVersion,
    });
  }, 180_000);

  it('registers a candidate that loses the gate as challenger, without promoting it', async () => {
    // Whatever serves (the linear version or a gbdt), a new linear fit does not beat it.
    const { champion, versionCount } = await housing();
    const next = versionCount + 1;
    const res = await post('/retrain', { model: 'california-housing', candidates: ['linear'], reason: 'gate check' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'running', trigger: 'api', model: 'california-housing' });
    const job = await finished(res.json().id);
    expect(job).toMatchObject({ status: 'succeeded', outcome: 'not_promoted', version: next });
    expect(job.error).toMatch(new RegExp(`does not beat champion version ${champion} `));
    expect((await get('/models/california-housing')).json()).toMatchObject({
      champion,
      challenger: next,
      servedVersion: champion,
    });
    expect(await servedVersion()).toBe(champion);
  }, 120_000);

  it('runs one retraining per model at a time: two concurrent requests give one 202 and one 409', async () => {
    const [a, b] = await Promise.all([
      post('/retrain', { model: 'california-housing', candidates: ['linear'] }),
      post('/retrain', { model: 'california-housing', candidates: ['linear'] }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const [accepted, refused] = a.statusCode === 202 ? [a, b] : [b, a];
    expect(refused.json()).toMatchObject({ code: 'RETRAIN.IN_PROGRESS' });
    expect(refused.json().message).toContain(accepted.json().id);
    // The cron finds it running too, and skips instead of failing.
    const skipped = await t.app
      .get(RetrainingService)
      .start('california-housing', { trigger: 'cron', reason: 'test' })
      .catch((e: unknown) => e);
    expect(skipped).toBeInstanceOf(RetrainInProgressError);
    expect((skipped as RetrainInProgressError).message).toContain(accepted.json().id);
    await finished(accepted.json().id);
    // Free again once it finished.
    const again = await post('/retrain', { model: 'california-housing', candidates: ['linear'] });
    expect(again.statusCode).toBe(202);
    await finished(again.json().id);
  }, 120_000);

  it('picks up a changed raw file as a new dataset version and records it in the lineage', async () => {
    const lines = original.trimEnd().split('\n');
    const shorter = `${lines.slice(0, lines.length - 500).join('\n')}\n`;
    const job = await withCsv(shorter, async () => {
      const res = await post('/retrain', { model: 'california-housing', candidates: ['gbdt'], force: true });
      expect(res.statusCode).toBe(202);
      return finished(res.json().id);
    });
    expect(job.status).toBe('succeeded');
    // The version of a file is the sha256 of its bytes: the shorter file's, not the real one's.
    expect(sha256(original)).toBe(HOUSING_DATASET.sha256);
    expect(job.datasetVersion).toBe(sha256(shorter));
    const version = (await get(`/models/california-housing/versions/${job.version}`)).json();
    expect(version.datasetVersion).toBe(job.datasetVersion);
    const dataset = (await get(`/datasets/${job.datasetVersion}`)).json();
    expect(dataset.rowsRead).toBe(HOUSING_DATASET.rows - 500);
    expect(await servedVersion()).toBe(job.version); // forced: promoted and swapped
  }, 120_000);

  it('fails cleanly on an invalid new file: the job names the problem, the champion keeps answering', async () => {
    const serving = await servedVersion();
    const failedBefore = await metric('retrain_runs_total{model="california-housing",outcome="failed"}');
    const lines = original.trimEnd().split('\n');
    // Every data row breaks a rule: median_income is not a number.
    const column = lines[0].split(',').indexOf('median_income');
    const broken = lines.map((line, i) =>
      i === 0
        ? line
        : line
            .split(',')
            .map((cell, j) => (j === column ? 'oops' : cell))
            .join(','),
    );
    const job = await withCsv(`${broken.join('\n')}\n`, async () => {
      const res = await post('/retrain', { model: 'california-housing' });
      expect(res.statusCode).toBe(202);
      return finished(res.json().id);
    });
    expect(job).toMatchObject({ status: 'failed', outcome: 'failed', version: null });
    expect(job.error).toContain(csvPath);
    expect(job.errorDetails?.[0]).toMatchObject({ line: 2 });
    expect(await servedVersion()).toBe(serving);
    expect(await metric('retrain_runs_total{model="california-housing",outcome="failed"}')).toBe(failedBefore + 1);
    const listed = (await get('/retrain/jobs?model=california-housing&limit=1')).json()[0];
    expect(listed).toMatchObject({ id: job.id, status: 'failed' });
  }, 120_000);

  it('takes back a job whose process died: queued again while it has attempts, interrupted after', async () => {
    const db = t.app.get(DataSource);
    // Jobs of california-housing fitting the linear candidate only (quick); iris is the cron block's.
    const dead = (id: string, attempts: number) => {
      const text =
        `INSERT INTO retrain_jobs (id, model_name, trigger, status, reason, candidates, force, stages, started_at, ` +
        `claimed_by, lease_expires_at, attempts) VALUES (?, 'california-housing', 'cron', 'running', 'crashed', ` +
        `'["linear"]', FALSE, '{}', ?, 'gone:1:x/y', ?, ?)`;
      let n = 0;
      const startedAt = new Date(Date.now() - 60_000).toISOString().replace('T', ' ').replace('Z', '');
      return db.query(t.config.DATABASE_URL ? text.replace(/\?/g, () => `$${++n}`) : text, [
        id,
        startedAt,
        Date.now() - 1,
        attempts,
      ]);
    };
    // Out of attempts (RETRAIN_MAX_ATTEMPTS is 2): over, as interrupted.
    const spent = '00000000-0000-4000-8000-000000000001';
    await dead(spent, 2);
    await t.app.get(RetrainingService).sweep();
    const job = (await get(`/retrain/jobs/${spent}`)).json();
    expect(job).toMatchObject({ status: 'interrupted', outcome: 'interrupted', attempts: 2, claimedBy: null });
    expect(job.error).toContain('Interrupted');
    // With an attempt left: queued again, claimed by this process and run to the end.
    const retried = '00000000-0000-4000-8000-000000000002';
    await dead(retried, 1);
    await t.app.get(RetrainingService).sweep();
    const done = await finished(retried);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, candidates: ['linear'] });
    expect(done.claimedBy).toContain(`:${process.pid}:`);
    // Nothing is left holding the model: the next retraining starts.
    const next = await post('/retrain', { model: 'california-housing', candidates: ['linear'] });
    expect(next.statusCode).toBe(202);
    await finished(next.json().id);
  }, 120_000);

  it('validates requests with clear 4xx answers', async () => {
    const missing = await post('/retrain', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0]).toMatchObject({ field: 'model' });
    expect((await post('/retrain', { model: 'nope' })).statusCode).toBe(404);
    const candidate = await post('/retrain', { model: 'iris', candidates: ['linear'] });
    expect(candidate.statusCode).toBe(400);
    expect(candidate.json().message).toContain('linear');
    expect((await post('/retrain', { model: 'iris', force: 'yes' })).statusCode).toBe(400);
    expect((await get('/retrain/jobs/not-a-uuid')).statusCode).toBe(400);
    expect((await get('/retrain/jobs/00000000-0000-4000-8000-00000000ffff')).statusCode).toBe(404);
  });
});

describe('retraining triggers from configuration (e2e)', () => {
  it('registers the RETRAIN_CRON schedule at start, and none with off', async () => {
    const scheduled = await createTestApp({ RETRAIN_CRON: '*/30 * * * *', DRIFT_CHECK_INTERVAL_S: '0' });
    try {
      const job = scheduled.app.get(SchedulerRegistry).getCronJob(RETRAIN_CRON_JOB);
      expect(job.cronTime.source).toBe('*/30 * * * *');
      expect(job.isActive).toBe(true);
    } finally {
      await scheduled.close();
    }
    const off = await createTestApp({ RETRAIN_CRON: 'off', DRIFT_CHECK_INTERVAL_S: '0' });
    try {
      expect(off.app.get(SchedulerRegistry).getCronJobs().size).toBe(0);
    } finally {
      await off.close();
    }
  }, 60_000);

  it('retrains after RETRAIN_DRIFT_CHECKS consecutive drift reports, then waits out the cooldown', async () => {
    const t = await createTestApp({
      RETRAIN_ON_DRIFT: 'true',
      RETRAIN_DRIFT_CHECKS: '2',
      DRIFT_CHECK_INTERVAL_S: '0',
      DRIFT_MIN_ROWS: '100',
      DRIFT_WINDOW_ROWS: '500',
    });
    try {
      const training = t.app.get(TrainingService);
      for (const model of ['california-housing', 'iris']) {
        const [run] = await training.train(model, { candidates: ['gbdt'] });
        await t.app.inject({
          method: 'POST',
          url: `/models/${model}/versions`,
          headers: ADMIN,
          payload: { runId: run.id },
        });
        await t.app.inject({ method: 'POST', url: `/models/${model}/versions/1/promote`, headers: ADMIN, payload: {} });
      }
      const prepared = await t.app.get(DataService).prepare('california-housing');
      const inputs = HOUSING_SPEC.inputs.map((f) => f.name);
      const rows = prepared.train
        .map((r) => r.values)
        .filter((r) => Number(r.median_income) <= 7 && r.total_bedrooms !== null)
        .slice(0, 500)
        .map((r) => ({
          ...Object.fromEntries(inputs.map((f) => [f, r[f]])),
          median_income: Number(r.median_income) * 2,
        }));
      const predicted = await t.app.inject({ method: 'POST', url: '/predict/housing/batch', payload: { rows } });
      expect(predicted.statusCode).toBe(200);

      const drift = t.app.get(DriftService);
      const retraining = t.app.get(RetrainingService);
      const driftJobs = async () =>
        (await retraining.list('california-housing', 50)).filter((j) => j.trigger === 'drift');
      expect((await drift.checkAll()).find((r) => r.model === 'california-housing')?.status).toBe('drift');
      await new Promise((resolve) => setImmediate(resolve));
      expect(await driftJobs()).toHaveLength(0); // one drift report is not enough
      await drift.checkAll();
      let jobs: Awaited<ReturnType<typeof driftJobs>> = [];
      for (let i = 0; i < 100 && jobs.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        jobs = await driftJobs();
      }
      expect(jobs).toHaveLength(1);
      expect(jobs[0].reason).toMatch(/^drift: 2 consecutive checks, features .*MedInc/);
      // Same data, same candidates: the retrained gbdt ties with the champion and is not promoted.
      expect((await retraining.wait(jobs[0].id)).outcome).toBe('not_promoted');

      // Still drifting (the same version serves the same rows), but inside the cooldown: no new job.
      expect((await drift.checkAll()).find((r) => r.model === 'california-housing')?.status).toBe('drift');
      await drift.checkAll();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await driftJobs()).toHaveLength(1);
    } finally {
      await t.close();
    }
  }, 180_000);
});

describe('retraining jobs across restarts (e2e)', () => {
  it('gives a running job back at shutdown; the next process on the same database claims and finishes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-handover-'));
    const env = { DATA_DIR: join(dir, 'data'), MODELS_DIR: join(dir, 'models'), DRIFT_CHECK_INTERVAL_S: '0' };
    try {
      const first = await createTestApp(env);
      const started = await first.app.inject({
        method: 'POST',
        url: '/retrain',
        headers: json,
        payload: JSON.stringify({ model: 'california-housing', reason: 'handover' }),
      });
      expect(started.json()).toMatchObject({ status: 'running', attempts: 1 });
      const { id } = started.json<{ id: string }>();
      // Inside the training: once a run is in flight (the data stage before it takes longer on PostgreSQL).
      for (let i = 0; i < 1200; i++) {
        const runs = (await first.app.inject({ url: '/runs?model=california-housing&limit=10' })).json<
          { status: string }[]
        >();
        if (runs.some((r) => r.status === 'running')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await first.close();

      const second = await createTestApp({ ...env, RETRAIN_POLL_INTERVAL_S: '1' });
      try {
        const job = await second.app.get(RetrainingService).wait(id);
        expect(job).toMatchObject({ status: 'succeeded', outcome: 'promoted', attempts: 2 });
        expect(job.claimedBy).toContain(second.app.get(ClusterBus).instance);
        const runs = (await second.app.inject({ url: '/runs?model=california-housing&limit=100' })).json<
          { status: string; error: string | null }[]
        >();
        // One candidate fits at a time: the run in flight at the shutdown, and no other, is interrupted.
        expect(runs.filter((r) => r.status === 'running')).toEqual([]);
        const interrupted = runs.filter((r) => r.status === 'interrupted');
        expect(interrupted).toHaveLength(1);
        expect(interrupted[0].error).toContain('the service shut down before the job finished');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
