import { In } from 'typeorm';
import { PredictionEntity } from '../src/prediction/entities/prediction.entity';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { ModelBootstrapService } from '../src/retraining/model-bootstrap.service';
import { HOUSING_SPEC } from './support/builtin-models';
import { createTestApp, TestApp } from './support/test-app';

/** The definition's example row, and a second one with an optional field null. */
const HOUSING_ROWS = [
  HOUSING_SPEC.example,
  {
    longitude: -118.25,
    latitude: 34.05,
    housing_median_age: 30,
    total_rooms: 2000,
    total_bedrooms: null,
    population: 1500,
    households: 450,
    median_income: 3.1,
    ocean_proximity: '<1H OCEAN',
  },
];
const ROUTES = ['/predict/housing/batch', '/batch_predict', '/models/california-housing/predict'];

/**
 * Every multi-row route takes one envelope, `{"rows": [...]}`, and its alias `{"inputs": ...}` (a list of rows or
 * one row), with the same answers, the same rules and the same prediction log.
 */
describe('the rows envelope of the batch and generic routes (e2e)', () => {
  let t: TestApp;
  let reference: number[];

  const post = async (url: string, payload: unknown) => {
    const res = await t.app.inject({ method: 'POST', url, payload: payload as object });
    return { status: res.statusCode, body: res.json() };
  };
  const values = (body: { predictions: { value: number }[] }) => body.predictions.map((p) => p.value);

  beforeAll(async () => {
    t = await createTestApp({ AUTO_TRAIN_ON_START: 'true', MAX_BATCH_ROWS: '3' });
    await t.app.get(ModelBootstrapService).settled();
    const single = await Promise.all(HOUSING_ROWS.map((row) => post('/predict/housing', row)));
    reference = single.map((r) => (r.body as { prediction: { value: number } }).prediction.value);
  }, 180_000);

  afterAll(async () => {
    await t.close();
  });

  it.each(ROUTES)(
    '%s answers {"rows": [...]} and {"inputs": [...]} alike, as the single-row route does',
    async (url) => {
      const rows = await post(url, { rows: HOUSING_ROWS });
      const inputs = await post(url, { inputs: HOUSING_ROWS });
      expect([rows.status, inputs.status]).toEqual([200, 200]);
      expect(values(rows.body)).toEqual(reference);
      expect(values(inputs.body)).toEqual(reference);
      expect(rows.body).toMatchObject({ model: 'california-housing', alias: 'champion', version: 1 });
    },
  );

  it.each(ROUTES)('%s takes one row object as {"inputs": {...}}', async (url) => {
    const one = await post(url, { inputs: HOUSING_ROWS[1] });
    expect(one.status).toBe(200);
    expect(values(one.body)).toEqual([reference[1]]);
  });

  it('logs each accepted row once, whichever member carried it', async () => {
    const answers = [await post(ROUTES[2], { rows: HOUSING_ROWS }), await post(ROUTES[2], { inputs: HOUSING_ROWS[0] })];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await t.app.get(PredictionLogService).flush();
    const logged = await t.dataSource.getRepository(PredictionEntity).findBy({
      requestId: In(answers.map((a) => a.body.requestId as string)),
    });
    expect(logged.map((r) => [r.requestId, r.rowCount]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      [answers[1].body.requestId, 1],
      [answers[0].body.requestId, 2],
    ]);
  });

  it.each([
    ['both members', { rows: HOUSING_ROWS, inputs: HOUSING_ROWS }, 'inputs', 'notWith'],
    ['neither member', {}, 'rows', 'isArray'],
    ['rows as one object', { rows: HOUSING_ROWS[0] }, 'rows', 'isArray'],
    ['no rows', { rows: [] }, 'rows', 'arrayNotEmpty'],
    ['an empty inputs list', { inputs: [] }, 'inputs', 'isRowOrRows'],
    ['inputs as a number', { inputs: 3 }, 'inputs', 'isRowOrRows'],
    ['a row that is not an object', { rows: [HOUSING_ROWS[0], 7] }, 'rows', 'isObject'],
    ['another member', { rows: HOUSING_ROWS, instances: HOUSING_ROWS }, 'instances', 'whitelistValidation'],
  ])('refuses %s with 400 naming the member and the rule', async (_case, payload, field, rule) => {
    for (const url of ROUTES) {
      const res = await post(url, payload);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'REQUEST.VALIDATION_FAILED' });
      expect(res.body.errors).toEqual([expect.objectContaining({ field, rule })]);
    }
  });

  it("names a bad row's field after the member that carried it", async () => {
    const bad = [HOUSING_ROWS[0], { ...HOUSING_ROWS[1], median_income: -1 }];
    const rows = await post(ROUTES[0], { rows: bad });
    const inputs = await post(ROUTES[0], { inputs: bad });
    expect(rows.status).toBe(400);
    expect(inputs.status).toBe(400);
    expect(rows.body.errors).toEqual([expect.objectContaining({ field: 'rows.1.median_income' })]);
    expect(inputs.body.errors).toEqual([expect.objectContaining({ field: 'inputs[1].median_income' })]);
  });

  it('applies MAX_BATCH_ROWS to either member', async () => {
    const four = [...HOUSING_ROWS, ...HOUSING_ROWS];
    for (const payload of [{ rows: four }, { inputs: four }]) {
      const res = await post(ROUTES[2], payload);
      expect(res.status).toBe(413);
    }
  });
});
