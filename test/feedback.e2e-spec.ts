import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { FeedbackEntity } from '../src/monitoring/entities/feedback.entity';
import type { FeedbackBatchAnswerDto } from '../src/monitoring/feedback/dto/feedback.dto';
import { PredictionOutcomeEntity } from '../src/monitoring/entities/prediction-outcome.entity';
import { PerformanceService } from '../src/monitoring/performance/performance.service';
import { PredictionEntity } from '../src/prediction/entities/prediction.entity';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { TrainingService } from '../src/training/training.service';
import { HOUSING_SPEC, IRIS_SPEC } from './support/builtin-models';
import { ADMIN, createTestApp, TestApp } from './support/test-app';

const HOUSING = 'california-housing';
const json = { 'content-type': 'application/json', ...ADMIN };

/** A housing row whose prediction differs with `income`. */
const housingRow = (income: number) => ({ ...HOUSING_SPEC.example, median_income: income });

/** The value of one sample of a Prometheus text exposition, or undefined. */
function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

interface Sums {
  samples: number;
  squared: number;
  absolute: number;
  correct: number;
  logLoss: number;
}

/** Live figures recomputed from stored outcome rows, grouped by `keyOf`. */
function recompute(rows: PredictionOutcomeEntity[], keyOf: (row: PredictionOutcomeEntity) => string) {
  const groups = new Map<string, Sums>();
  for (const row of rows) {
    const sums = groups.get(keyOf(row)) ?? { samples: 0, squared: 0, absolute: 0, correct: 0, logLoss: 0 };
    sums.samples++;
    sums.squared += row.squaredError ?? 0;
    sums.absolute += row.absoluteError ?? 0;
    sums.correct += row.correct ? 1 : 0;
    sums.logLoss += row.logLoss ?? 0;
    groups.set(keyOf(row), sums);
  }
  return groups;
}

describe('feedback: ground truth joined to the prediction log, and live performance (e2e)', () => {
  let t: TestApp;
  const repo = <T extends object>(entity: new () => T) => t.dataSource.getRepository(entity);
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...json, ...headers }, payload: JSON.stringify(payload) });
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: ADMIN });
  const feedback = (body: unknown) => post('/feedback', body);
  const flush = () => t.app.get(PredictionLogService).flush();

  /** Predicts `rows` (one row: the single route) and returns the answer. */
  async function predict(model: string, rows: object[], headers: Record<string, string> = {}) {
    const res =
      rows.length === 1
        ? await post(`/predict/${model}`, rows[0], headers)
        : await post(`/predict/${model}/batch`, { rows }, headers);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    return {
      requestId: body.requestId as string,
      version: body.version as number,
      answers: body.predictions ?? [body.prediction],
    };
  }

  const storedFeedback = (requestId: string) =>
    repo(FeedbackEntity).find({ where: { requestId }, order: { rowIndex: 'ASC', id: 'ASC' } });
  const storedOutcomes = async (requestId: string) => {
    const ids = (await storedFeedback(requestId)).map((f) => f.id);
    return repo(PredictionOutcomeEntity).find({
      where: { feedbackId: In(ids) },
      order: { feedbackId: 'ASC', logId: 'ASC' },
    });
  };
  const logEntries = (requestId: string) => repo(PredictionEntity).find({ where: { requestId }, order: { id: 'ASC' } });

  /** Logs an entry directly (a shadow's, or one of another time or policy), as the prediction path writes it. */
  async function logEntry(values: Partial<PredictionEntity> & Pick<PredictionEntity, 'requestId' | 'outputs'>) {
    const entry = repo(PredictionEntity).create({
      createdAt: new Date(),
      modelName: HOUSING,
      modelVersion: 1,
      predictionId: null,
      policyId: 0,
      policy: 'champion',
      shadow: false,
      rowCount: values.outputs.length,
      inputs: { fields: ['x'], rows: values.outputs.map(() => [1]) },
      latencyMs: 1,
      ...values,
    });
    return repo(PredictionEntity).save(entry);
  }

  beforeAll(async () => {
    // Log flushes far apart: the specs decide when the log is written (or show that feedback does not need it).
    t = await createTestApp({
      PREDICTION_LOG_FLUSH_MS: '60000',
      EVALUATION_INTERVAL_S: '0',
      DRIFT_CHECK_INTERVAL_S: '0',
    });
    const training = t.app.get(TrainingService);
    for (const [model, candidate] of [
      [HOUSING, 'linear'],
      ['iris', 'gbdt'],
    ] as const) {
      const [run] = await training.train(model, { candidates: [candidate] });
      expect((await post(`/models/${model}/versions`, { runId: run.id })).statusCode).toBe(201);
      expect((await post(`/models/${model}/versions/1/promote`, {})).statusCode).toBe(200);
    }
  }, 180_000);

  afterAll(async () => {
    await t.close();
  });

  it('accepts the truth of a housing prediction (201) and stores it with its outcome and errors', async () => {
    const { requestId, version, answers } = await predict('housing', [housingRow(8.3252)]);
    await flush();
    const predicted = answers[0].value as number;

    const res = await feedback({ requestId, actual: 2.31 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      status: 'accepted',
      requestId,
      row: 0,
      model: HOUSING,
      version,
      outcomes: [
        {
          version,
          policy: 'champion',
          policyId: 0,
          role: 'primary',
          predicted,
          actual: 2.31,
          squaredError: expect.any(Number),
          absoluteError: expect.any(Number),
        },
      ],
    });
    expect(res.json().outcomes[0].squaredError).toBeCloseTo((predicted - 2.31) ** 2, 12);

    const [stored] = await storedFeedback(requestId);
    expect(stored).toMatchObject({ rowIndex: 0, actualValue: 2.31, actualLabel: null });
    const [entry] = await logEntries(requestId);
    const outcomes = await storedOutcomes(requestId);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      feedbackId: stored.id,
      logId: entry.id,
      modelName: HOUSING,
      modelVersion: version,
      policyId: 0,
      policy: 'champion',
      shadow: false,
      predictedValue: predicted,
      actualValue: 2.31,
      predictedLabel: null,
      correct: null,
    });
    expect(outcomes[0].squaredError).toBeCloseTo((predicted - 2.31) ** 2, 12);
    expect(outcomes[0].absoluteError).toBeCloseTo(Math.abs(predicted - 2.31), 12);
    expect(outcomes[0].predictedAt.getTime()).toBe(entry.createdAt.getTime());
  });

  it('is idempotent: the same truth again is 200 duplicate (one row); another truth for the row is 409', async () => {
    const { requestId } = await predict('housing', [housingRow(5)]);
    expect((await feedback({ requestId, row: 0, actual: 1.5 })).statusCode).toBe(201);

    const again = await feedback({ requestId, row: 0, actual: 1.5 });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate', requestId, row: 0, outcomes: [{ actual: 1.5 }] });
    const other = await feedback({ requestId, actual: 1.6 });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ statusCode: 409, code: 'FEEDBACK.CONFLICT', requestId: expect.any(String) });
    expect(await storedFeedback(requestId)).toHaveLength(1);
    expect(await storedOutcomes(requestId)).toHaveLength(1);
  });

  it('counts concurrent identical feedback once: one 201, the others 200, one stored row', async () => {
    const { requestId } = await predict('housing', [housingRow(4)]);
    await flush();
    const answers = await Promise.all(Array.from({ length: 6 }, () => feedback({ requestId, actual: 3 })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(await storedFeedback(requestId)).toHaveLength(1);
    expect(await storedOutcomes(requestId)).toHaveLength(1);
  });

  it('counts concurrent identical lists once: every row accepted by one of them, a duplicate in the others', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => housingRow(1 + i / 10));
    const { requestId } = await predict('housing', rows);
    await flush();
    const items = rows.map((_, row) => ({ requestId, row, actual: 2 }));
    const answers = (await Promise.all([1, 2, 3].map(() => feedback({ items })))).map((a) =>
      a.json<FeedbackBatchAnswerDto>(),
    );
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(60);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(120);
    for (let row = 0; row < 60; row++) {
      expect(answers.map((a) => a.results[row].status).sort()).toEqual([200, 200, 201]);
    }
    expect(await storedFeedback(requestId)).toHaveLength(60);
    expect(await storedOutcomes(requestId)).toHaveLength(60);
  });

  it('takes 20 concurrent mixed feedback requests: each its 2xx/4xx, every truth stored once, the log still written', async () => {
    // Ten single-row predictions (two named by x-prediction-id) and a three-row one.
    const singles: { requestId: string }[] = [];
    for (let i = 0; i < 8; i++) singles.push(await predict('housing', [housingRow(1 + i / 4)]));
    const named = [`burst-${randomUUID()}`, `burst-${randomUUID()}`];
    for (const id of named) singles.push(await predict('housing', [housingRow(7)], { 'x-prediction-id': id }));
    // A truth stored before the burst, which the burst repeats and contradicts: it must survive both.
    const [kept] = singles;
    expect((await feedback({ requestId: kept.requestId, actual: 9 })).statusCode).toBe(201);
    // Still queued when the burst comes: its first request writes the log (on the writer thread) while the others
    // arrive, so they go on together, as requests over sockets do.
    const list = await predict('housing', [housingRow(2), housingRow(3), housingRow(4)]);

    /** One truth sent: the request and row it is for, its body, and its place in the list body (if it is in it). */
    interface Sent {
      requestId: string;
      row: number;
      actual: number;
      body: object;
      item?: number;
    }
    const single = (requestId: string, actual: number, ref: object = { requestId }, row = 0): Sent => ({
      requestId,
      row,
      actual,
      body: { ...ref, ...(row ? { row } : {}), actual },
    });
    const sent: Sent[] = [
      single(kept.requestId, 9), // the stored truth again: 200
      single(kept.requestId, 8), // another truth: 409
      ...singles.slice(1, 8).map((s, i) => single(s.requestId, 1 + i)), // new: 201
      ...singles.slice(1, 4).map((s, i) => single(s.requestId, 1 + i)), // the same, concurrently: one 201, one 200
      ...singles.slice(4, 6).map((s, i) => single(s.requestId, 50 + i)), // another truth concurrently: 201 or 409
      ...named.map((id, i) => single(singles[8 + i].requestId, 5 + i, { predictionId: id })), // 201
      ...[0, 1, 2].map((row) => ({
        ...single(list.requestId, 10 + row, { requestId: list.requestId }, row),
        item: row,
      })),
      single(list.requestId, 11, { requestId: list.requestId }, 1), // the list's row 1 again: one 201, one 200
    ];
    const listBody = { items: sent.filter((s) => s.item !== undefined).map((s) => ({ ...s.body, row: s.row })) };
    const bodies = [...sent.filter((s) => s.item === undefined).map((s) => s.body), listBody];
    const unknown = { requestId: `never-predicted-${randomUUID()}`, actual: 1 };
    const outside = { requestId: singles[6].requestId, row: 3, actual: 1 };
    bodies.push(unknown, outside);
    expect(bodies).toHaveLength(20);

    const answers = await Promise.all(bodies.map((body) => feedback(body)));

    // Every answer is a documented one: no 5xx.
    const statusOf = new Map<object, number>();
    answers.forEach((res, i) => statusOf.set(bodies[i], res.statusCode));
    expect(answers.map((a) => a.statusCode).filter((s) => s >= 500)).toEqual([]);
    expect(statusOf.get(unknown)).toBe(404);
    expect(statusOf.get(outside)).toBe(422);
    const listAnswer = answers[bodies.indexOf(listBody)].json<FeedbackBatchAnswerDto>();
    expect(statusOf.get(listBody)).toBe(200);
    const status = (s: Sent) => (s.item === undefined ? statusOf.get(s.body) : listAnswer.results[s.item].status);

    // Per row: exactly one truth stored (with its one outcome), the one answered 201 (or stored before the burst);
    // the others sent for the row are 200 when they agree with it and 409 when they do not.
    const rows = new Map<string, Sent[]>();
    for (const s of sent) rows.set(`${s.requestId}/${s.row}`, [...(rows.get(`${s.requestId}/${s.row}`) ?? []), s]);
    for (const group of rows.values()) {
      const { requestId, row } = group[0];
      const accepted = group.filter((s) => status(s) === 201);
      const stored = (await storedFeedback(requestId)).filter((f) => f.rowIndex === row);
      expect(stored).toHaveLength(1);
      expect(accepted).toHaveLength(requestId === kept.requestId ? 0 : 1);
      const truth = requestId === kept.requestId ? 9 : accepted[0].actual;
      expect(stored[0].actualValue).toBe(truth);
      for (const s of group.filter((x) => status(x) !== 201)) expect(status(s)).toBe(s.actual === truth ? 200 : 409);
      const outcomes = await repo(PredictionOutcomeEntity).findBy({ feedbackId: stored[0].id });
      expect(outcomes.map((o) => o.actualValue)).toEqual([truth]);
    }
    expect(await storedFeedback(list.requestId)).toHaveLength(3);
    expect(await storedOutcomes(list.requestId)).toHaveLength(3);
    expect(await storedFeedback(unknown.requestId)).toEqual([]);

    // The database is left usable: a prediction is still logged, and its truth stored.
    const after = await predict('housing', [housingRow(5.5)]);
    await flush();
    expect(await logEntries(after.requestId)).toHaveLength(1);
    expect((await feedback({ requestId: after.requestId, actual: 2 })).statusCode).toBe(201);
    expect(await storedOutcomes(after.requestId)).toHaveLength(1);
  });

  it('stores a full list of FEEDBACK_MAX_ITEMS items', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => housingRow(0.5 + i / 100));
    const { requestId, answers } = await predict('housing', rows);
    const items = rows.map((_, row) => ({ requestId, row, actual: 1 + row / 1000 }));
    const res = await feedback({ items });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0 });
    const outcomes = await storedOutcomes(requestId);
    expect(outcomes).toHaveLength(1000);
    const feedbackRows = await storedFeedback(requestId);
    const rowOf = new Map(feedbackRows.map((f) => [f.id, f.rowIndex]));
    for (const outcome of outcomes) {
      const row = rowOf.get(outcome.feedbackId) as number;
      expect(outcome.predictedValue).toBe(answers[row].value);
      expect(outcome.actualValue).toBe(1 + row / 1000);
    }
  });

  it('answers 404 FEEDBACK.PREDICTION_NOT_FOUND for an unknown id, without repeating it', async () => {
    const unknown = `never-predicted-${randomUUID()}`;
    for (const body of [
      { requestId: unknown, actual: 1 },
      { predictionId: unknown, actual: 1 },
    ]) {
      const res = await feedback(body);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'FEEDBACK.PREDICTION_NOT_FOUND' });
      expect(res.body).not.toContain(unknown);
    }
    expect(await storedFeedback(unknown)).toEqual([]);
  });

  it('accepts feedback sent right after its prediction, before the log is written', async () => {
    const { requestId } = await predict('housing', [housingRow(3)]);
    expect(await logEntries(requestId)).toEqual([]); // still queued (flushes are a minute apart here)
    const res = await feedback({ requestId, actual: 2 });
    expect(res.statusCode).toBe(201);
    expect(await logEntries(requestId)).toHaveLength(1);
    expect(await storedOutcomes(requestId)).toHaveLength(1);
  });

  it('refuses a row outside the request (422 naming row) and an actual of the wrong type (400 naming actual)', async () => {
    const { requestId } = await predict('housing', [housingRow(2), housingRow(6)]);
    const outside = await feedback({ requestId, row: 2, actual: 1 });
    expect(outside.statusCode).toBe(422);
    expect(outside.json()).toMatchObject({
      code: 'FEEDBACK.ROW_OUT_OF_RANGE',
      errors: [{ field: 'row', rule: 'max', message: expect.stringContaining('2 rows') }],
    });
    const label = await feedback({ requestId, row: 1, actual: 'expensive-secret' });
    expect(label.statusCode).toBe(400);
    expect(label.json()).toMatchObject({
      code: 'FEEDBACK.INVALID_ACTUAL',
      errors: [{ field: 'actual', rule: 'isFiniteNumber' }],
    });
    expect(label.body).not.toContain('expensive-secret');
    expect(await storedFeedback(requestId)).toEqual([]);
  });

  it('refuses a regression truth beyond ±1e12 (400 naming actual and rule range, not the value); performance stays 200', async () => {
    const { requestId } = await predict('housing', [housingRow(4.5)]);
    for (const actual of [1e154, -1e200, 1e12 * 1.5]) {
      const res = await feedback({ requestId, actual });
      expect([actual, res.statusCode]).toEqual([actual, 400]);
      expect(res.json()).toMatchObject({
        code: 'FEEDBACK.INVALID_ACTUAL',
        errors: [{ field: 'actual', rule: 'range', message: expect.stringContaining('1e12') }],
      });
      expect(res.body).not.toContain(String(actual));
    }
    const batch = (await feedback({ items: [{ requestId, actual: 1e154 }] })).json<FeedbackBatchAnswerDto>();
    expect(batch.results[0]).toMatchObject({ status: 400, errors: [{ field: 'items.0.actual', rule: 'range' }] });
    expect(await storedFeedback(requestId)).toEqual([]);
    // (Values up to ±1e12 are taken, see outcome.util.spec: a sane one here, as other specs sum housing's rows.)
    expect((await feedback({ requestId, actual: 2.5 })).statusCode).toBe(201);
    const [outcome] = await storedOutcomes(requestId);
    expect(Number.isFinite(outcome.squaredError)).toBe(true);
    for (const url of ['/monitoring/performance?model=housing', '/monitoring/experiments?model=housing']) {
      const res = await get(url);
      expect([url, res.statusCode]).toEqual([url, 200]);
    }
  });

  it('validates the body: one of requestId/predictionId, an actual, no items beside an item (400, values not echoed)', async () => {
    const cases: [unknown, string, string][] = [
      [{ actual: 1 }, 'requestId', 'isDefined'],
      [{ requestId: 'a', predictionId: 'b', actual: 1 }, 'requestId', 'notWith'],
      [{ requestId: 'a' }, 'actual', 'isDefined'],
      [{ requestId: 'a', actual: { secret: 'zz-top-secret' } }, 'actual', 'isActual'],
      [{ requestId: 'a', actual: 1, row: -1 }, 'row', 'min'],
      [{ requestId: 'a', actual: 1, row: 0.5 }, 'row', 'isInt'],
      [{ requestId: 'a', actual: 1, extra: 'zz-top-secret' }, 'extra', 'whitelistValidation'],
      [{ items: [{ requestId: 'a', actual: 1 }], actual: 1 }, 'items', 'alone'],
      [{ items: [] }, 'items', 'arrayNotEmpty'],
      [{ items: 'zz-top-secret' }, 'items', 'isArray'],
    ];
    for (const [body, field, rule] of cases) {
      const res = await feedback(body);
      expect([JSON.stringify(body), res.statusCode]).toEqual([JSON.stringify(body), 400]);
      expect(res.json().code).toBe('REQUEST.VALIDATION_FAILED');
      expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
      expect(res.body).not.toContain('zz-top-secret');
    }
    const tooMany = await feedback({ items: Array.from({ length: 1001 }, () => ({ requestId: 'a', actual: 1 })) });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ code: 'FEEDBACK.TOO_MANY_ITEMS', errors: [{ field: 'items' }] });
  });

  it('never answers a body with a 5xx (any JSON, known and unknown ids, nasty values)', async () => {
    const { requestId } = await predict('housing', [housingRow(2.2), housingRow(3.3)]);
    const nasty = fc.oneof(
      fc.constantFrom(requestId, 0, 1, 2, -1, 1e308, 5e-324, 2 ** 53 + 1, '', 'setosa', '__proto__', null, true),
      fc.string({ maxLength: 20 }),
      fc.double(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
    );
    const key = fc.constantFrom('requestId', 'predictionId', 'row', 'actual', 'items', 'extra');
    const item = fc.dictionary(key, nasty, { maxKeys: 4 });
    const body = fc.oneof(item, fc.record({ items: fc.array(fc.oneof(item, nasty), { maxLength: 5 }) }), nasty);
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await feedback(payload);
        expect([JSON.stringify(payload), res.statusCode < 500]).toEqual([JSON.stringify(payload), true]);
        if (res.statusCode >= 400) expect(res.json()).toMatchObject({ code: expect.any(String) });
      }),
      { numRuns: 300, seed: 18 },
    );
  });

  it('judges each item of a list on its own, in order, with its own status', async () => {
    const { requestId, answers } = await predict('housing', [housingRow(1.5), housingRow(7), housingRow(10)]);
    const res = await feedback({
      items: [
        { requestId, row: 0, actual: 1.1 },
        { requestId, row: 1, actual: 3.3 },
        { requestId, row: 1, actual: 3.3 },
        { requestId, row: 0, actual: 9.9 },
        { requestId, row: 3, actual: 1 },
        { requestId, row: 2, actual: 'zz-top-secret' },
        { requestId: `unknown-${randomUUID()}`, actual: 1 },
        'zz-top-secret',
        { requestId, predictionId: 'x', actual: 1 },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 6 });
    expect(body.results.map((r: { index: number; status: number }) => [r.index, r.status])).toEqual([
      [0, 201],
      [1, 201],
      [2, 200],
      [3, 409],
      [4, 422],
      [5, 400],
      [6, 404],
      [7, 400],
      [8, 400],
    ]);
    expect(body.results[0]).toMatchObject({
      requestId,
      row: 0,
      model: HOUSING,
      outcomes: [{ predicted: answers[0].value }],
    });
    expect(body.results[3]).toMatchObject({ code: 'FEEDBACK.CONFLICT' });
    expect(body.results[4].errors).toEqual([expect.objectContaining({ field: 'items.4.row', rule: 'max' })]);
    expect(body.results[5].errors).toEqual([
      expect.objectContaining({ field: 'items.5.actual', rule: 'isFiniteNumber' }),
    ]);
    expect(body.results[6]).toMatchObject({ code: 'FEEDBACK.PREDICTION_NOT_FOUND' });
    expect(body.results[7].errors).toEqual([expect.objectContaining({ field: 'items.7', rule: 'isObject' })]);
    expect(body.results[8].errors).toEqual([expect.objectContaining({ field: 'items.8.requestId', rule: 'notWith' })]);
    expect(res.body).not.toContain('zz-top-secret');
    const stored = await storedFeedback(requestId);
    expect(stored.map((f) => [f.rowIndex, f.actualValue])).toEqual([
      [0, 1.1],
      [1, 3.3],
    ]);
  });

  it('scores iris labels: correct and log loss −ln(max(p, 1e-15)); refuses labels that are not classes', async () => {
    const { requestId, answers } = await predict('iris', [IRIS_SPEC.example, IRIS_SPEC.example]);
    const [answer] = answers as { label: string; probabilities: Record<string, number> }[];
    const wrong = Object.keys(answer.probabilities).find((c) => c !== answer.label) as string;
    const res = await feedback({
      items: [
        { requestId, row: 0, actual: answer.label },
        { requestId, row: 1, actual: wrong },
        { requestId, row: 1, actual: 'tulip' },
        { requestId, row: 1, actual: 2 },
      ],
    });
    const results = res.json().results;
    expect(results.map((r: { status: number }) => r.status)).toEqual([201, 201, 400, 400]);
    expect(results[0].outcomes).toEqual([
      expect.objectContaining({ predicted: answer.label, actual: answer.label, correct: true }),
    ]);
    expect(results[0].outcomes[0].logLoss).toBeCloseTo(
      -Math.log(Math.max(answer.probabilities[answer.label], 1e-15)),
      12,
    );
    expect(results[1].outcomes[0]).toMatchObject({ correct: false });
    expect(results[1].outcomes[0].logLoss).toBeCloseTo(-Math.log(Math.max(answer.probabilities[wrong], 1e-15)), 12);
    expect(results[2].errors).toEqual([
      expect.objectContaining({
        field: 'items.2.actual',
        rule: 'isClassLabel',
        message: expect.stringContaining('setosa'),
      }),
    ]);
    expect(results[3].errors).toEqual([expect.objectContaining({ field: 'items.3.actual', rule: 'isClassLabel' })]);
    const outcomes = await storedOutcomes(requestId);
    expect(outcomes.map((o) => [o.predictedLabel, o.actualLabel, o.correct])).toEqual([
      [answer.label, answer.label, true],
      [answer.label, wrong, false],
    ]);
  });

  it("takes the client's x-prediction-id as predictionId", async () => {
    const predictionId = `order-${randomUUID()}`;
    const { requestId } = await predict('housing', [housingRow(6.5)], { 'x-prediction-id': predictionId });
    const res = await feedback({ predictionId, actual: 4.2 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'accepted', requestId, predictionId, row: 0 });
    // The same truth by the request id is the same feedback.
    expect((await feedback({ requestId, actual: 4.2 })).json()).toMatchObject({ status: 'duplicate' });
    expect(await storedFeedback(requestId)).toHaveLength(1);
  });

  it('joins every logged entry of the request: the answer and its shadows; a reused request id joins the latest', async () => {
    const requestId = `reused-${randomUUID()}`;
    await predict('housing', [housingRow(2.5)], { 'x-request-id': requestId });
    const { answers } = await predict('housing', [housingRow(9)], { 'x-request-id': requestId });
    await flush();
    const [, latest] = await logEntries(requestId);
    const shadow = await logEntry({
      requestId,
      modelVersion: 2,
      policy: 'shadow',
      policyId: 5,
      shadow: true,
      outputs: [1.25],
    });

    const res = await feedback({ requestId, actual: 2 });
    expect(res.statusCode).toBe(201);
    expect(res.json().outcomes).toEqual([
      expect.objectContaining({ role: 'primary', version: 1, predicted: answers[0].value }),
      expect.objectContaining({
        role: 'shadow',
        version: 2,
        policy: 'shadow',
        policyId: 5,
        predicted: 1.25,
        squaredError: 0.5625,
      }),
    ]);
    const outcomes = await storedOutcomes(requestId);
    expect(outcomes.map((o) => [o.logId, o.shadow])).toEqual([
      [latest.id, false],
      [Number(shadow.id), true], // (PostgreSQL: save() hands a bigint id back as text)
    ]);
  });

  it('keys feedback on the logged request: a reused x-request-id with two x-prediction-ids takes two truths', async () => {
    const requestId = `same-id-${randomUUID()}`;
    const [o1, o2] = [`o-1-${randomUUID()}`, `o-2-${randomUUID()}`];
    const first = await predict('housing', [housingRow(2)], { 'x-request-id': requestId, 'x-prediction-id': o1 });
    const second = await predict('housing', [housingRow(9)], { 'x-request-id': requestId, 'x-prediction-id': o2 });
    expect([first.requestId, second.requestId]).toEqual([requestId, requestId]);

    const one = await feedback({ predictionId: o1, actual: 1.5 });
    expect(one.statusCode).toBe(201);
    expect(one.json()).toMatchObject({
      status: 'accepted',
      requestId,
      predictionId: o1,
      outcomes: [{ role: 'primary', predicted: first.answers[0].value, actual: 1.5 }],
    });
    const two = await feedback({ predictionId: o2, actual: 4 });
    expect(two.statusCode).toBe(201);
    expect(two.json()).toMatchObject({
      status: 'accepted',
      predictionId: o2,
      outcomes: [{ role: 'primary', predicted: second.answers[0].value, actual: 4 }],
    });
    // By the request id: its latest request (o-2), whose truth is stored already.
    const latest = await feedback({ requestId, actual: 4 });
    expect(latest.statusCode).toBe(200);
    expect(latest.json()).toMatchObject({ status: 'duplicate', outcomes: [{ predicted: second.answers[0].value }] });
    expect((await feedback({ requestId, actual: 1.5 })).statusCode).toBe(409);

    const entries = await logEntries(requestId);
    expect(entries.map((e) => e.predictionId)).toEqual([o1, o2]);
    const stored = await storedFeedback(requestId);
    expect(stored.map((f) => [Number(f.logId), f.rowIndex, f.actualValue])).toEqual([
      [Number(entries[0].id), 0, 1.5],
      [Number(entries[1].id), 0, 4],
    ]);
    expect((await storedOutcomes(requestId)).map((o) => [Number(o.logId), o.feedbackId])).toEqual([
      [Number(entries[0].id), stored[0].id],
      [Number(entries[1].id), stored[1].id],
    ]);
  });

  it('joins the shadow entries a shadow traffic policy logs: one outcome per version', async () => {
    const [run] = await t.app.get(TrainingService).train('iris', { candidates: ['random_forest'] });
    const shadowVersion = (await post('/models/iris/versions', { runId: run.id })).json().version as number;
    const policy = await t.app.inject({
      method: 'PUT',
      url: '/models/iris/traffic',
      headers: json,
      payload: { mode: 'shadow', shadow: [shadowVersion] },
    });
    expect(policy.statusCode).toBe(200);
    try {
      const { requestId, answers } = await predict('iris', [IRIS_SPEC.example]);
      // The shadow version scores the rows off the request path: its entry follows the answer's.
      for (let i = 0; i < 100 && (await logEntries(requestId)).length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await flush();
      }
      const res = await feedback({ requestId, actual: answers[0].label });
      expect(res.statusCode).toBe(201);
      const policyId = policy.json().policyId as number;
      expect(res.json().outcomes).toEqual([
        expect.objectContaining({ role: 'primary', version: 1, policy: 'shadow', policyId, correct: true }),
        expect.objectContaining({ role: 'shadow', version: shadowVersion, policy: 'shadow', policyId }),
      ]);
      const stored = await storedOutcomes(requestId);
      expect(stored.map((o) => [o.modelVersion, o.shadow])).toEqual([
        [1, false],
        [shadowVersion, true],
      ]);
    } finally {
      const back = { mode: 'champion' };
      await t.app.inject({ method: 'PUT', url: '/models/iris/traffic', headers: json, payload: back });
    }
  }, 60_000);

  it('reports live performance per version, policy and role, and a series, equal to the stored rows', async () => {
    // Entries predicted 50 and 20 minutes ago and now, under the default policy, a canary policy and a shadow.
    const now = Date.now();
    const ids: string[] = [];
    for (const [minutesAgo, policy, policyId, shadow, outputs] of [
      [50, 'champion', 0, false, [1, 2, 3]],
      [20, 'canary', 7, false, [2.5, 0.5]],
      [5, 'champion', 0, false, [4]],
    ] as const) {
      const requestId = `perf-${randomUUID()}`;
      ids.push(requestId);
      const createdAt = new Date(now - minutesAgo * 60_000);
      await logEntry({ requestId, createdAt, policy, policyId, shadow, outputs: [...outputs] });
      await logEntry({
        requestId,
        createdAt,
        modelVersion: 2,
        policy: 'shadow',
        policyId: 9,
        shadow: true,
        outputs: outputs.map((o) => o + 1),
      });
      const items = outputs.map((_, row) => ({ requestId, row, actual: 2 + row / 4 }));
      expect((await feedback({ items })).json()).toMatchObject({ accepted: outputs.length });
    }

    const res = await get(`/monitoring/performance?model=housing&windowSeconds=3600&stepSeconds=600`);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ model: HOUSING, task: 'regression', window: { seconds: 3600, stepSeconds: 600 } });
    const from = Date.parse(report.window.from);
    const to = Date.parse(report.window.to);
    expect(to - from).toBe(3_600_000);
    const rows = (await repo(PredictionOutcomeEntity).find({ where: { modelName: HOUSING } })).filter(
      (r) => r.predictedAt.getTime() >= from && r.predictedAt.getTime() < to,
    );
    const role = (r: { shadow: boolean }) => (r.shadow ? 'shadow' : 'primary');

    const expected = recompute(rows, (r) => `${r.modelVersion}/${r.policy}/${r.policyId}/${role(r)}`);
    expect(report.groups).toHaveLength(expected.size);
    for (const group of report.groups) {
      const sums = expected.get(`${group.version}/${group.policy}/${group.policyId}/${group.role}`) as Sums;
      expect(group.samples).toBe(sums.samples);
      expect(group.rmse).toBeCloseTo(Math.sqrt(sums.squared / sums.samples), 10);
      expect(group.mae).toBeCloseTo(sums.absolute / sums.samples, 10);
    }
    expect(report.groups).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ version: 1, policy: 'canary', policyId: 7, role: 'primary', samples: 2 }),
      ]),
    );

    const bucketOf = (r: PredictionOutcomeEntity) => Math.floor((r.predictedAt.getTime() - from) / 600_000);
    const points = recompute(rows, (r) => `${bucketOf(r)}/${r.modelVersion}/${role(r)}`);
    expect(report.series).toHaveLength(points.size);
    for (const point of report.series) {
      const bucket = (Date.parse(point.from) - from) / 600_000;
      const sums = points.get(`${bucket}/${point.version}/${point.role}`) as Sums;
      expect(point.samples).toBe(sums.samples);
      expect(point.rmse).toBeCloseTo(Math.sqrt(sums.squared / sums.samples), 10);
    }
    expect(new Set(report.series.map((p: { from: string }) => p.from)).size).toBeGreaterThanOrEqual(3);

    const version = (await get(`/models/${HOUSING}`)).json().versions.find((v: { version: number }) => v.version === 1);
    expect(report.holdout).toEqual([
      { version: 1, metric: 'rmse', value: version.metrics.rmse },
      { version: 1, metric: 'mae', value: version.metrics.mae },
    ]);

    const canary = (await get(`/monitoring/performance?model=housing&windowSeconds=3600&policyId=7`)).json();
    expect(canary.groups).toEqual([expect.objectContaining({ policy: 'canary', policyId: 7, samples: 2 })]);
  });

  it('reports classification figures, and refuses unknown models (404) and bad windows (400)', async () => {
    const { requestId, answers } = await predict('iris', [IRIS_SPEC.example]);
    expect((await feedback({ requestId, actual: answers[0].label })).statusCode).toBe(201);
    const report = (await get('/monitoring/performance?model=iris&windowSeconds=600')).json();
    const rows = (await repo(PredictionOutcomeEntity).find({ where: { modelName: 'iris' } })).filter(
      (r) => r.predictedAt.getTime() >= Date.parse(report.window.from),
    );
    const role = (r: { shadow: boolean }) => (r.shadow ? 'shadow' : 'primary');
    const expected = recompute(rows, (r) => `${r.modelVersion}/${r.policy}/${r.policyId}/${role(r)}`);
    expect(report.groups).toHaveLength(expected.size);
    for (const group of report.groups) {
      const sums = expected.get(`${group.version}/${group.policy}/${group.policyId}/${group.role}`) as Sums;
      expect(group.samples).toBe(sums.samples);
      expect(group.accuracy).toBeCloseTo(sums.correct / sums.samples, 12);
      expect(group.logLoss).toBeCloseTo(sums.logLoss / sums.samples, 10);
      expect(group.rmse).toBeUndefined();
    }
    const versions = (await get('/models/iris')).json().versions as {
      version: number;
      metrics: Record<string, number>;
    }[];
    const present = [...new Set<number>(report.groups.map((g: { version: number }) => g.version))].sort(
      (a, b) => a - b,
    );
    expect(report.holdout).toEqual(
      present.flatMap((v) => {
        const { metrics } = versions.find((version) => version.version === v) as (typeof versions)[number];
        return [
          { version: v, metric: 'accuracy', value: metrics.accuracy },
          { version: v, metric: 'log_loss', value: metrics.logLoss },
        ];
      }),
    );

    expect((await get('/monitoring/performance?model=no-such-model')).json()).toMatchObject({
      code: 'REGISTRY.MODEL_NOT_FOUND',
    });
    for (const [query, field] of [
      ['', 'model'],
      ['model=iris&windowSeconds=10', 'windowSeconds'],
      ['model=iris&windowSeconds=86400&stepSeconds=60', 'stepSeconds'],
      ['model=iris&policyId=-1', 'policyId'],
    ]) {
      const res = await get(`/monitoring/performance?${query}`);
      expect([query, res.statusCode]).toEqual([query, 400]);
      expect(res.json().errors).toEqual([expect.objectContaining({ field })]);
    }
  });

  it('exports live_rmse and the holdout score once the gauges refresh, and again shortly after new feedback', async () => {
    const { requestId } = await predict('housing', [housingRow(7.5)]);
    expect((await feedback({ requestId, actual: 3.1 })).statusCode).toBe(201);
    await t.app.get(PerformanceService).refreshGauges();
    const labels = { model: HOUSING, version: '1', policy: 'champion', kind: 'primary' };
    const metrics = (await get('/metrics')).body;
    const report = (await get('/monitoring/performance?model=housing')).json();
    const champion = report.groups.filter(
      (g: { policy: string; role: string }) => g.policy === 'champion' && g.role === 'primary',
    );
    expect(champion).toHaveLength(1);
    expect(metricValue(metrics, 'live_rmse', labels)).toBeCloseTo(champion[0].rmse, 9);
    expect(metricValue(metrics, 'live_samples', labels)).toBe(champion[0].samples);
    expect(metricValue(metrics, 'model_holdout_score', { model: HOUSING, version: '1', metric: 'rmse' })).toBe(
      report.holdout.find((h: { metric: string }) => h.metric === 'rmse').value,
    );
    expect(metricValue(metrics, 'feedback_items_total', { outcome: 'accepted' })).toBeGreaterThan(0);

    // Accepted feedback refreshes its model's gauges by itself, a moment later.
    const next = await predict('housing', [housingRow(6)]);
    expect((await feedback({ requestId: next.requestId, actual: 2.2 })).statusCode).toBe(201);
    const samples = async () => metricValue((await get('/metrics')).body, 'live_samples', labels);
    for (let i = 0; i < 50 && (await samples()) === champion[0].samples; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await samples()).toBe(champion[0].samples + 1);
  });
});
