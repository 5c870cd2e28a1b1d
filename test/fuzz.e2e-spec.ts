import fc from 'fast-check';
import { HOUSING_SPEC } from './support/builtin-models';
import { TrainingService } from '../src/training/training.service';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

/** Bodies per run, over all POST endpoints (the issue asks for at least 5,000). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 6000);

type Shape = 'app' | 'mlflow' | 'v2';

/** Every POST endpoint, with the error shape its protocol answers with. */
const ENDPOINTS: { url: string; shape: Shape; admin?: boolean }[] = [
  { url: '/predict/housing', shape: 'app' },
  { url: '/predict', shape: 'app' },
  { url: '/predict/housing/batch', shape: 'app' },
  { url: '/batch_predict', shape: 'app' },
  { url: '/predict/iris', shape: 'app' },
  { url: '/predict/iris/batch', shape: 'app' },
  { url: '/models/california-housing/predict', shape: 'app' },
  { url: '/models/iris/predict', shape: 'app' },
  { url: '/invocations', shape: 'mlflow' },
  { url: '/v2/models/california-housing/infer', shape: 'v2' },
  { url: '/v2/models/iris/versions/1/infer', shape: 'v2' },
  { url: '/models/california-housing/versions', shape: 'app', admin: true },
  { url: '/models/california-housing/versions/1/promote', shape: 'app', admin: true },
  { url: '/models/iris/rollback', shape: 'app', admin: true },
  { url: '/retrain', shape: 'app', admin: true },
];

const nastyNumber = fc.constantFrom(1e308, -1e308, 5e-324, -0, 2 ** 53 + 1, 1e21, -1, 0, 123456789012);
const nastyString = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '', ' ', '0x10', 'null', 'true', '__proto__', '{}'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 2000, maxLength: 5000 }),
);
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyNumber,
  nastyString,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(nastyNumber, nastyString), { maxLength: 5 }),
  fc.dictionary(nastyString, nastyNumber, { maxKeys: 3 }),
);
const fieldNames = fc.constantFrom(
  ...HOUSING_SPEC.inputs.map((f) => f.name),
  'sepal_length',
  'rows',
  'inputs',
  'instances',
  'dataframe_split',
  'dataframe_records',
  'model',
  'runId',
  'force',
  'candidates',
  'data',
  'shape',
  'datatype',
);

/** JSON text, built by hand so it can hold what JSON.stringify never writes: duplicate and prototype keys, depth. */
const rawBody: fc.Arbitrary<string> = fc.oneof(
  // A valid request with one field broken.
  fc.tuple(fieldNames, nastyValue).map(([field, value]) => JSON.stringify({ ...HOUSING_SPEC.example, [field]: value })),
  // A valid request with a field removed and an unknown one added.
  fc.tuple(fieldNames, nastyString).map(([field, key]) => {
    const body: Record<string, unknown> = { ...HOUSING_SPEC.example, [`x-${key}`]: 1 };
    delete body[field];
    return JSON.stringify(body);
  }),
  // Batches whose rows are the wrong thing.
  fc.array(nastyValue, { maxLength: 4 }).map((rows) => JSON.stringify({ rows })),
  fc.array(nastyValue, { maxLength: 4 }).map((rows) => JSON.stringify({ inputs: rows, instances: rows })),
  // Arrays where objects belong, and scalars.
  fc.array(nastyValue, { maxLength: 4 }).map((a) => JSON.stringify(a)),
  nastyValue.map((v) => JSON.stringify(v) ?? 'null'),
  // Duplicate keys, prototype keys.
  fc
    .tuple(fieldNames, nastyValue)
    .map(
      ([field, value]) =>
        `{"${field}": 1, "${field}": ${JSON.stringify(value) ?? 'null'}, "median_income": 3, "median_income": "x"}`,
    ),
  fc
    .constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__')
    .map((key) => `{"${key}": {"polluted": true}, "rows": [{"${key}": {"isAdmin": true}}], "model": {"${key}": 1}}`),
  // Deep nesting.
  fc.integer({ min: 30, max: 3000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 30, max: 3000 }).map((depth) => `{"rows": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`),
  // Not JSON at all, or truncated JSON.
  fc.string({ maxLength: 50 }).map((s) => `{${s}`),
  fc.constantFrom('', '{', '{"rows": [', 'nul', '[1,]', '{"a":1,}', '\u0000', '{"a": NaN}', '{"a": Infinity}'),
);

function checkErrorShape(shape: Shape, status: number, body: Record<string, unknown>): void {
  if (shape === 'mlflow') {
    expect(typeof body.error_code).toBe('string');
    expect(typeof body.message).toBe('string');
  } else if (shape === 'v2') {
    expect(typeof body.error).toBe('string');
  } else {
    expect(body).toMatchObject({ statusCode: status, code: expect.any(String), message: expect.any(String) });
    expect(typeof body.requestId).toBe('string');
    if (status === 400 && body.errors !== undefined) {
      for (const e of body.errors as { field: unknown; rule: unknown }[]) {
        expect(typeof e.field).toBe('string');
        expect(typeof e.rule).toBe('string');
      }
    }
  }
}

describe('fuzzed request bodies (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RETRAIN_CRON: 'off', DRIFT_CHECK_INTERVAL_S: '0' });
    for (const model of ['california-housing', 'iris']) {
      const [run] = await t.app.get(TrainingService).train(model, { candidates: ['gbdt'] });
      const headers = { 'content-type': 'application/json', ...ADMIN };
      await t.app.inject({ method: 'POST', url: `/models/${model}/versions`, headers, payload: { runId: run.id } });
      await t.app.inject({ method: 'POST', url: `/models/${model}/versions/1/promote`, headers, payload: {} });
    }
  }, 120_000);

  afterAll(() => t.close());

  it(`answers ${RUNS} generated bodies over every POST endpoint with a 4xx in the error shape (a valid mutation with 200), never a 5xx`, async () => {
    const statuses = new Map<number, number>();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), rawBody, async (endpoint, body) => {
        const res = await t.app.inject({
          method: 'POST',
          url: endpoint.url,
          headers: { 'content-type': 'application/json', ...(endpoint.admin ? ADMIN : {}) },
          payload: body,
        });
        sent++;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) {
          checkErrorShape(endpoint.shape, res.statusCode, res.json());
        } else {
          // A mutation can land on a valid value (population 0, say): only a prediction may then succeed.
          expect([endpoint.url, res.statusCode]).toEqual([endpoint.url, 200]);
          expect(endpoint.admin).toBeUndefined();
        }
        // Nothing submitted comes back: a long generated string is never echoed.
        if (body.length > 1000) expect(res.body.length).toBeLessThan(1000 + 2 * 1024);
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    expect(sent).toBe(RUNS);
    const clientErrors = [...statuses].filter(([status]) => status >= 400).reduce((n, [, count]) => n + count, 0);
    expect(clientErrors / sent).toBeGreaterThan(0.95);
    process.stdout.write(`fuzz: ${sent} bodies, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);

    // Still healthy, still serving, nothing polluted.
    expect((await t.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
    const predict = await t.app.inject({
      method: 'POST',
      url: '/predict/housing',
      headers: { 'content-type': 'application/json' },
      payload: HOUSING_SPEC.example,
    });
    expect(predict.statusCode).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    const models = (await t.app.inject({ url: '/models' })).json();
    expect(models.map((m: { champion: number }) => m.champion)).toEqual([1, 1]);
  }, 300_000);
});
