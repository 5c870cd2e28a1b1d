import { DataService } from '../src/data/data.service';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { BoostedTreesModel } from '../src/ml/boosted-trees.model';
import { GradientBoostedTrees } from '../src/ml/gbdt.model';
import { RandomForest } from '../src/ml/random-forest.model';
import type { OutputExplanation, RowExplanation } from '../src/registry/explanation-shaper';
import { ActiveModels } from '../src/registry/active-models.service';
import { RegistryService } from '../src/registry/registry.service';
import type { ServedModel } from '../src/registry/served-model';
import { ForestClassifierModel } from '../src/training/models/forest-classifier.model';
import { TrainingService } from '../src/training/training.service';
import { HOUSING_SPEC } from './support/builtin-models';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const HOUSING = 'california-housing';
const json = { 'content-type': 'application/json' };
const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/** |base + Σ contributions − target| within 1e-9 × max(1, |target|), per input field and per feature. */
function expectAdditive(e: OutputExplanation, target: number): void {
  const tolerance = 1e-9 * Math.max(1, Math.abs(target));
  expect(Math.abs(e.base + sum(e.contributions) - target)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(e.base + sum(e.features) - target)).toBeLessThanOrEqual(tolerance);
}

/** What a version's explanation adds up to for each row: its prediction, or its margins (boosted classifiers). */
function targets(served: ServedModel, rows: object[]): number[][] {
  const X = served.features(rows);
  const n = rows.length;
  const e = served.estimator;
  if (served.spec.task === 'regression') return Array.from(e.predict(X, n), (v) => [v]);
  const raw =
    e instanceof GradientBoostedTrees
      ? e.predictRaw(X, n)
      : e instanceof BoostedTreesModel
        ? e.predictMargin(X, n)
        : (e as RandomForest | ForestClassifierModel).predictProba(X, n);
  const K = raw.length / n;
  return Array.from({ length: n }, (_, r) => Array.from(raw.subarray(r * K, (r + 1) * K)));
}

/**
 * Exact explanations (TreeSHAP for trees, the linear model's terms): additive on every holdout row of every model,
 * summed back to the input fields, on the single, batch, generic, explain, MLflow and V2 routes.
 */
describe('explanations (e2e)', () => {
  let t: TestApp;
  const versions = new Map<string, number>();

  beforeAll(async () => {
    t = await createTestApp({
      TRAINING_PARAMS: JSON.stringify({
        [HOUSING]: { gbdt: { nEstimators: 60 }, random_forest: { nEstimators: 8 } },
        iris: { random_forest: { nEstimators: 10 } },
      }),
    });
    const training = t.app.get(TrainingService);
    const registry = t.app.get(RegistryService);
    for (const [model, candidates] of [
      [HOUSING, ['gbdt', 'random_forest', 'linear']],
      ['iris', ['gbdt', 'random_forest']],
    ] as const) {
      for (const run of await training.train(model, { candidates: [...candidates] })) {
        versions.set(`${model}/${run.candidate}`, (await registry.register(model, run.id)).version);
      }
    }
    await registry.promote(HOUSING, versions.get(`${HOUSING}/gbdt`) as number, { actor: 'test', force: true });
    await registry.promote('iris', versions.get('iris/gbdt') as number, { actor: 'test', force: true });
  }, 600_000);

  afterAll(async () => {
    await t?.close();
  });

  it.each([
    [HOUSING, 'gbdt'],
    [HOUSING, 'random_forest'],
    [HOUSING, 'linear'],
    ['iris', 'gbdt'],
    ['iris', 'random_forest'],
  ])('%s %s: base + contributions = the output on every holdout row', async (model, candidate) => {
    const served = await t.app
      .get(ActiveModels)
      .load(await t.app.get(RegistryService).version(model, versions.get(`${model}/${candidate}`) as number));
    const inputs = served.spec.inputs.map((f) => f.name);
    const rows = (await t.app.get(DataService).prepare(model)).test.map((r) =>
      Object.fromEntries(inputs.map((f) => [f, r.values[f] ?? null])),
    );
    const explanations = served.explain(rows);
    const expected = targets(served, rows);
    expect(explanations).toHaveLength(rows.length);
    explanations.forEach((e: RowExplanation, r) => {
      if ('classes' in e) {
        const classes = served.spec.classes ?? [];
        classes.forEach((label, k) => expectAdditive(e.classes[label], expected[r][k]));
      } else {
        expectAdditive(e, expected[r][0]);
      }
    });
    // Every input field is reported, and the features are the model's own.
    const first = explanations[0];
    const one = 'classes' in first ? Object.values(first.classes)[0] : first;
    expect(Object.keys(one.contributions).sort()).toEqual([...inputs].sort());
    expect(Object.keys(one.features)).toEqual(served.spec.features.map((f) => f.name));
  });

  it("stores each run's global importance: the mean |contribution| of each feature over its holdout", async () => {
    const res = await t.app.inject({ method: 'GET', url: `/runs?model=${HOUSING}&candidate=gbdt&limit=1` });
    const [run] = res.json<{ shapImportances: Record<string, number>; featureImportances: Record<string, number> }[]>();
    const served = t.app.get(ActiveModels).get(HOUSING) as ServedModel;
    expect(Object.keys(run.shapImportances)).toEqual(served.spec.features.map((f) => f.name));
    // The same mean over the first SHAP_IMPORTANCE_ROWS (500) holdout rows, from the served version's explanations.
    const inputs = served.spec.inputs.map((f) => f.name);
    const rows = (await t.app.get(DataService).prepare(HOUSING)).test
      .slice(0, 500)
      .map((r) => Object.fromEntries(inputs.map((f) => [f, r.values[f] ?? null])));
    const mean: Record<string, number> = {};
    for (const e of served.explain(rows) as OutputExplanation[]) {
      for (const [name, value] of Object.entries(e.features)) mean[name] = (mean[name] ?? 0) + Math.abs(value) / 500;
    }
    for (const [name, value] of Object.entries(run.shapImportances)) expect(value).toBeCloseTo(mean[name], 9);
    // Income and what the location's neighbours are worth explain the most.
    const ranked = Object.entries(run.shapImportances)
      .sort((a, b) => b[1] - a[1])
      .map(([name]) => name);
    expect(ranked.slice(0, 3)).toContain('MedInc');
    expect(ranked[0]).toMatch(/^(MedInc|nb\d+_log_value(_weighted)?)$/);
  });

  it('POST /predict/housing?explain=true: the answer as usual plus the explanation of its prediction', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/predict/housing?explain=true',
      headers: json,
      payload: JSON.stringify(HOUSING_SPEC.example),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ prediction: { value: number }; explanation: OutputExplanation & { space: string } }>();
    expect(body.explanation.space).toBe('output');
    expectAdditive(body.explanation, body.prediction.value);
    // The features derived from a field are summed back to it: the five city distances and the four rotations
    // belong to latitude and longitude, the one-hot columns to ocean_proximity.
    const { features, contributions } = body.explanation;
    const oneHot = Object.entries(features).filter(([name]) => name.startsWith('ocean_proximity='));
    expect(contributions.ocean_proximity).toBeCloseTo(sum(Object.fromEntries(oneHot)), 12);
    const plain = await t.app.inject({
      method: 'POST',
      url: '/predict/housing',
      headers: json,
      payload: JSON.stringify(HOUSING_SPEC.example),
    });
    expect(plain.json()).not.toHaveProperty('explanation');
    expect(plain.json<{ prediction: { value: number } }>().prediction.value).toBe(body.prediction.value);
  });

  it('batch, generic and explain routes: one explanation per row; iris per class, in margin space', async () => {
    const rows = [HOUSING_SPEC.example, { ...HOUSING_SPEC.example, median_income: 2.1, total_bedrooms: null }];
    for (const url of [
      `/predict/${HOUSING}/batch?explain=1`,
      `/models/${HOUSING}/predict?explain=true`,
      `/models/${HOUSING}/explain`,
    ]) {
      const res = await t.app.inject({ method: 'POST', url, headers: json, payload: JSON.stringify({ rows }) });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ predictions: { value: number }[]; explanations: OutputExplanation[] }>();
      expect(body.explanations).toHaveLength(2);
      body.explanations.forEach((e, i) => expectAdditive(e, body.predictions[i].value));
    }
    const iris = await t.app.inject({
      method: 'POST',
      url: '/models/iris/explain',
      headers: json,
      payload: JSON.stringify({ inputs: { sepal_length: 6.7, sepal_width: 3, petal_length: 5.2, petal_width: 2.3 } }),
    });
    expect(iris.statusCode).toBe(200);
    const explained = iris.json<{ explanations: { space: string; classes: Record<string, OutputExplanation> }[] }>();
    expect(explained.explanations[0].space).toBe('margin');
    expect(Object.keys(explained.explanations[0].classes)).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('MLflow ?explain=true and V2 parameters.explain', async () => {
    const mlflow = await t.app.inject({
      method: 'POST',
      url: `/invocations?model=${HOUSING}&explain=true`,
      headers: json,
      payload: JSON.stringify({ dataframe_records: [HOUSING_SPEC.example] }),
    });
    expect(mlflow.statusCode).toBe(200);
    const answer = mlflow.json<{ predictions: number[]; explanations: OutputExplanation[] }>();
    expectAdditive(answer.explanations[0], answer.predictions[0]);
    const v2 = await t.app.inject({
      method: 'POST',
      url: '/v2/models/iris/infer',
      headers: json,
      payload: JSON.stringify({
        inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: [5.1, 3.5, 1.4, 0.2] }],
        parameters: { explain: true },
      }),
    });
    expect(v2.statusCode).toBe(200);
    expect(v2.json<{ parameters: { explanations: object[] } }>().parameters.explanations).toHaveLength(1);
    const without = await t.app.inject({
      method: 'POST',
      url: '/v2/models/iris/infer',
      headers: json,
      payload: JSON.stringify({
        inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    });
    expect(without.json()).not.toHaveProperty('parameters');
  });

  it('refuses an explained batch over EXPLAIN_BUDGET_MS with 413 before predicting or logging it', async () => {
    const registry = t.app.get(RegistryService);
    await registry.promote(HOUSING, versions.get(`${HOUSING}/random_forest`) as number, { actor: 'test', force: true });
    try {
      const rows = Array.from({ length: 1000 }, () => HOUSING_SPEC.example);
      await t.app.get(PredictionLogService).flush();
      const before = await t.app.inject({ method: 'GET', url: `/predictions?model=${HOUSING}&limit=1000` });
      const res = await t.app.inject({
        method: 'POST',
        url: `/models/${HOUSING}/explain`,
        headers: json,
        payload: JSON.stringify({ rows }),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json<{ code: string; message: string }>()).toMatchObject({
        code: 'REGISTRY.EXPLANATION_TOO_LARGE',
        message: expect.stringMatching(/at most \d+ rows per request \(EXPLAIN_BUDGET_MS\)/),
      });
      await t.app.get(PredictionLogService).flush();
      const after = await t.app.inject({ method: 'GET', url: `/predictions?model=${HOUSING}&limit=1000` });
      expect(after.json<unknown[]>()).toHaveLength(before.json<unknown[]>().length);
      // The same rows without explanations are predicted as usual.
      const plain = await t.app.inject({
        method: 'POST',
        url: `/models/${HOUSING}/predict`,
        headers: json,
        payload: JSON.stringify({ rows }),
      });
      expect(plain.statusCode).toBe(200);
    } finally {
      await registry.promote(HOUSING, versions.get(`${HOUSING}/gbdt`) as number, { actor: 'test', force: true });
    }
  });

  it('refuses a malformed explain with 400 naming it', async () => {
    for (const url of ['/predict/housing?explain=maybe', `/invocations?model=${HOUSING}&explain=yes`]) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: json,
        payload: JSON.stringify(
          url.startsWith('/inv') ? { dataframe_records: [HOUSING_SPEC.example] } : HOUSING_SPEC.example,
        ),
      });
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(res.json())).toContain('explain');
    }
    const v2 = await t.app.inject({
      method: 'POST',
      url: '/v2/models/iris/infer',
      headers: { ...json, ...ADMIN },
      payload: JSON.stringify({
        inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: [5.1, 3.5, 1.4, 0.2] }],
        parameters: { explain: 'yes' },
      }),
    });
    expect(v2.statusCode).toBe(400);
  });
});
