import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { DataService } from '../src/data/data.service';
import { Rng } from '../src/ml/random';
import { DecisionEntity } from '../src/monitoring/entities/decision.entity';
import type { DecisionDto, EvaluationRunDto } from '../src/monitoring/evaluation/dto/evaluation.dto';
import { EvaluationRepository } from '../src/monitoring/evaluation/evaluation.repository';
import type { RollbackEvidence } from '../src/monitoring/evaluation/previous-champion.scorer';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { ActiveModels } from '../src/registry/active-models.service';
import { ModelRegistryRepository } from '../src/registry/model-registry.repository';
import { RetrainingService } from '../src/retraining/retraining.service';
import { TrainingService } from '../src/training/training.service';
import { HOUSING_SPEC } from './support/builtin-models';
import { realHousingCsvPath, REPO_ROOT } from './support/housing-data';
import { TEST_DATABASE_URL } from './support/scratch-database';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const HOUSING = 'california-housing';
/** A copy of housing whose degraded champion may be rolled back. */
const ROLLBACK = 'housing-rollback';
const json = { 'content-type': 'application/json', ...ADMIN };
const INPUTS = HOUSING_SPEC.inputs.map((f) => f.name);
const ROWS_PER_REQUEST = 50;

/** Housing's built-in definition with quick candidates, the test's CSV and an evaluation section of its own. */
function definition(name: string, evaluation: Record<string, unknown>): string {
  const file = join(REPO_ROOT, 'src', 'definitions', 'builtin', 'california-housing.yaml');
  const document = load(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return JSON.stringify({
    ...document,
    name,
    aliases: name === HOUSING ? ['housing'] : [],
    source: { path: realHousingCsvPath() },
    candidates: { linear: {}, gbdt: { nEstimators: 60, learningRate: 0.2, maxLeaves: 31, minSamplesLeaf: 20 } },
    evaluation,
  });
}

/** A holdout row: the request (the input fields present) and its truth in the model's unit. */
interface LabelledRow {
  request: Record<string, unknown>;
  truth: number;
}

describe('online evaluation: experiments and live degradation decide, with their evidence (e2e)', () => {
  let t: TestApp;
  let definitionsDir: string;
  let holdout: LabelledRow[];
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const put = (url: string, payload: unknown) =>
    t.app.inject({ method: 'PUT', url, headers: json, payload: JSON.stringify(payload) });
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const evaluate = async (model: string) => {
    const res = await t.app.inject({ method: 'POST', url: `/monitoring/evaluate?model=${model}`, headers: ADMIN });
    expect(res.statusCode).toBe(200);
    const run = res.json<EvaluationRunDto>();
    expect(run).toMatchObject({ ran: true, models: [{ model }] });
    return run.models[0];
  };
  const decisionsOf = async (model: string) =>
    (await get(`/monitoring/decisions?model=${model}`)).json<DecisionDto[]>();
  const champion = async (model: string) => (await get(`/models/${model}`)).json().champion as number;

  /** Trains one candidate, registers its run and returns the version; `promote` forces it to champion. */
  async function version(model: string, candidate: 'linear' | 'gbdt', promote = false): Promise<number> {
    const [run] = await t.app.get(TrainingService).train(model, { candidates: [candidate] });
    const registered = await post(`/models/${model}/versions`, { runId: run.id });
    expect(registered.statusCode).toBe(201);
    const number = registered.json().version as number;
    if (promote) {
      expect((await post(`/models/${model}/versions/${number}/promote`, { force: true })).statusCode).toBe(200);
    }
    return number;
  }

  /**
   * Predicts `requests` batches of holdout rows (from `offset`) and sends their truth as feedback, shifted by
   * `shift`: each request is answered by the version its policy picks. Returns the rows per answering version.
   */
  async function traffic(model: string, requests: number, offset: number, shift = 0): Promise<Map<number, number>> {
    const answered: { requestId: string; rows: LabelledRow[] }[] = [];
    const perVersion = new Map<number, number>();
    for (let i = 0; i < requests; i++) {
      const start = (offset + i * ROWS_PER_REQUEST) % (holdout.length - ROWS_PER_REQUEST + 1);
      const rows = holdout.slice(start, start + ROWS_PER_REQUEST);
      // A user id per request: the split's sticky header makes each request's arm the same on every run.
      const res = await post(
        `/predict/${model}/batch`,
        { rows: rows.map((r) => r.request) },
        { 'x-user-id': `u${start}-${i}` },
      );
      expect(res.statusCode).toBe(200);
      const { requestId, version: answeredBy } = res.json<{ requestId: string; version: number }>();
      perVersion.set(answeredBy, (perVersion.get(answeredBy) ?? 0) + rows.length);
      answered.push({ requestId, rows });
    }
    await t.app.get(PredictionLogService).settle(new Set(answered.map((a) => a.requestId)));
    const items = answered.flatMap(({ requestId, rows }) =>
      rows.map((r, row) => ({ requestId, row, actual: r.truth + shift })),
    );
    for (let i = 0; i < items.length; i += 1000) {
      const res = await post('/feedback', { items: items.slice(i, i + 1000) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ accepted: Math.min(1000, items.length - i), rejected: 0 });
    }
    return perVersion;
  }

  beforeAll(async () => {
    definitionsDir = mkdtempSync(join(tmpdir(), 'nest-mlops-evaluation-defs-'));
    const rule = { confidence: 0.95, min_samples: 200, max_days: 14 };
    const degradation = { margin: 0.25, min_samples: 200, window_hours: 24 };
    writeFileSync(
      join(definitionsDir, 'housing.json'),
      definition(HOUSING, { auto_promote: true, ...rule, degradation: { ...degradation, action: 'retrain' } }),
    );
    writeFileSync(
      join(definitionsDir, 'rollback.json'),
      definition(ROLLBACK, { ...rule, degradation: { ...degradation, action: 'rollback_or_retrain' } }),
    );
    t = await createTestApp({
      MODEL_DEFINITIONS_DIR: definitionsDir,
      EVALUATION_INTERVAL_S: '0',
      DRIFT_CHECK_INTERVAL_S: '0',
      PREDICTION_LOG_FLUSH_MS: '60000',
    });
    const prepared = await t.app.get(DataService).prepare(HOUSING);
    // Shuffled (seeded): the file is ordered by district, and a request of neighbours would all be alike.
    const order = new Rng(7).shuffle(Float64Array.from(prepared.test.keys()));
    holdout = Array.from(order, (i) => prepared.test[i].values).map((values) => ({
      request: Object.fromEntries(INPUTS.filter((f) => values[f] !== null).map((f) => [f, values[f]])),
      truth: (values.median_house_value as number) / 100_000,
    }));
  }, 180_000);

  afterAll(async () => {
    await t.close();
    rmSync(definitionsDir, { recursive: true, force: true });
  });

  it('retrains a champion whose live error degrades far above its holdout error, once per window', async () => {
    await put(`/models/${HOUSING}/traffic`, { mode: 'champion' });
    const served = await version(HOUSING, 'gbdt', true);
    await traffic(HOUSING, 6, 0, 1.5); // the truth moved: every answer is 1.5 (150k USD) off

    const first = await evaluate(HOUSING);
    expect(first.degradation).toMatchObject({ version: served, metric: 'rmse', n: 300, state: 'degraded' });
    expect(first.degradation?.live).toBeGreaterThan(first.degradation?.threshold ?? Infinity);
    expect(first.decisions).toEqual([
      expect.objectContaining({ kind: 'retrain', model: HOUSING, evidence: { degradation: first.degradation } }),
    ]);
    const stored = await t.dataSource.getRepository(DecisionEntity).findOneByOrFail({ id: first.decisions[0].id });
    expect(stored).toMatchObject({ modelName: HOUSING, kind: 'retrain', summary: first.decisions[0].summary });

    // The retraining trigger reacts to the decision's event: one job, trigger performance.
    let jobs: { id: string; trigger: string; reason: string }[] = [];
    for (let i = 0; i < 100 && !jobs.some((j) => j.trigger === 'performance'); i++) {
      jobs = (await get(`/retrain/jobs?model=${HOUSING}`)).json();
      await new Promise((done) => setTimeout(done, 50));
    }
    const performanceJobs = () => jobs.filter((j) => j.trigger === 'performance');
    expect(performanceJobs()).toEqual([expect.objectContaining({ reason: first.decisions[0].summary })]);
    await t.app.get(RetrainingService).wait(performanceJobs()[0].id);
    expect(await champion(HOUSING)).toBe(served); // the same gbdt again: it does not beat itself

    const second = await evaluate(HOUSING);
    expect(second.degradation).toMatchObject({ version: served, state: 'cooldown' });
    expect(second.decisions).toEqual([]);
    jobs = (await get(`/retrain/jobs?model=${HOUSING}`)).json();
    expect(performanceJobs()).toHaveLength(1);
    expect((await decisionsOf(HOUSING)).filter((d: { kind: string }) => d.kind === 'retrain')).toHaveLength(1);
  }, 180_000);

  it('promotes a truly better challenger of an A/B test once enough feedback arrived, with its evidence', async () => {
    const linear = await version(HOUSING, 'linear', true);
    const gbdt = await version(HOUSING, 'gbdt');
    const policy = await put(`/models/${HOUSING}/traffic`, {
      mode: 'ab',
      weights: { [linear]: 50, [gbdt]: 50 },
      stickyHeader: 'x-user-id',
    });
    expect(policy.statusCode).toBe(200);
    const policyId = policy.json().policyId as number;

    await traffic(HOUSING, 4, 1000); // ~100 rows per arm: below min_samples
    const early = await evaluate(HOUSING);
    expect(early.experiment).toMatchObject({ policyId, mode: 'ab', state: 'collecting', action: 'none' });
    expect(early.decisions).toEqual([]);

    await traffic(HOUSING, 40, 1200); // feedback is the data's true targets
    const report = (await get(`/monitoring/experiments?model=${HOUSING}`)).json();
    expect(report).toMatchObject({ policyId, state: 'challenger_better', action: 'promote', winner: gbdt });
    const [comparison] = report.comparisons;
    expect(comparison).toMatchObject({ version: gbdt, verdict: 'challenger_better', fixed: { method: 'welch' } });
    expect(comparison.sequence.upper).toBeLessThan(0);
    // The always-valid sequence is wider than the fixed-sample interval it is reported beside.
    expect(comparison.sequence.upper - comparison.sequence.lower).toBeGreaterThan(
      comparison.fixed.upper - comparison.fixed.lower,
    );
    const arms = Object.fromEntries(report.arms.map((a: { version: number }) => [a.version, a]));
    expect(arms[gbdt].value).toBeLessThan(arms[linear].value);
    expect(Math.min(arms[gbdt].n, arms[linear].n)).toBeGreaterThanOrEqual(200);

    const run = await evaluate(HOUSING);
    expect(run.decisions).toEqual([
      expect.objectContaining({
        kind: 'promote',
        policyId,
        evidence: { experiment: expect.objectContaining({ winner: gbdt }) },
      }),
    ]);
    expect(await champion(HOUSING)).toBe(gbdt);
    expect((await get(`/models/${HOUSING}/traffic`)).json()).toMatchObject({ mode: 'champion', champion: gbdt });
    const history = (await get(`/models/${HOUSING}/traffic/history`)).json();
    expect(history.at(-1)).toMatchObject({ mode: 'champion', actor: 'evaluation' });
    expect((await evaluate(HOUSING)).experiment).toMatchObject({ mode: 'champion', state: 'no_experiment' });
  }, 180_000);

  it('does not promote a challenger equal to the champion, however much feedback arrives', async () => {
    const a = await version(HOUSING, 'linear', true);
    const b = await version(HOUSING, 'linear'); // the same data and learner: the same predictions
    const policy = await put(`/models/${HOUSING}/traffic`, {
      mode: 'ab',
      weights: { [a]: 50, [b]: 50 },
      stickyHeader: 'x-user-id',
    });
    expect(policy.statusCode).toBe(200);
    for (let round = 0; round < 4; round++) {
      await traffic(HOUSING, 12, 3000 + round * 600);
      const run = await evaluate(HOUSING);
      expect(run.experiment?.state).not.toBe('challenger_better');
      expect(run.decisions).toEqual([]);
    }
    const report = (await get(`/monitoring/experiments?model=${HOUSING}`)).json();
    expect(report.comparisons[0].sequence.lower).toBeLessThan(0);
    expect(report.comparisons[0].sequence.upper).toBeGreaterThan(0);
    expect(await champion(HOUSING)).toBe(a);
    await put(`/models/${HOUSING}/traffic`, { mode: 'champion' });
  }, 180_000);

  it('rolls a degraded champion back when the previous champion did better on the same rows', async () => {
    const previous = await version(ROLLBACK, 'gbdt', true);
    const current = await version(ROLLBACK, 'linear', true);
    // A truth both champions miss, the current one by more: with g the previous champion's prediction and p the
    // current one's, truth = g − 2(p − g) puts the previous one 2|p − g| away and the current one 3|p − g|.
    const entity = await t.app.get(ModelRegistryRepository).findVersion(ROLLBACK, previous);
    const previousModel = await t.app.get(ActiveModels).load(entity!);
    const saved = holdout;
    const rows = holdout.slice(2000, 2300);
    const g = previousModel.predict(rows.map((r) => r.request));
    const answers = (await post(`/predict/${ROLLBACK}/batch`, { rows: rows.map((r) => r.request) })).json();
    const p = (i: number): number => answers.predictions[i].value as number;
    const truth = (i: number): number => (g.task === 'regression' ? g.values[i] - 2 * (p(i) - g.values[i]) : 0);
    holdout = rows.map((r, i) => ({ request: r.request, truth: truth(i) }));
    try {
      await traffic(ROLLBACK, 6, 0);
    } finally {
      holdout = saved;
    }
    const run = await evaluate(ROLLBACK);
    expect(run.degradation).toMatchObject({ version: current, state: 'degraded', action: 'rollback_or_retrain' });
    expect(run.decisions).toEqual([expect.objectContaining({ kind: 'rollback' })]);
    const rollback = run.decisions[0].evidence.rollback as RollbackEvidence;
    expect(rollback).toMatchObject({ previous, rows: 300, better: true });
    expect(rollback.previousValue).toBeLessThan(rollback.current ?? -Infinity);
    expect(rollback.interval?.upper).toBeLessThan(0);
    expect(await champion(ROLLBACK)).toBe(previous);
    expect((await get(`/retrain/jobs?model=${ROLLBACK}`)).json()).toEqual([]);
  }, 180_000);

  it('runs one round at a time: in a process, and across processes sharing PostgreSQL (advisory lock)', async () => {
    const rounds = await Promise.all([evaluate(ROLLBACK), evaluate(ROLLBACK)]);
    expect(rounds.map((r) => r.model)).toEqual([ROLLBACK, ROLLBACK]);
    if (!TEST_DATABASE_URL) return; // SQLite: one process
    // Another process's round holds the lock (a session of its own): this one looks at nothing and decides nothing.
    let acquired!: () => void;
    let release!: () => void;
    const [holding, released] = [new Promise<void>((r) => (acquired = r)), new Promise<void>((r) => (release = r))];
    const other = t.app.get(EvaluationRepository).exclusively(async () => {
      acquired();
      await released;
      return 'done';
    });
    await holding;
    const res = await t.app.inject({ method: 'POST', url: '/monitoring/evaluate', headers: ADMIN });
    expect(res.json()).toMatchObject({ ran: false, models: [] });
    release();
    expect(await other).toBe('done');
    expect(await evaluate(ROLLBACK)).toMatchObject({ model: ROLLBACK });
  });

  it('lists decisions newest first, and runs an evaluation only for an admin', async () => {
    const decisions = (await get('/monitoring/decisions?limit=50')).json();
    const ids = decisions.map((d: { id: number }) => d.id);
    expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x));
    const refused = await t.app.inject({ method: 'POST', url: '/monitoring/evaluate' });
    expect(refused.statusCode).toBe(401);
    // A round of every model: iris (classification, no champion here) is looked at too, without an error.
    const all = (
      await t.app.inject({ method: 'POST', url: '/monitoring/evaluate', headers: ADMIN })
    ).json<EvaluationRunDto>();
    expect(all.models.map((m) => m.model).sort()).toEqual([HOUSING, ROLLBACK, 'iris'].sort());
    expect(all.models.find((m) => m.model === 'iris')).toMatchObject({
      experiment: { state: 'no_experiment' },
      degradation: { metric: 'log_loss', state: 'no_champion' },
      decisions: [],
    });
    expect(all.models.every((m) => !m.error)).toBe(true);
    expect((await get('/monitoring/experiments?model=nope')).statusCode).toBe(404);
    expect((await get('/monitoring/experiments')).statusCode).toBe(400);
  });
});
