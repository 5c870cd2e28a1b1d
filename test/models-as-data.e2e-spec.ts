import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../src/ml/random';
import { DataService } from '../src/data/data.service';
import { ActiveModels } from '../src/registry/active-models.service';
import { bestRun } from '../src/registry/best-run.util';
import { ModelBootstrapService } from '../src/retraining/model-bootstrap.service';
import { TrainingService } from '../src/training/training.service';
import { REPO_ROOT } from './support/housing-data';
import { ADMIN, createTestApp, finishedRetrainJob, TestApp } from './support/test-app';

/** The minimal definition of the product issue, exactly as written there (all ten inputs of the file). */
const DIABETES_YAML = `
name: diabetes                  # URL-safe: [a-z0-9][a-z0-9-]{0,62}
task: regression                # regression | classification
source:
  path: diabetes.csv            # relative to DATA_DIR/raw
target: progression             # column name
features:                       # the input fields a client sends, in this order
  - { name: age, type: number }
  - { name: sex, type: category }   # values learned from the training data
  - { name: bmi, type: number }
  - { name: bp, type: number }
  - { name: s1, type: number }
  - { name: s2, type: number }
  - { name: s3, type: number }
  - { name: s4, type: number }
  - { name: s5, type: number }
  - { name: s6, type: number }
`;

/** A definition file with three mistakes: each is reported with its path, and the other models still serve. */
const BROKEN_YAML = `
name: churn
task: regression
source: { path: churn.csv }
target: churned
colour: blue
features:
  - { name: tenure, type: number }
  - { name: plan, type: text }
columns:
  - { name: per_month, ratio: [tenure, months] }
`;

/** A classification model with string labels, a category input and a derived column, sent through the admin API. */
const PENGUINS_YAML = `
name: penguins
task: classification
description: Species of a penguin from its bill and island
aliases: [penguin]
source: { path: penguins.csv }
target: { name: species, description: Penguin species }
features:
  - { name: bill_length, type: number, positive: true, max: 100, unit: mm }
  - { name: bill_depth, type: number, positive: true, max: 50, unit: mm }
  - { name: island, type: category, values: [Biscoe, Dream, Torgersen] }
columns:
  - bill_length
  - bill_depth
  - { name: bill_ratio, ratio: [bill_length, bill_depth] }
  - island
candidates: [gbdt, random_forest]
gate: { metric: accuracy }
example: { bill_length: 39.1, bill_depth: 18.7, island: Torgersen }
`;

/** Three species, separable by bill shape, on three islands: 300 rows from a seeded generator. */
function penguinsCsv(): string {
  const rng = new Rng(11);
  const species = [
    { name: 'Adelie', length: 39, depth: 18.5 },
    { name: 'Chinstrap', length: 49, depth: 18.3 },
    { name: 'Gentoo', length: 47.5, depth: 15 },
  ];
  const islands = ['Biscoe', 'Dream', 'Torgersen'];
  const lines = ['bill_length,bill_depth,island,species'];
  for (let i = 0; i < 300; i++) {
    const s = species[i % 3];
    const length = (s.length + (rng.next() - 0.5) * 4).toFixed(1);
    const depth = (s.depth + (rng.next() - 0.5) * 2).toFixed(1);
    lines.push(`${length},${depth},${islands[rng.int(3)]},${s.name}`);
  }
  return `${lines.join('\n')}\n`;
}

const DIABETES_ROW = { age: 59, sex: '2', bmi: 32.1, bp: 101, s1: 157, s2: 93.2, s3: 38, s4: 4, s5: 4.8598, s6: 87 };

describe('models as data (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-models-'));
  const definitions = join(dir, 'definitions');
  let t: TestApp;

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const waitForJob = (model: string, nth = 1) => finishedRetrainJob(t.app, model, nth);

  beforeAll(async () => {
    mkdirSync(join(dir, 'data', 'raw'), { recursive: true });
    mkdirSync(definitions);
    copyFileSync(resolve(REPO_ROOT, 'data', 'raw', 'diabetes.csv'), join(dir, 'data', 'raw', 'diabetes.csv'));
    writeFileSync(join(dir, 'data', 'raw', 'penguins.csv'), penguinsCsv());
    writeFileSync(join(definitions, 'diabetes.yaml'), DIABETES_YAML);
    writeFileSync(join(definitions, 'churn.yaml'), BROKEN_YAML);
    t = await createTestApp({
      DATA_DIR: join(dir, 'data'),
      MODELS_DIR: join(dir, 'models'),
      MODEL_DEFINITIONS_DIR: definitions,
      AUTO_TRAIN_ON_START: 'true',
      DRIFT_MIN_ROWS: '10',
      // The built-in models train too at this first start: fewer trees keep the test short.
      TRAINING_PARAMS: JSON.stringify({
        'california-housing': { gbdt: { nEstimators: 30 }, random_forest: { nEstimators: 5 } },
      }),
    });
    await t.app.get(ModelBootstrapService).settled();
  }, 300_000);

  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains diabetes from its file at start and promotes the best candidate honestly', async () => {
    const models = (await get('/models')).json<{ name: string; status: string; origin: string }[]>();
    expect(models).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'diabetes', status: 'ok', origin: 'file', task: 'regression', champion: 1 }),
        expect.objectContaining({ name: 'california-housing', status: 'ok', origin: 'builtin', champion: 1 }),
        expect.objectContaining({ name: 'iris', status: 'ok', origin: 'builtin', champion: 1 }),
      ]),
    );
    const runs = (await get('/runs?model=diabetes')).json<{ candidate: string; metrics: { rmse: number } }[]>();
    expect(runs.map((r) => r.candidate).sort()).toEqual(['gbdt', 'linear', 'random_forest']);
    const best = runs.reduce((a, b) => (b.metrics.rmse < a.metrics.rmse ? b : a));
    const champion = (await get('/models/diabetes/versions/1')).json();
    expect(champion.candidate).toBe(best.candidate);
    // The served version's definition (read back from its artifact) shares the catalog's data and parsed table.
    const data = t.app.get(DataService);
    const served = t.app.get(ActiveModels).require('diabetes');
    expect(data.forDefinition(served.definition)).toBe(data.dataset('diabetes'));
    // The stored dataset: 442 rows, 353 / 89 split, the learned values of sex kept with the split.
    const [dataset] = (await get('/datasets?name=diabetes')).json();
    expect(dataset).toMatchObject({ rowsRead: 442, rowsRejected: 0, valuesImputed: 0 });
    const detail = (await get(`/datasets/${dataset.version}`)).json();
    expect(detail.splits[0]).toMatchObject({
      trainRows: 353,
      testRows: 89,
      preprocessing: { 'values:sex': ['1', '2'] },
    });
    expect(detail.splits[0].profile.map((p: { name: string }) => p.name)).toEqual([
      'age',
      'sex=1',
      'sex=2',
      'bmi',
      'bp',
      's1',
      's2',
      's3',
      's4',
      's5',
      's6',
    ]);
  });

  it("reproduces scikit-learn's LinearRegression RMSE 53.85 on its seed-42 split; the pick is the lowest RMSE", async () => {
    const split = resolve(REPO_ROOT, 'test', 'fixtures', 'diabetes_sklearn_split_seed42.json');
    const runs = await t.app.get(TrainingService).train('diabetes', { splitFile: split });
    const rmse = Object.fromEntries(runs.map((r) => [r.candidate, (r.metrics as { rmse: number }).rmse]));
    expect(rmse.linear).toBeCloseTo(53.853, 2);
    // On these 89 rows the forest (52.41) beats linear (53.85) and gbdt (56.63) by more than the tie tolerance.
    expect(rmse.random_forest).toBeLessThan(rmse.linear * 0.995);
    expect(bestRun('rmse', runs).candidate).toBe('random_forest');
  }, 60_000);

  it('serves diabetes through the generic, MLflow and Open Inference protocols with the same answer', async () => {
    const one = await post('/predict/diabetes', DIABETES_ROW);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ model: 'diabetes', version: 1, prediction: { unit: '' } });
    const value = one.json().prediction.value as number;
    expect(value).toBeGreaterThan(25);
    const generic = await post('/models/diabetes/predict', { inputs: [DIABETES_ROW] });
    expect(generic.json().predictions[0].value).toBe(value);
    const mlflow = await post('/invocations?model=diabetes', {
      dataframe_split: { columns: Object.keys(DIABETES_ROW), data: [Object.values(DIABETES_ROW)] },
    });
    expect(mlflow.json()).toEqual({ predictions: [value] });
    const inputs = Object.entries(DIABETES_ROW).map(([name, v]) => ({
      name,
      shape: [1],
      datatype: typeof v === 'string' ? 'BYTES' : 'FP64',
      data: [v],
    }));
    const v2 = await post('/v2/models/diabetes/infer', { inputs });
    expect(v2.json().outputs[0]).toEqual({ name: 'predictions', shape: [1], datatype: 'FP64', data: [value] });
    const metadata = (await get('/v2/models/diabetes')).json();
    expect(metadata.inputs).toContainEqual({ name: 'sex', datatype: 'BYTES', shape: [-1] });
    expect(metadata.inputs).toContainEqual({ name: 'bmi', datatype: 'FP64', shape: [-1] });
  });

  it('refuses bad diabetes fields with the field and rule, in each protocol', async () => {
    const problem = async (url: string, payload: unknown) => {
      const res = await post(url, payload);
      expect(res.statusCode).toBe(400);
      return (res.json().errors as { field: string; rule: string }[]).map((e) => `${e.field}:${e.rule}`);
    };
    expect(await problem('/predict/diabetes', { ...DIABETES_ROW, bmi: 'x' })).toEqual(['bmi:isNumber']);
    expect(await problem('/predict/diabetes', { ...DIABETES_ROW, sex: '3' })).toEqual(['sex:isIn']);
    expect(await problem('/predict/diabetes', { ...DIABETES_ROW, weight: 80 })).toEqual(['weight:whitelistValidation']);
    const { age: _age, ...noAge } = DIABETES_ROW;
    expect(await problem('/predict/diabetes', noAge)).toEqual(['age:isDefined']);
    expect(await problem('/predict/diabetes/batch', { rows: [DIABETES_ROW, { ...DIABETES_ROW, s5: null }] })).toEqual([
      'rows.1.s5:isDefined',
    ]);
    expect(
      await problem('/invocations?model=diabetes', { dataframe_records: [{ ...DIABETES_ROW, bp: 'high' }] }),
    ).toEqual(['rows[0].bp:isNumber']);
  });

  it('shows diabetes in /metrics, the drift report, the dashboard data and the OpenAPI document', async () => {
    for (let i = 0; i < 12; i++) expect((await post('/predict/diabetes', DIABETES_ROW)).statusCode).toBe(200);
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/^predictions_total\{model="diabetes",version="1",outcome="ok"\} 1[3-9]/m);
    expect(metrics).toMatch(/^model_ready\{model="diabetes"\} 1/m);
    const drift = (await get('/monitoring/drift?model=diabetes')).json();
    expect(drift).toMatchObject({ model: 'diabetes', version: 1 });
    expect(drift.features.map((f: { feature: string }) => f.feature)).toContain('sex=2');
    // The dashboard reads GET /models and these endpoints.
    const holdout = (await get('/models/diabetes/versions/1/holdout')).json();
    expect(holdout).toMatchObject({ task: 'regression' });
    expect(holdout.actual).toHaveLength(89);
    const docs = (await get('/docs-json')).json();
    expect(docs.components.schemas.DiabetesInput).toMatchObject({
      type: 'object',
      required: ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
      properties: { sex: { type: 'string', enum: ['1', '2'] }, bmi: { type: 'number' } },
    });
    expect(docs.paths['/predict/diabetes'].post.requestBody.content['application/json']).toMatchObject({
      schema: { $ref: '#/components/schemas/DiabetesInput' },
      example: expect.objectContaining({ sex: expect.any(String), bmi: expect.any(Number) }),
    });
    expect(docs.paths['/predict/housing'].post.requestBody.content['application/json'].example).toMatchObject({
      ocean_proximity: 'NEAR BAY',
    });
  });

  it('reports a broken definition with every problem, in /models and /health, and serves the others', async () => {
    const broken = (await get('/models')).json<{ name: string; status: string }[]>().find((m) => m.name === 'churn');
    expect(broken).toMatchObject({ status: 'broken', origin: 'file' });
    const rules = (broken as unknown as { problems: { field: string; rule: string }[] }).problems.map(
      (p) => `${p.field}:${p.rule}`,
    );
    expect(rules).toEqual(
      expect.arrayContaining([
        'colour:additionalProperties',
        'features[1].type:enum',
        'columns[0].ratio[1]:unknown_field',
      ]),
    );
    const health = (await get('/health/ready')).json();
    const details = health.details ?? health.info;
    expect(details.models.brokenDefinitions[0]).toMatchObject({ name: 'churn', origin: 'file' });
    expect((await post('/predict/churn', {})).statusCode).toBe(404);
  });

  it('adds a classification model with string labels through the admin API, serves it, replaces and retires it', async () => {
    const yaml = { 'content-type': 'application/yaml', ...ADMIN };
    const refused = await t.app.inject({
      method: 'PUT',
      url: '/models/penguins/definition',
      headers: yaml,
      payload: PENGUINS_YAML.replace('type: category', 'type: factor').replace('ratio: [bill_length', 'ratio: [bill'),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'DEFINITION.INVALID' });
    expect(refused.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'features[2].type',
      'columns[2].ratio[0]',
    ]);
    expect((await get('/models/penguins')).statusCode).toBe(404);

    const put = await t.app.inject({
      method: 'PUT',
      url: '/models/penguins/definition',
      headers: yaml,
      payload: PENGUINS_YAML,
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ name: 'penguins', origin: 'api', revision: 1 });
    const job = await waitForJob('penguins');
    expect(job).toMatchObject({ trigger: 'definition', status: 'succeeded', outcome: 'promoted', version: 1 });

    const one = await post('/predict/penguin', { bill_length: 49.5, bill_depth: 18.4, island: 'Dream' });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ model: 'penguins', prediction: { label: 'Chinstrap' } });
    expect(Object.keys(one.json().prediction.probabilities)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    const mlflow = await post('/invocations?model=penguins', {
      dataframe_records: [{ bill_length: 38.5, bill_depth: 18.9, island: 'Biscoe' }],
    });
    expect(mlflow.json()).toEqual({ predictions: ['Adelie'] });
    const v2 = await post('/v2/models/penguins/infer', {
      inputs: [
        { name: 'bill_length', shape: [1], datatype: 'FP64', data: [47.1] },
        { name: 'bill_depth', shape: [1], datatype: 'FP64', data: [14.8] },
        { name: 'island', shape: [1], datatype: 'BYTES', data: ['Biscoe'] },
      ],
    });
    expect(v2.json().outputs[0]).toEqual({ name: 'predictions', shape: [1], datatype: 'BYTES', data: ['Gentoo'] });
    const bad = await post('/predict/penguins', { bill_length: 0, bill_depth: 18.4, island: 'Mars' });
    expect(bad.json().errors.map((e: { field: string; rule: string }) => `${e.field}:${e.rule}`)).toEqual([
      'bill_length:isGreaterThan',
      'island:isIn',
    ]);
    for (let i = 0; i < 10; i++) await post('/predict/penguins', { bill_length: 40, bill_depth: 18, island: 'Dream' });
    expect((await get('/metrics')).body).toMatch(
      /^predictions_total\{model="penguins",version="1",outcome="ok"\} \d+/m,
    );
    const drift = (await get('/monitoring/drift?model=penguins')).json();
    expect(drift.features.map((f: { feature: string }) => f.feature)).toEqual([
      'bill_length',
      'bill_depth',
      'bill_ratio',
      'island=Biscoe',
      'island=Dream',
      'island=Torgersen',
    ]);
    const definition = (await get('/models/penguins/definition')).json();
    expect(definition).toMatchObject({ origin: 'api', revision: 1, resolved: { aliases: ['penguin'] } });

    // A changed definition is a new revision, trained again; the champion keeps serving meanwhile.
    const changed = await t.app.inject({
      method: 'PUT',
      url: '/models/penguins/definition',
      headers: ADMIN,
      payload: { ...definition.document, candidates: ['random_forest'] },
    });
    expect(changed.json()).toMatchObject({ revision: 2 });
    expect((await post('/predict/penguins', { bill_length: 40, bill_depth: 18, island: 'Dream' })).statusCode).toBe(
      200,
    );
    const second = await waitForJob('penguins', 2);
    expect(second).toMatchObject({ trigger: 'definition', status: 'succeeded', version: 2 });

    const retired = await t.app.inject({ method: 'DELETE', url: '/models/penguins/definition', headers: ADMIN });
    expect(retired.json()).toMatchObject({ action: 'retire', revision: 3 });
    expect((await post('/predict/penguins', { bill_length: 40, bill_depth: 18, island: 'Dream' })).statusCode).toBe(
      404,
    );
    expect((await get('/models')).json<{ name: string }[]>().map((m) => m.name)).not.toContain('penguins');
    const history = (await get('/models/penguins/definition/history')).json();
    expect(history.map((h: { action: string; actor: string }) => `${h.action}:${h.actor}`)).toEqual([
      'put:api',
      'put:api',
      'retire:api',
    ]);
    const rows = await t.dataSource.query<{ n: number }[]>(
      "SELECT COUNT(*) AS n FROM model_versions WHERE model_name = 'penguins'",
    );
    expect(rows[0].n).toBe(2); // the registry keeps a retired model's versions
  }, 120_000);

  it('refuses definition changes without the admin key', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/models/x/definition', payload: { name: 'x' } });
    expect(res.statusCode).toBe(401);
  });

  describe('definitions changed at run time', () => {
    const put = (name: string, document: object) =>
      t.app.inject({ method: 'PUT', url: `/models/${name}/definition`, headers: ADMIN, payload: document });
    const minimal = (name: string, extra: object = {}) => ({
      name,
      task: 'regression',
      source: { path: 'diabetes.csv' },
      target: 'progression',
      features: [
        { name: 'bmi', type: 'number' },
        { name: 's5', type: 'number' },
      ],
      candidates: ['linear'],
      ...extra,
    });

    it('reads the same file anew for a changed definition: its own split, fitted values and profile', async () => {
      expect((await put('dia2', minimal('dia2'))).statusCode).toBe(200);
      expect(await waitForJob('dia2')).toMatchObject({ outcome: 'promoted', version: 1 });
      const widened = minimal('dia2', {
        features: [
          { name: 'sex', type: 'category' },
          { name: 'bmi', type: 'number' },
          { name: 's5', type: 'number' },
        ],
      });
      expect((await put('dia2', widened)).statusCode).toBe(200);
      // The old version serves the old inputs until the new one is promoted.
      expect((await post('/predict/dia2', { bmi: 30, s5: 4.5 })).statusCode).toBe(200);
      const job = await waitForJob('dia2', 2);
      // The champion needs no input the new definition lacks, so the gate compares them on the same rows.
      expect(job).toMatchObject({ status: 'succeeded', version: 2 });
      const datasets = (await get('/datasets?name=dia2')).json<{ version: string; definitionSha256: string }[]>();
      expect(datasets).toHaveLength(2);
      expect(datasets[0].version).toBe(datasets[1].version);
      expect(datasets[0].definitionSha256).not.toBe(datasets[1].definitionSha256);
    }, 60_000);

    it('trains the definition set last when a second one arrives while the first trains', async () => {
      expect((await put('dia3', minimal('dia3'))).statusCode).toBe(200);
      const second = minimal('dia3', { features: [{ name: 'bmi', type: 'number' }] });
      expect((await put('dia3', second)).statusCode).toBe(200);
      for (let i = 0; i < 100; i++) {
        const jobs = (await get('/retrain/jobs?model=dia3')).json<{ status: string }[]>();
        if (jobs.length === 2 && jobs.every((j) => j.status !== 'running' && j.status !== 'queued')) break;
        await new Promise((done) => setTimeout(done, 100));
      }
      const served = (await post('/predict/dia3', { bmi: 30 })).json();
      // The version served was trained on the second definition (bmi only): version 2, promoted without a gate
      // (the champion needed s5), or version 1 when the first job read the data after the second definition came.
      expect(served).toMatchObject({ model: 'dia3' });
      const version = (await get(`/models/dia3/versions/${served.version}`)).json();
      expect(version.inputSignature.map((f: { name: string }) => f.name)).toEqual(['bmi']);
      expect((await post('/predict/dia3', { bmi: 30, s5: 4 })).json().errors[0]).toMatchObject({ field: 's5' });
    }, 60_000);

    it('starts a retired model afresh when it is defined again, and keeps readiness for a failing new model', async () => {
      expect((await put('dia4', minimal('dia4'))).statusCode).toBe(200);
      expect(await waitForJob('dia4')).toMatchObject({ outcome: 'promoted', version: 1 });
      const retired = await t.app.inject({ method: 'DELETE', url: '/models/dia4/definition', headers: ADMIN });
      expect(retired.statusCode).toBe(200);
      const history = (await get('/models/dia4/history')).statusCode;
      expect(history).toBe(404); // retired: the model is gone from the routes; its rows stay
      expect((await put('dia4', minimal('dia4'))).statusCode).toBe(200);
      expect(await waitForJob('dia4', 2)).toMatchObject({ outcome: 'promoted', version: 2, fromVersion: null });
      expect((await post('/predict/dia4', { bmi: 30, s5: 4.5 })).json()).toMatchObject({ version: 2 });
      const events = await t.dataSource.query<{ action: string; to_version: number | null }[]>(
        "SELECT action, to_version FROM alias_events WHERE model_name = 'dia4' ORDER BY id",
      );
      expect(events.map((e) => `${e.action}:${e.to_version}`)).toEqual(['promote:1', 'retire:null', 'promote:2']);

      // A model whose data is missing fails its training; the others keep the service ready.
      expect((await put('dia5', minimal('dia5', { source: { path: 'missing.csv' } }))).statusCode).toBe(200);
      expect(await waitForJob('dia5')).toMatchObject({ status: 'failed' });
      const ready = await get('/health/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().details.models.dia5).toMatchObject({ served: false, addedAtRunTime: true });
    }, 60_000);

    it('refuses names and aliases another model holds, paths outside DATA_DIR/raw and reserved names', async () => {
      const alias = await put('housing', minimal('housing'));
      expect(alias.statusCode).toBe(409);
      expect(alias.json().message).toContain('housing is an alias of california-housing');
      expect((await put('dia6', minimal('dia6', { aliases: ['iris'] }))).statusCode).toBe(409);
      const outside = await put('dia6', minimal('dia6', { source: { path: '/etc/passwd' } }));
      expect(outside.statusCode).toBe(400);
      expect(outside.json().errors).toEqual([
        expect.objectContaining({ field: 'source.path', rule: 'inside_raw_dir' }),
      ]);
      expect((await put('dia6', minimal('dia6', { source: { path: '../raw/diabetes.csv' } }))).statusCode).toBe(400);
      const reserved = await put(
        'dia6',
        minimal('dia6', {
          features: [{ name: 'constructor', type: 'number' }],
          target: { name: 'progression', also: { unit: 10 } },
        }),
      );
      expect(reserved.json().errors.map((e: { field: string }) => e.field)).toEqual([
        'target.also.unit',
        'features[0].name',
      ]);
      expect((await get('/models/dia6')).statusCode).toBe(404);
    });
  });
});
