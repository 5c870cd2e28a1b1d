import { QueryFailedError } from 'typeorm';
import { isUniqueViolation } from '../src/database/unique-violation.util';
import { ModelRegistryRepository } from '../src/registry/model-registry.repository';
import { ModelVersionEntity } from '../src/registry/entities/model-version.entity';
import { writeFileSync } from 'node:fs';
import { APP_VERSION } from '../src/common/app-version';
import { HOUSING_SPEC } from './support/builtin-models';
import { PACK_FROM_ROWS } from '../src/prediction/prediction-log.codec';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { TrainingService } from '../src/training/training.service';
import { HOUSING_DATASET } from './support/housing-dataset';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const row = { ...HOUSING_SPEC.example };
const iris = { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 };
/** Above PACK_FROM_ROWS: the log test sends a batch whose inputs are packed for the writer thread. */
const MAX_BATCH_ROWS = PACK_FROM_ROWS + 4;
// Requests carry the admin key: admin endpoints need it (security.e2e-spec.ts tests the refusals).
const json = { 'content-type': 'application/json', ...ADMIN };

/** A JSON column as read back: text on SQLite, already parsed on PostgreSQL. */
const column = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

interface AliasEvent {
  action: string;
  fromVersion: number | null;
  toVersion: number;
  forced: boolean;
  reason: string;
}
const moves = (events: AliasEvent[]) => events.map((e) => [e.action, e.fromVersion, e.toVersion, e.forced]);

/** Requests to a test app (as an admin), and the reads of its housing registry that blocks start from. */
function client(app: () => TestApp) {
  const post = (url: string, payload: unknown, headers: Record<string, string> = json) =>
    app().app.inject({
      method: 'POST',
      url,
      headers,
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const get = (url: string) => app().app.inject({ method: 'GET', url });
  /** The version that answers a housing prediction (its header agrees). */
  const predictVersion = async () => {
    const res = await post('/predict/housing', row);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-model-version']).toBe(String(res.json().version));
    return res.json().version as number;
  };
  const history = async (): Promise<AliasEvent[]> => (await get('/models/california-housing/history')).json();
  return { post, get, predictVersion, history };
}

describe('registry and serving (e2e)', () => {
  let t: TestApp;
  const runIds: Record<string, string> = {};
  /** The versions of california-housing registered at the start: a linear one and a better gbdt one. */
  const versions = { linear: 0, gbdt: 0 };
  const { post, get, predictVersion, history } = client(() => t);

  /** Set-up of a block: makes `version` the served champion (a forced promotion unless it already is). */
  const serve = async (version: number): Promise<void> => {
    const model = (await get('/models/california-housing')).json();
    if (model.champion !== version) {
      const promoted = await post(`/models/california-housing/versions/${version}/promote`, {
        force: true,
        reason: 'test set-up',
      });
      expect(promoted.statusCode).toBe(200);
    }
    expect((await get('/models/california-housing')).json()).toMatchObject({
      champion: version,
      servedVersion: version,
    });
  };
  const forcedEvents = async (): Promise<number> => {
    const [{ n }] = await t.dataSource.query<{ n: number | string }[]>(
      'SELECT COUNT(*) AS n FROM alias_events WHERE forced = TRUE',
    );
    return Number(n);
  };

  beforeAll(async () => {
    t = await createTestApp({ MAX_BATCH_ROWS: String(MAX_BATCH_ROWS) });
    const runs = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear', 'gbdt'] });
    for (const run of runs) runIds[run.candidate] = run.id;
    const [irisRun] = await t.app.get(TrainingService).train('iris', { candidates: ['gbdt'] });
    runIds.iris = irisRun.id;
    for (const candidate of ['linear', 'gbdt'] as const) {
      const registered = await post('/models/california-housing/versions', { runId: runIds[candidate] });
      expect(registered.statusCode).toBe(201);
      versions[candidate] = registered.json().version;
    }
  }, 120_000);

  afterAll(async () => {
    await t.close();
  });

  it('answers 503 while no version is served', async () => {
    // A service of its own: nothing is ever promoted in it.
    const fresh = await createTestApp();
    try {
      const { post: freshPost, get: freshGet } = client(() => fresh);
      const res = await freshPost('/predict/housing', row);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'REGISTRY.MODEL_NOT_READY' });
      const v2 = await freshGet('/v2/models/california-housing/ready');
      expect(v2.statusCode).toBe(503);
      expect(v2.json()).toEqual({ error: expect.stringContaining('not ready') });
    } finally {
      await fresh.close();
    }
  });

  it('train → register → promote → predict → promote a better version → rollback', async () => {
    // A service of its own: its registry starts empty, so the first versions and promotion are this block's.
    const fresh = await createTestApp();
    try {
      const own = client(() => fresh);
      const trained = await fresh.app
        .get(TrainingService)
        .train('california-housing', { candidates: ['linear', 'gbdt'] });
      const runOf = (candidate: string) => trained.find((run) => run.candidate === candidate)?.id;
      const [linear, gbdt] = [runOf('linear'), runOf('gbdt')];
      const v1 = await own.post('/models/california-housing/versions', { runId: linear });
      expect(v1.statusCode).toBe(201);
      expect(v1.json()).toMatchObject({ version: 1, candidate: 'linear', runId: linear });
      const first = await own.post('/models/california-housing/versions/1/promote', {});
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ fromVersion: null, toVersion: 1, forced: false });
      expect(await own.predictVersion()).toBe(1);

      expect((await own.post('/models/california-housing/versions', { runId: gbdt })).json().version).toBe(2);
      const second = await own.post('/models/california-housing/versions/2/promote', { reason: 'gbdt beats linear' });
      expect(second.statusCode).toBe(200);
      const { comparison } = second.json();
      expect(comparison).toMatchObject({ metric: 'rmse', rows: HOUSING_DATASET.split.testRows });
      expect(comparison.candidate).toBeLessThan(comparison.champion);
      expect(await own.predictVersion()).toBe(2);

      const back = await own.post('/models/california-housing/rollback', {});
      expect(back.statusCode).toBe(200);
      expect(back.json()).toMatchObject({ fromVersion: 2, toVersion: 1 });
      expect(await own.predictVersion()).toBe(1);
      expect((await own.get('/models/california-housing')).json()).toMatchObject({ champion: 1, servedVersion: 1 });
      expect(moves(await own.history())).toEqual([
        ['promote', null, 1, false],
        ['promote', 1, 2, false],
        ['rollback', 2, 1, false],
      ]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a promotion that loses the gate with 409, both scores in the message, and changes nothing', async () => {
    // The better version (gbdt) is champion; bringing back the linear one loses the gate.
    await serve(versions.gbdt);
    const before = await history();
    const refused = await post(`/models/california-housing/versions/${versions.linear}/promote`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('REGISTRY.PROMOTION_REFUSED');
    expect(refused.json().message).toMatch(
      new RegExp(
        `^Version ${versions.linear} \\(rmse 0\\.\\d{4}\\) does not beat champion version ${versions.gbdt} ` +
          `\\(rmse 0\\.\\d{4}\\) by the margin 0 on the same ${HOUSING_DATASET.split.testRows} holdout rows`,
      ),
    );
    expect(await history()).toEqual(before);
    expect(await predictVersion()).toBe(versions.gbdt);
  });

  it('records a forced promotion as forced in the audit trail', async () => {
    await serve(versions.gbdt);
    const before = await history();
    const forcedBefore = await forcedEvents();
    const forced = await post(`/models/california-housing/versions/${versions.linear}/promote`, {
      force: true,
      reason: 'drill',
    });
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toMatchObject({ fromVersion: versions.gbdt, toVersion: versions.linear, forced: true });
    expect(await predictVersion()).toBe(versions.linear);
    const added = (await history()).slice(before.length);
    expect(moves(added)).toEqual([['promote', versions.gbdt, versions.linear, true]]);
    expect(added[0].reason).toContain('drill; forced');
    expect(await forcedEvents()).toBe(forcedBefore + 1);
  });

  it('serves batches, the generic route, MLflow /invocations and Open Inference /v2 with the same answers', async () => {
    await serve(versions.linear);
    const single = (await post('/predict/housing', row)).json().prediction.value as number;
    const batch = await post('/predict/housing/batch', { rows: [row, { ...row, median_income: 2 }] });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().predictions[0].value).toBeCloseTo(single, 10);
    expect(batch.json().predictions[0].dollars).toBe(Math.round(single * 100000));
    expect((await post('/batch_predict', { rows: [row] })).json().predictions[0].value).toBeCloseTo(single, 10);
    expect((await post('/predict', row)).json().prediction.value).toBeCloseTo(single, 10);
    expect((await post('/models/california-housing/predict', { inputs: row })).json().predictions[0].value).toBeCloseTo(
      single,
      10,
    );

    const columns = Object.keys(row);
    const formats = [
      { dataframe_split: { columns, data: [Object.values(row)] } },
      { dataframe_records: [row] },
      { instances: [row] },
      { inputs: Object.fromEntries(columns.map((c) => [c, [row[c]]])) },
    ];
    for (const body of formats) {
      const res = await post('/invocations', body);
      expect(res.statusCode).toBe(200);
      expect(res.json().predictions[0]).toBeCloseTo(single, 10);
      expect(res.headers['x-model-version']).toBe(String(versions.linear));
    }

    const tensors = Object.entries(row).map(([name, value]) => ({
      name,
      shape: [1],
      datatype: typeof value === 'string' ? 'BYTES' : 'FP64',
      data: [value],
    }));
    const v2 = await post('/v2/models/california-housing/infer', { id: 'abc', inputs: tensors });
    expect(v2.statusCode).toBe(200);
    expect(v2.json()).toEqual({
      model_name: 'california-housing',
      model_version: String(versions.linear),
      id: 'abc',
      outputs: [{ name: 'predictions', shape: [1], datatype: 'FP64', data: [expect.closeTo(single, 10)] }],
    });
    // A registered version that is not served is loaded on demand.
    const v2version = await post(`/v2/models/california-housing/versions/${versions.gbdt}/infer`, { inputs: tensors });
    expect(v2version.json().model_version).toBe(String(versions.gbdt));
    expect(v2version.json().outputs[0].data[0]).not.toBeCloseTo(single, 6);
    // The version in the path is a name: one the model does not have is a 404 in the protocol's shape, whatever it
    // looks like (MLServer answers so); an unknown model too.
    for (const version of ['99', 'abc', '0', '1.5', '-1', '99999999999', 'v2', '%20']) {
      for (const [method, suffix] of [
        ['POST', '/infer'],
        ['GET', ''],
        ['GET', '/ready'],
      ] as const) {
        const url = `/v2/models/california-housing/versions/${version}${suffix}`;
        const res = method === 'POST' ? await post(url, { inputs: tensors }) : await get(url);
        expect([url, res.statusCode]).toEqual([url, 404]);
        expect(Object.keys(res.json())).toEqual(['error']);
        expect(res.json().error).toContain('has no version');
      }
    }
    const unknownModel = await post('/v2/models/nope/versions/abc/infer', { inputs: tensors });
    expect(unknownModel.statusCode).toBe(404);
    expect(unknownModel.json().error).toContain('nope');
  });

  it('serves iris with class probabilities, also as one [n, 4] tensor', async () => {
    // The only block that registers and serves iris.
    const registered = await post('/models/iris/versions', { runId: runIds.iris });
    expect(registered.statusCode).toBe(201);
    expect((await post(`/models/iris/versions/${registered.json().version}/promote`, {})).statusCode).toBe(200);
    const res = await post('/predict/iris', iris);
    expect(res.statusCode).toBe(200);
    const { prediction } = res.json();
    expect(prediction.label).toBe('virginica');
    const total = Object.values(prediction.probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 6);
    const v2 = await post('/v2/models/iris/infer', {
      inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP32', data: [[6.7, 3.0, 5.2, 2.3]] }],
      outputs: [{ name: 'predictions' }],
    });
    expect(v2.json().outputs).toEqual([{ name: 'predictions', shape: [1], datatype: 'BYTES', data: ['virginica'] }]);
    expect((await post('/invocations?model=iris', { dataframe_records: [iris] })).json()).toEqual({
      predictions: ['virginica'],
    });
  });

  it('logs every prediction with its version, inputs, output and request id (one log row per request)', async () => {
    await serve(versions.linear);
    const single = (await post('/predict/housing', row, { ...json, 'x-request-id': 'log-check-1' })).json();
    // More rows than PACK_FROM_ROWS: the log's writer thread writes this entry's text from the packed rows.
    const batchRows = Array.from({ length: PACK_FROM_ROWS + 2 }, (_, i) =>
      i % 3 === 2 ? { ...row, total_bedrooms: null } : { ...row, median_income: 1 + i / 4 },
    );
    const batch = (
      await post('/predict/housing/batch', { rows: batchRows }, { ...json, 'x-request-id': 'log-check-2' })
    ).json();
    await t.app.get(PredictionLogService).flush();
    const logged = await t.dataSource.query<Record<string, unknown>[]>(
      "SELECT request_id, model_name, model_version, row_count, inputs, outputs FROM predictions WHERE request_id LIKE 'log-check-%' ORDER BY id",
    );
    expect(logged.map((r) => [r.request_id, r.model_name, r.model_version, r.row_count])).toEqual([
      ['log-check-1', 'california-housing', versions.linear, 1],
      ['log-check-2', 'california-housing', versions.linear, batchRows.length],
    ]);
    const fields = Object.keys(row);
    expect(column(logged[0].inputs)).toEqual({ fields, rows: [Object.values(row)] });
    expect(column(logged[0].outputs)).toEqual([single.prediction.value]);
    expect(column(logged[1].inputs)).toEqual({ fields, rows: batchRows.map((r) => Object.values(r)) });
    expect(column(logged[1].outputs)).toEqual(batch.predictions.map((p: { value: number }) => p.value));
    const recent = (await get('/predictions?model=california-housing&limit=1')).json();
    expect(recent).toEqual([
      expect.objectContaining({
        requestId: 'log-check-2',
        version: versions.linear,
        rowCount: batchRows.length,
        inputs: batchRows,
        outputs: batch.predictions.map((p: { value: number }) => p.value),
      }),
    ]);
  });

  describe('bad input gets a 4xx naming the field and rule, never a 5xx', () => {
    const expectProblem = async (payload: unknown, field: string, rule: string) => {
      const res = await post('/predict/housing', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('REQUEST.VALIDATION_FAILED');
      expect(res.json().errors).toContainEqual(expect.objectContaining({ field, rule }));
      return res;
    };

    it.each([
      ['a missing field', { ...row, latitude: undefined }, 'latitude', 'isDefined'],
      ['a string for a number', { ...row, median_income: '8.3' }, 'median_income', 'isNumber'],
      ['"NaN"', { ...row, population: 'NaN' }, 'population', 'isNumber'],
      ['an out-of-range value', { ...row, latitude: 48.5 }, 'latitude', 'max'],
      ['zero households', { ...row, households: 0 }, 'households', 'isGreaterThan'],
      ['more bedrooms than rooms', { ...row, total_bedrooms: 5000 }, 'total_bedrooms', 'isNotGreaterThanProperty'],
      ['an unknown category', { ...row, ocean_proximity: 'NEAR LAKE' }, 'ocean_proximity', 'isIn'],
      ['an unknown field', { ...row, color: 'blue' }, 'color', 'whitelistValidation'],
    ])('%s', async (_, payload, field, rule) => {
      const res = await expectProblem(payload, field, rule);
      expect(JSON.stringify(res.json())).not.toContain('NEAR LAKE');
    });

    it('refuses keys named like Object.prototype members, which class-validator alone lets through', async () => {
      await expectProblem({ ...row, constructor: null }, 'constructor', 'whitelistValidation');
      await expectProblem({ ...row, hasOwnProperty: 1 }, 'hasOwnProperty', 'whitelistValidation');
      const batch = await post('/predict/housing/batch', { rows: [{ ...row, valueOf: 1 }] });
      expect(batch.json().errors).toEqual([
        expect.objectContaining({ field: 'rows.0.valueOf', rule: 'whitelistValidation' }),
      ]);
      const generic = await post('/models/california-housing/predict', { inputs: [row, { ...row, constructor: 1 }] });
      expect(generic.json().errors).toEqual([
        expect.objectContaining({ field: 'inputs.1.constructor', rule: 'whitelistValidation' }),
      ]);
    });

    it('refuses a batch row that is not an object', async () => {
      for (const bad of [[], 'x', null, 3]) {
        const res = await post('/predict/housing/batch', { rows: [row, bad] });
        expect(res.statusCode).toBe(400);
        expect(res.json().errors).toContainEqual(expect.objectContaining({ field: 'rows', rule: 'isObject' }));
      }
    });

    it('accepts a missing total_bedrooms (imputed)', async () => {
      await serve(versions.linear);
      const { total_bedrooms: _omit, ...withoutBedrooms } = row;
      expect((await post('/predict/housing', withoutBedrooms)).statusCode).toBe(200);
      expect((await post('/predict/housing', { ...row, total_bedrooms: null })).statusCode).toBe(200);
    });

    it('413 for a batch over MAX_BATCH_ROWS and for a body over the size limit', async () => {
      const tooMany = await post('/predict/housing/batch', {
        rows: Array.from({ length: MAX_BATCH_ROWS + 1 }, () => row),
      });
      expect(tooMany.statusCode).toBe(413);
      expect(tooMany.json()).toMatchObject({
        code: 'PREDICTION.BATCH_TOO_LARGE',
        message: expect.stringContaining(`at most ${MAX_BATCH_ROWS} rows`),
      });
      expect(
        (await post('/invocations', { dataframe_records: Array.from({ length: MAX_BATCH_ROWS + 1 }, () => row) }))
          .statusCode,
      ).toBe(413);
      expect((await post('/predict/housing', { ...row, pad: 'x'.repeat(2_000_000) })).statusCode).toBe(413);
    });

    it('415 for a body that is not JSON', async () => {
      const res = await post('/predict/housing', 'longitude=1', { 'content-type': 'text/plain' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ statusCode: 415, code: 'HTTP.UNSUPPORTED_MEDIA_TYPE' });
    });

    it('404 for an unknown model or version', async () => {
      expect((await get('/models/wine')).statusCode).toBe(404);
      expect((await get('/models/california-housing/versions/99')).json().code).toBe('REGISTRY.VERSION_NOT_FOUND');
      expect((await post('/models/wine/predict', { inputs: row })).statusCode).toBe(404);
      expect((await post('/invocations?model=wine', { instances: [row] })).json()).toMatchObject({
        error_code: 'RESOURCE_DOES_NOT_EXIST',
      });
      expect((await post('/v2/models/wine/infer', { inputs: [] })).statusCode).toBe(404);
      expect((await post('/models/california-housing/versions/99/promote', {})).statusCode).toBe(404);
    });

    it('MLflow and V2 errors come in their own shapes', async () => {
      await serve(versions.linear); // the V2 route reads the served version's inputs
      const mlflow = await post('/invocations', { records: [row] });
      expect(mlflow.statusCode).toBe(400);
      expect(mlflow.json()).toMatchObject({
        error_code: 'BAD_REQUEST',
        message: expect.stringContaining("exactly one of the input fields {'dataframe_split'"),
      });
      const mlflowRow = await post('/invocations', { dataframe_records: [{ ...row, latitude: 99 }] });
      expect(mlflowRow.json().errors).toEqual([expect.objectContaining({ field: 'rows[0].latitude', rule: 'max' })]);
      const v2 = await post('/v2/models/california-housing/infer', {
        inputs: [{ name: 'longitude', shape: [2], datatype: 'FP64', data: [1] }],
      });
      expect(v2.statusCode).toBe(400);
      expect(v2.json()).toEqual({ error: 'inputs[0].data has 1 elements but shape [2] needs 2' });
    });

    it('MLflow /invocations reads bodies as mlflow models serve does: CSV, content-type rules, members', async () => {
      await serve(versions.linear);
      const invoke = (body: string, type: string) =>
        t.app.inject({
          method: 'POST',
          url: '/invocations',
          headers: { ...ADMIN, 'content-type': type },
          payload: body,
        });
      const records = [row, { ...row, median_income: 2.5, ocean_proximity: 'INLAND' }];
      const expected = (await post('/invocations', { dataframe_records: records })).json().predictions as number[];
      // text/csv: a header and rows, as pandas.DataFrame.to_csv(index=False) writes them.
      const fields = Object.keys(row);
      const csv = [
        fields.join(','),
        ...records.map((r) => fields.map((f) => String(r[f as keyof typeof r])).join(',')),
      ];
      const fromCsv = await invoke(`${csv.join('\n')}\n`, 'text/csv; charset=utf-8');
      expect(fromCsv.statusCode).toBe(200);
      expect(fromCsv.json().predictions).toEqual(expected);
      // A cell the definition cannot read is named like in JSON; broken CSV is MLflow's 400.
      const badCell = await invoke(
        `${fields.join(',')}\n${fields.map((f) => (f === 'latitude' ? 'north' : String(row[f as keyof typeof row]))).join(',')}\n`,
        'text/csv',
      );
      expect(badCell.statusCode).toBe(400);
      expect(badCell.json().errors[0]).toMatchObject({ field: 'rows[0].latitude' });
      const broken = await invoke('a,b\n1,2,3\n', 'text/csv');
      expect(broken.statusCode).toBe(400);
      expect(broken.json().message).toContain('Failed to parse input as a Pandas DataFrame');
      // Content types and their parameters, as MLflow refuses them: 415, a client error in MLflow's shape.
      const body = JSON.stringify({ dataframe_records: records });
      expect((await invoke(body, 'application/json; charset=UTF-8')).statusCode).toBe(200);
      for (const [type, message] of [
        ['application/json; charset=latin-1', 'The scoring server only supports UTF-8'],
        ['application/json; format=pandas-split', 'Unrecognized content type parameters: format'],
        ['application/x-yaml', 'only supports the following content types'],
        ['application/vnd.api+json', 'only supports the following content types'],
      ]) {
        const res = await invoke(body, type);
        expect([type, res.statusCode]).toEqual([type, 415]);
        expect(res.json()).toMatchObject({ error_code: 'BAD_REQUEST', message: expect.stringContaining(message) });
      }
      // CSV is for /invocations only.
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/predict/housing',
            headers: { 'content-type': 'text/csv' },
            payload: 'a\n1\n',
          })
        ).statusCode,
      ).toBe(415);
      // Members: MLflow ignores what sits beside the one format (params too); none, two or a list are refused.
      const beside = await post('/invocations', { dataframe_records: records, params: { x: 1 }, note: 'ignored' });
      expect(beside.json().predictions).toEqual(expected);
      const two = await post('/invocations', { dataframe_records: records, instances: records });
      expect(two.statusCode).toBe(400);
      expect(two.json().message).toContain('Received dictionary with input fields: ["dataframe_records", "instances"]');
      const list = await post('/invocations', records);
      expect(list.statusCode).toBe(400);
      expect(list.json().message).toContain('Received a list');
    });

    it('refuses registering a failed, foreign or already registered run', async () => {
      expect((await post('/models/iris/versions', { runId: runIds.linear })).statusCode).toBe(409);
      expect((await post('/models/california-housing/versions', { runId: runIds.gbdt })).json().message).toContain(
        `already version ${versions.gbdt}`,
      );
      expect((await post('/models/california-housing/versions', { runId: 'nope' })).statusCode).toBe(400);
    });

    it('makes one version of a run registered twice at once (a unique index, not only a read before the insert)', async () => {
      const [run] = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear'] });
      const answers = await Promise.all(
        [1, 2, 3].map(() => post('/models/california-housing/versions', { runId: run.id })),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409]);
      const created = answers.find((a) => a.statusCode === 201)!.json().version as number;
      for (const refused of answers.filter((a) => a.statusCode === 409)) {
        expect(refused.json()).toMatchObject({
          code: 'REGISTRY.RUN_NOT_REGISTRABLE',
          message: expect.stringContaining(`already version ${created}`),
        });
      }
      const versions = t.dataSource.getRepository(ModelVersionEntity);
      const [row] = await versions.findBy({ runId: run.id });
      expect(row.version).toBe(created);
      // Below the service's read: the repository refuses the run, and the table itself holds one version per run.
      const { id: _id, version: _version, createdAt: _createdAt, ...values } = row;
      await expect(t.app.get(ModelRegistryRepository).createVersion(values)).rejects.toMatchObject({
        code: 'REGISTRY.RUN_NOT_REGISTRABLE',
      });
      const duplicate = versions.save(versions.create({ ...values, version: created + 100 }));
      await expect(duplicate).rejects.toBeInstanceOf(QueryFailedError);
      expect(isUniqueViolation(await duplicate.catch((e: unknown) => e))).toBe(true);
      expect(await versions.countBy({ runId: run.id })).toBe(1);
    });
  });

  it('refuses a tampered artifact at load: 422, and the champion keeps serving', async () => {
    // A version of its own to tamper with: the shared ones stay loadable.
    const [run] = await t.app.get(TrainingService).train('california-housing', { candidates: ['linear'] });
    const registered = await post('/models/california-housing/versions', { runId: run.id });
    expect(registered.statusCode).toBe(201);
    const tampered = registered.json().version as number;
    await serve(versions.linear);
    const loadFailures = async () =>
      Number(
        /^model_load_failures_total\{model="california-housing"\} (\S+)$/m.exec((await get('/metrics')).body)?.[1],
      );
    const failuresBefore = await loadFailures();
    const version = (await get(`/models/california-housing/versions/${tampered}`)).json();
    const path = version.artifactPath as string;
    if (path.startsWith('db://artifacts/')) {
      await t.dataSource.query(`UPDATE artifacts SET content = $1 WHERE sha256 = $2`, [
        Buffer.from('{"truncated": '),
        path.slice('db://artifacts/'.length),
      ]);
    } else {
      writeFileSync(path, '{"truncated": ');
    }
    const res = await post(`/models/california-housing/versions/${tampered}/promote`, { force: true });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'REGISTRY.ARTIFACT_REFUSED', message: expect.stringContaining('sha256') });
    expect(await predictVersion()).toBe(versions.linear);
    // Reported: /health/ready names the refused version (ready or not, depending on the other models), and a metric.
    const health = (await get('/health/ready')).json();
    const models = (health.details?.details ?? health.details).models;
    expect(models['california-housing']).toMatchObject({
      served: true,
      version: versions.linear,
      lastLoadFailure: { version: tampered, message: expect.stringContaining('sha256') },
    });
    expect(await loadFailures()).toBe(failuresBefore + 1);
  });

  it("answers MLflow's /ping once the default model is served, and /version with the service's version", async () => {
    await serve(versions.gbdt);
    const ping = await get('/ping');
    expect(ping.statusCode).toBe(200);
    const version = await get('/version');
    expect(version.statusCode).toBe(200);
    expect(version.headers['content-type']).toMatch(/^text\/plain/);
    expect(version.body).toBe(APP_VERSION);
  });
});
