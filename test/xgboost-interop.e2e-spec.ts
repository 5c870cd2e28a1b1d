/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- edits parsed XGBoost documents */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataService } from '../src/data/data.service';
import type { TableRecord } from '../src/data/table/table';
import { xgboostFeatureName } from '../src/registry/interop/xgboost-names.util';
import { ActiveModels } from '../src/registry/active-models.service';
import { ModelRegistryRepository } from '../src/registry/model-registry.repository';
import { RegistryService } from '../src/registry/registry.service';
import { trainingData } from '../src/training/training-matrices.util';
import { TrainingService } from '../src/training/training.service';
import { realHousingCsvPath, REPO_ROOT } from './support/housing-data';
import { ADMIN, createTestApp, TestApp } from './support/test-app';
import { chainTree } from './support/xgboost-documents';

/** Debian's python3-xgboost (1.7) is the reference; `.ci/run` installs it and sets REQUIRE_XGBOOST. */
function findPython(): string | undefined {
  const candidates = [process.env.XGBOOST_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[];
  return candidates.find((python) => spawnSync(python, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0);
}
const PYTHON = findPython();
if (!PYTHON && process.env.REQUIRE_XGBOOST === '1') {
  throw new Error('REQUIRE_XGBOOST=1 but no python3 with xgboost: apt-get install python3-xgboost');
}
const SCRIPT = join(REPO_ROOT, 'scripts', 'xgboost-reference.py');
const TOLERANCE = 1e-5;
const HOUSING = 'california-housing';
const BINARY = 'expensive';

/** A binary task on the housing rows: is a block group's median value above $250,000? */
const BINARY_YAML = `
name: expensive
task: classification
description: Whether a block group's median house value is above $250,000
source: { path: expensive.csv }
target: { name: expensive, description: above 250k, classes: ['no', 'yes'] }
features:
  - { name: median_income, type: number, positive: true, max: 100 }
  - { name: housing_median_age, type: number, min: 0, max: 150 }
  - { name: latitude, type: number, min: 32, max: 43 }
  - { name: longitude, type: number, min: -125, max: -114 }
  - { name: rooms_per_household, type: number, min: 0, max: 1000 }
columns: [median_income, housing_median_age, latitude, longitude, rooms_per_household]
candidates: [gbdt]
gate: { metric: accuracy }
example: { median_income: 8.3, housing_median_age: 41, latitude: 37.88, longitude: -122.23, rooms_per_household: 7 }
`;

function binaryCsv(housing: string): string {
  const [header, ...lines] = readFileSync(housing, 'utf8').trim().split('\n');
  const at = Object.fromEntries(header.split(',').map((name, i) => [name, i]));
  const out = ['median_income,housing_median_age,latitude,longitude,rooms_per_household,expensive'];
  for (const line of lines.slice(0, 6000)) {
    const v = line.split(',');
    const rooms = (Number(v[at.total_rooms]) / Number(v[at.households])).toFixed(4);
    const label = Number(v[at.median_house_value]) > 250_000 ? 'yes' : 'no';
    out.push([v[at.median_income], v[at.housing_median_age], v[at.latitude], v[at.longitude], rooms, label].join(','));
  }
  return `${out.join('\n')}\n`;
}

type Rows = (number | null)[][];
interface Reference {
  margin: number[] | number[][];
  output: number[] | number[][];
}

const rowsOf = (X: Float64Array, width: number): Rows =>
  Array.from({ length: X.length / width }, (_, r) =>
    Array.from(X.subarray(r * width, (r + 1) * width), (v) => (Number.isNaN(v) ? null : v)),
  );
/** The largest difference of each comparison, printed at the end: the figures the closing note quotes. */
const measured: string[] = [];
const worst = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  const value = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  measured.push(
    `${(expect.getState().currentTestName ?? '').replace(/^XGBoost import and export \(.*?\) /, '')}: ${a.length} values, max |diff| ${value.toExponential(2)}`,
  );
  return value;
};

/**
 * XGBoost models trained in Python on the housing data (regression, on the model's features and on raw input
 * fields with missing values), Iris (multi-class) and a binary task, imported through the API and compared with
 * XGBoost's own predictions on every holdout row; the service's own champions exported and loaded by XGBoost.
 */
(PYTHON ? describe : describe.skip)('XGBoost import and export (e2e, against python3-xgboost)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-xgboost-'));
  let t: TestApp;
  const holdout = new Map<string, { records: TableRecord[]; X: Rows; features: string[] }>();
  const training = new Map<string, { X: Rows; y: number[] }>();

  const python = (...args: string[]): string => {
    const run = spawnSync(PYTHON as string, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`xgboost-reference.py ${args[0]} failed: ${run.stderr}`);
    return run.stdout;
  };
  const importModel = (name: string, body: object) =>
    t.app.inject({
      method: 'POST',
      url: `/models/${name}/versions/import`,
      headers: { 'content-type': 'application/json', ...ADMIN },
      payload: JSON.stringify(body),
    });
  /** Makes the version champion (forced); 409 when it already is. */
  const promote = async (name: string, version: number, already = false) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/models/${name}/versions/${version}/promote`,
      headers: { 'content-type': 'application/json', ...ADMIN },
      payload: JSON.stringify({ force: true }),
    });
    expect(res.statusCode).toBe(res.statusCode === 409 && already ? 409 : 200);
  };
  /** The champion's answers for the holdout rows, through the batch route: values, or class probabilities. */
  const served = async (name: string): Promise<number[][]> => {
    const out: number[][] = [];
    const inputs = t.app
      .get(DataService)
      .dataset(name)
      .definition.features.map((f) => f.name);
    const rows = (holdout.get(name) as { records: TableRecord[] }).records.map((r) =>
      Object.fromEntries(inputs.map((f) => [f, r.values[f] ?? null])),
    );
    for (let i = 0; i < rows.length; i += 1000) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/predict/${name}/batch`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ rows: rows.slice(i, i + 1000) }),
      });
      expect([res.statusCode, res.statusCode === 200 ? '' : res.body]).toEqual([200, '']);
      for (const p of res.json<{ predictions: { value?: number; probabilities?: Record<string, number> }[] }>()
        .predictions) {
        out.push(p.probabilities ? Object.values(p.probabilities) : [p.value as number]);
      }
    }
    return out;
  };

  beforeAll(async () => {
    const raw = join(dir, 'data', 'raw');
    mkdirSync(raw, { recursive: true });
    mkdirSync(join(dir, 'definitions'));
    copyFileSync(realHousingCsvPath(), join(raw, 'california_housing.csv'));
    writeFileSync(join(raw, 'expensive.csv'), binaryCsv(realHousingCsvPath()));
    writeFileSync(join(dir, 'definitions', 'expensive.yaml'), BINARY_YAML);
    t = await createTestApp({
      DATA_DIR: join(dir, 'data'),
      MODELS_DIR: join(dir, 'models'),
      MODEL_DEFINITIONS_DIR: join(dir, 'definitions'),
      HOUSING_CSV_PATH: join(raw, 'california_housing.csv'),
      IMPORT_BODY_LIMIT_BYTES: String(8 << 20),
      TRAINING_PARAMS: JSON.stringify({ [HOUSING]: { gbdt: { nEstimators: 100 } } }),
    });
    const data = t.app.get(DataService);
    // Each model's own gbdt is its champion (the export's subject, and what the gate compares imports with).
    for (const name of [HOUSING, 'iris', BINARY]) {
      const [run] = await t.app.get(TrainingService).train(name, { candidates: ['gbdt'] });
      const registry = t.app.get(RegistryService);
      await registry.promote(name, (await registry.register(name, run.id)).version, { actor: 'test' });
      const prepared = await data.prepare(name);
      const { model, pipeline, split, table } = prepared;
      // The training rows as the service trains on them (neighbours columns out of fold).
      const matrix = (records: TableRecord[], fittedOn = false) =>
        rowsOf(
          trainingData(model, pipeline, split.preprocessing, records, table.classes, fittedOn).X,
          pipeline.spec.features.length,
        );
      const target = (records: TableRecord[]) => records.map((r) => model.target(r, table.classes));
      holdout.set(name, {
        records: prepared.test,
        X: matrix(prepared.test),
        features: pipeline.spec.features.map((f) => xgboostFeatureName(f.name)),
      });
      training.set(name, { X: matrix(prepared.train, true), y: target(prepared.train) });
    }
    // Raw input fields of housing, total_bedrooms missing where the data has it missing.
    const housing = await data.prepare(HOUSING);
    const inputs = [
      'longitude',
      'latitude',
      'housing_median_age',
      'total_rooms',
      'total_bedrooms',
      'population',
      'households',
      'median_income',
    ];
    const rawRows = (records: TableRecord[]): Rows =>
      records.map((r) => inputs.map((f) => (typeof r.values[f] === 'number' ? r.values[f] : null)));
    const train = (name: string) => training.get(name) as { X: Rows; y: number[] };
    const spec = {
      models: [
        { name: 'housing', params: { max_depth: 6, eta: 0.1 }, rounds: 300, ...xy(HOUSING) },
        {
          name: 'housing-raw',
          params: { max_depth: 5, eta: 0.1, base_score: 2 },
          rounds: 120,
          X_train: rawRows(housing.train),
          y_train: train(HOUSING).y,
          X_test: rawRows(housing.test),
          feature_names: inputs,
        },
        {
          name: 'iris',
          params: { objective: 'multi:softprob', num_class: 3, max_depth: 3 },
          rounds: 40,
          ...xy('iris'),
        },
        { name: 'binary', params: { objective: 'binary:logistic', max_depth: 4 }, rounds: 80, ...xy(BINARY) },
      ],
    };
    function xy(name: string) {
      const h = holdout.get(name) as { X: Rows; features: string[] };
      return { X_train: train(name).X, y_train: train(name).y, X_test: h.X, feature_names: h.features };
    }
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    python('train', join(dir, 'spec.json'), dir);
  }, 600_000);

  afterAll(async () => {
    process.stdout.write(`XGBoost comparisons:\n${measured.join('\n')}\n`);
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const reference = (name: string) =>
    JSON.parse(readFileSync(join(dir, `${name}.predictions.json`), 'utf8')) as Reference;
  const fileOf = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as object;

  it('a housing regression on the model features: 201, lineage, and XGBoost predictions on every holdout row', async () => {
    const res = await importModel(HOUSING, { format: 'xgboost-json', model: fileOf('housing') });
    expect(res.statusCode).toBe(201);
    const body = res.json<{
      version: { version: number; candidate: string; metrics: { rmse: number } };
      lineage: Record<string, unknown>;
    }>();
    expect(body.version.candidate).toBe('xgboost');
    expect(body.lineage).toMatchObject({
      source: 'import',
      format: 'xgboost-json',
      objective: 'reg:squarederror',
      trees: 300,
    });
    expect(body.version.metrics.rmse).toBeLessThan(0.6);
    await promote(HOUSING, body.version.version);
    const service = (await served(HOUSING)).map((p) => p[0]);
    expect(service).toHaveLength(holdout.get(HOUSING)?.records.length ?? -1);
    expect(worst(service, reference('housing').output as number[])).toBeLessThanOrEqual(TOLERANCE);
  });

  it('a regression on raw input fields with missing values, sent as the base64 of the file: its sha256 is recorded', async () => {
    const bytes = readFileSync(join(dir, 'housing-raw.json'));
    const res = await importModel(HOUSING, { format: 'xgboost-json', model: bytes.toString('base64') });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ version: { version: number }; lineage: { sha256: string; sha256Of: string } }>();
    expect(body.lineage).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), sha256Of: 'file' });
    await promote(HOUSING, body.version.version);
    const version = await t.app.inject({ method: 'GET', url: `/models/${HOUSING}/versions/${body.version.version}` });
    expect(version.json<{ lineage: object }>().lineage).toMatchObject({
      source: 'import',
      sha256: body.lineage.sha256,
    });
    const missing = holdout.get(HOUSING)?.records.filter((r) => r.values.total_bedrooms == null).length;
    expect(missing).toBeGreaterThan(0);
    expect(
      worst(
        (await served(HOUSING)).map((p) => p[0]),
        reference('housing-raw').output as number[],
      ),
    ).toBeLessThanOrEqual(TOLERANCE);
    // Drift of the imported version: its pass-through inputs are features of its own, profiled on its training part.
    const drift = await t.app.inject({ method: 'GET', url: `/monitoring/drift?model=${HOUSING}` });
    expect(drift.statusCode).toBe(200);
    const report = drift.json<{ version: number; features: { feature: string }[] }>();
    expect(report.version).toBe(body.version.version);
    expect(report.features.map((f) => f.feature)).toEqual(expect.arrayContaining(['MedInc', 'total_rooms']));
  });

  it('the same model saved as UBJSON: the same predictions', async () => {
    const bytes = readFileSync(join(dir, 'housing.ubj'));
    const res = await importModel(HOUSING, { format: 'xgboost-ubj', model: bytes.toString('base64') });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ version: { version: number }; lineage: { sha256: string; trees: number } }>();
    expect(body.lineage).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), trees: 300 });
    await promote(HOUSING, body.version.version);
    const service = (await served(HOUSING)).map((p) => p[0]);
    expect(worst(service, reference('housing').output as number[])).toBeLessThanOrEqual(TOLERANCE);
  });

  it('Iris (multi:softprob) and a binary task (binary:logistic): class probabilities as XGBoost gives them', async () => {
    for (const [name, file] of [
      ['iris', 'iris'],
      [BINARY, 'binary'],
    ]) {
      const res = await importModel(name, {
        format: 'xgboost-json',
        model: fileOf(file),
        promote: true,
        reason: 'test',
      });
      expect(res.statusCode).toBe(201);
      const { version } = res.json<{ version: { version: number } }>();
      await promote(name, version.version, true); // promote: true may have won the gate already
      const service = await served(name);
      const expected = reference(file).output;
      const probabilities = name === BINARY ? service.map((p) => p[1]) : service.flat();
      expect(worst(probabilities, (expected as number[][]).flat())).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("`classes` names the labels in XGBoost's order: the probabilities move with them", async () => {
    // As if XGBoost's class 0 were `yes`: its P(class 1) is then the service's P(no).
    const binary = await importModel(BINARY, {
      format: 'xgboost-json',
      model: fileOf('binary'),
      classes: ['yes', 'no'],
    });
    expect(binary.statusCode).toBe(201);
    await promote(BINARY, binary.json<{ version: { version: number } }>().version.version);
    const p1 = (reference('binary').output as number[]).flat();
    expect(
      worst(
        (await served(BINARY)).map((p) => p[0]),
        p1,
      ),
    ).toBeLessThanOrEqual(TOLERANCE);
    // Iris with XGBoost's classes 0, 1, 2 named virginica, setosa, versicolor.
    const order = ['virginica', 'setosa', 'versicolor'];
    const iris = await importModel('iris', { format: 'xgboost-json', model: fileOf('iris'), classes: order });
    expect(iris.statusCode).toBe(201);
    await promote('iris', iris.json<{ version: { version: number } }>().version.version);
    const expected = reference('iris').output as number[][];
    const service = await served('iris'); // in the model's order: setosa, versicolor, virginica
    const moved = expected.map((row) => [row[1], row[2], row[0]]);
    expect(worst(service.flat(), moved.flat())).toBeLessThanOrEqual(TOLERANCE);
    const refused = await importModel('iris', {
      format: 'xgboost-json',
      model: fileOf('iris'),
      classes: ['a', 'b', 'c'],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ errors: { field: string }[] }>().errors[0].field).toBe('classes');
  });

  it("exports the service's own gbdt champions: XGBoost loads them and reproduces their predictions", async () => {
    for (const name of [HOUSING, 'iris']) {
      // The first version is the service's own gbdt.
      const res = await t.app.inject({ method: 'GET', url: `/models/${name}/versions/1/export?format=xgboost-json` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${name}-v1.xgboost.json"`);
      writeFileSync(join(dir, `export-${name}.json`), res.body);
      writeFileSync(join(dir, `X-${name}.json`), JSON.stringify(holdout.get(name)?.X));
      const xgb = JSON.parse(
        python('predict', join(dir, `export-${name}.json`), join(dir, `X-${name}.json`)),
      ) as Reference;
      await promote(name, 1, true);
      const service = await served(name);
      expect(worst(service.flat(), xgb.output.flat())).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("explanations of imported models equal XGBoost's own SHAP values (pred_contribs) on every holdout row", async () => {
    for (const [name, file] of [
      [HOUSING, 'housing'],
      ['iris', 'iris'],
    ]) {
      const res = await importModel(name, { format: 'xgboost-json', model: fileOf(file) });
      expect(res.statusCode).toBe(201);
      const number = res.json<{ version: { version: number } }>().version.version;
      const served = await t.app.get(ActiveModels).load(await t.app.get(RegistryService).version(name, number));
      const inputs = served.spec.inputs.map((f) => f.name);
      const rows = (holdout.get(name) as { records: TableRecord[] }).records.map((r) =>
        Object.fromEntries(inputs.map((f) => [f, r.values[f] ?? null])),
      );
      writeFileSync(join(dir, `X-${name}.json`), JSON.stringify(holdout.get(name)?.X));
      // Per row (and class): one value per feature, then the bias.
      const xgb = JSON.parse(python('contribs', join(dir, `${file}.json`), join(dir, `X-${name}.json`))) as (
        number[] | number[][]
      )[];
      const ours: number[] = [];
      const theirs: number[] = [];
      served.explain(rows).forEach((e, r) => {
        const outputs = 'classes' in e ? (served.spec.classes ?? []).map((c) => e.classes[c]) : [e];
        const reference = (outputs.length > 1 ? xgb[r] : [xgb[r]]) as number[][];
        outputs.forEach((o, k) => {
          ours.push(...Object.values(o.features), o.base);
          theirs.push(...reference[k]);
        });
      });
      expect(worst(ours, theirs)).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  describe('refuses malformed and hostile files with 4xx, and changes nothing', () => {
    const counts = async () => ({
      versions: (await t.app.get(ModelRegistryRepository).listVersions(HOUSING)).length,
      runs: Number(
        (
          await t.dataSource.query<{ n: number }[]>(
            `SELECT COUNT(*) AS n FROM runs WHERE model_name = 'california-housing'`,
          )
        )[0].n,
      ),
      champion: await t.app.get(ModelRegistryRepository).findAlias(HOUSING, 'champion'),
    });
    const edited = (edit: (doc: any) => void) => {
      const doc = fileOf('housing') as any;
      edit(doc);
      return doc as object;
    };
    const cases: [string, () => object, number, string][] = [
      [
        'truncated JSON',
        () => ({
          format: 'xgboost-json',
          model: readFileSync(join(dir, 'housing.json')).subarray(0, 5000).toString('base64'),
        }),
        400,
        'model',
      ],
      [
        'wrong feature count',
        () => ({ format: 'xgboost-json', model: fileOf('housing'), features: ['MedInc'] }),
        400,
        'features',
      ],
      [
        'unknown feature name',
        () => ({ format: 'xgboost-json', model: edited((d) => (d.learner.feature_names[0] = 'shoe_size')) }),
        400,
        'features[0]',
      ],
      [
        'a cycle',
        () => ({
          format: 'xgboost-json',
          model: edited((d) => (d.learner.gradient_booster.model.trees[5].left_children[3] = 0)),
        }),
        400,
        'model.learner.gradient_booster.model.trees[5]',
      ],
      [
        'an out-of-range child',
        () => ({
          format: 'xgboost-json',
          model: edited((d) => (d.learner.gradient_booster.model.trees[0].right_children[0] = 1e6)),
        }),
        400,
        'model.learner.gradient_booster.model.trees[0].right_children[0]',
      ],
      [
        'a NaN threshold',
        () => ({
          format: 'xgboost-json',
          model: edited((d) => (d.learner.gradient_booster.model.trees[0].split_conditions[0] = 'NaN')),
        }),
        400,
        'model.learner.gradient_booster.model.trees[0].split_conditions[0]',
      ],
      [
        'enormous depth',
        () => ({
          format: 'xgboost-json',
          model: edited((d) => Object.assign(d.learner.gradient_booster.model.trees[0], chainTree(2000, 22))),
        }),
        400,
        'model.learner.gradient_booster.model.trees[0]',
      ],
      [
        'categorical splits',
        () => ({
          format: 'xgboost-json',
          model: edited((d) => (d.learner.gradient_booster.model.trees[0].split_type[0] = 1)),
        }),
        422,
        '',
      ],
      [
        'another task',
        () => ({ format: 'xgboost-json', model: fileOf('iris'), features: holdout.get(HOUSING)?.features.slice(0, 4) }),
        422,
        '',
      ],
      ['not base64', () => ({ format: 'xgboost-ubj', model: '%%%' }), 400, 'model'],
      ['an unknown format', () => ({ format: 'onnx', model: {} }), 400, 'format'],
    ];

    it.each(cases)('%s', async (_name, body, status, field) => {
      const before = await counts();
      const res = await importModel(HOUSING, body());
      expect(res.statusCode).toBe(status);
      const error = res.json<{ errors?: { field: string }[] }>();
      if (field) expect(error.errors?.map((e) => e.field)).toContain(field);
      expect(await counts()).toEqual(before);
    });

    it('a body over IMPORT_BODY_LIMIT_BYTES is 413, while other routes keep their 1 MiB limit', async () => {
      const big = { format: 'xgboost-json', model: 'A'.repeat(9 << 20) };
      expect((await importModel(HOUSING, big)).statusCode).toBe(413);
      const rows = { rows: Array.from({ length: 1 }, () => ({ pad: 'x'.repeat(2 << 20) })) };
      const other = await t.app.inject({
        method: 'POST',
        url: `/predict/${HOUSING}/batch`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(rows),
      });
      expect(other.statusCode).toBe(413);
    });

    it('without the admin key, 401 or 403', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/models/${HOUSING}/versions/import`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ format: 'xgboost-json', model: {} }),
      });
      expect([401, 403]).toContain(res.statusCode);
    });
  });
});
