import { QueryFailedError } from 'typeorm';
import { asInstance } from '../../../test/support/mock-repositories';
import type { DomainEvents } from '../../common/events/domain-events';
import type { AppConfig } from '../../config/app-config';
import type { ServiceMetrics } from '../../metrics/service-metrics';
import { FeedbackEntity } from '../entities/feedback.entity';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';
import type { FeedbackAnswerDto, FeedbackBatchAnswerDto, FeedbackDto } from './dto/feedback.dto';
import {
  FeedbackConflictError,
  FeedbackInvalidActualError,
  FeedbackPredictionNotFoundError,
  FeedbackRowOutOfRangeError,
  FeedbackTooManyItemsError,
  FeedbackUnusablePredictionError,
} from './feedback.errors';
import type { FeedbackRepository, LogEntry, NewFeedbackRows, StoredFeedback } from './feedback.repository';
import { FeedbackService } from './feedback.service';
import type { Joins, LogJoinService, PredictionRef } from './log-join.service';
import { joinOf } from './log-join.util';

const uniqueViolation = () =>
  new QueryFailedError('INSERT', [], Object.assign(new Error('UNIQUE constraint failed'), { code: '23505' }));

/**
 * The feedback and outcome tables in memory, with their unique (log entry, row): storeAll keeps all of a call or
 * nothing. `concurrently` runs before a store, as another request storing first would.
 */
class FakeFeedbackTables {
  feedback: FeedbackEntity[] = [];
  outcomes: PredictionOutcomeEntity[] = [];
  concurrently?: () => void;
  stores = 0;

  add({ feedback, outcomes }: NewFeedbackRows): StoredFeedback {
    if (this.feedback.some((f) => f.logId === feedback.logId && f.rowIndex === feedback.rowIndex)) {
      throw uniqueViolation();
    }
    const row = Object.assign(new FeedbackEntity(), { ...feedback, id: this.feedback.length + 1 });
    this.feedback.push(row);
    const stored = outcomes.map((o) => Object.assign(new PredictionOutcomeEntity(), { ...o, feedbackId: row.id }));
    this.outcomes.push(...stored);
    return { feedback: row, outcomes: stored };
  }

  readonly repository: Pick<FeedbackRepository, 'feedbackOfEntries' | 'findFeedback' | 'outcomesOf' | 'storeAll'> = {
    feedbackOfEntries: (ids) => Promise.resolve(this.feedback.filter((f) => ids.includes(f.logId))),
    findFeedback: (logId, rowIndex) =>
      Promise.resolve(this.feedback.find((f) => f.logId === logId && f.rowIndex === rowIndex) ?? null),
    outcomesOf: (ids) => Promise.resolve(this.outcomes.filter((o) => ids.includes(o.feedbackId))),
    storeAll: async (rows) => {
      await Promise.resolve();
      this.stores++;
      const run = this.concurrently;
      this.concurrently = undefined;
      run?.();
      const [feedback, outcomes] = [[...this.feedback], [...this.outcomes]];
      try {
        return rows.map((r) => this.add(r));
      } catch (error) {
        [this.feedback, this.outcomes] = [feedback, outcomes];
        throw error;
      }
    },
  };
}

const entry = (id: number, values: Partial<LogEntry> = {}): LogEntry => ({
  id,
  createdAt: new Date('2026-12-01T10:00:00Z'),
  modelName: 'housing',
  modelVersion: 3,
  requestId: 'req-1',
  predictionId: null,
  policyId: 0,
  policy: 'champion',
  shadow: false,
  rowCount: 2,
  outputs: [2, 4],
  ...values,
});

describe(FeedbackService.name, () => {
  let tables: FakeFeedbackTables;
  let log: LogEntry[];
  let metrics: { feedback: jest.Mock<void, [string, number?]> };
  let events: { emit: jest.Mock };
  let sut: FeedbackService;

  const submit = (body: Partial<FeedbackDto>) => sut.submit(body as FeedbackDto);
  const batch = async (items: unknown[]) => (await submit({ items })) as FeedbackBatchAnswerDto;
  const counted = (outcome: string): number =>
    metrics.feedback.mock.calls.filter(([o]) => o === outcome).reduce((n, [, c]) => n + (c ?? 1), 0);

  beforeEach(() => {
    tables = new FakeFeedbackTables();
    log = [
      entry(1),
      entry(2, { shadow: true, modelVersion: 4, policy: 'shadow', policyId: 5, outputs: [3, 3] }),
      entry(3, {
        requestId: 'iris-1',
        modelName: 'iris',
        rowCount: 1,
        outputs: [{ label: 'a', probabilities: { a: 0.8, b: 0.2 } }],
      }),
    ];
    const joiner: Pick<LogJoinService, 'joins'> = {
      joins: (refs: readonly PredictionRef[]) => {
        const joins: Joins = { requestId: new Map(), predictionId: new Map() };
        for (const { key, id } of refs) {
          const join = joinOf(log.filter((e) => (key === 'requestId' ? e.requestId : e.predictionId) === id));
          if (join) joins[key].set(id, join);
        }
        return Promise.resolve(joins);
      },
    };
    metrics = { feedback: jest.fn() };
    events = { emit: jest.fn() };
    sut = new FeedbackService(
      asInstance<AppConfig>({ FEEDBACK_MAX_ITEMS: 10 }),
      asInstance<FeedbackRepository>(tables.repository),
      asInstance<LogJoinService>(joiner),
      asInstance<ServiceMetrics>(metrics),
      asInstance<DomainEvents>(events),
    );
  });

  it('stores a truth with one outcome per logged entry (the answer and its shadow), and announces it', async () => {
    const answer = (await submit({ requestId: 'req-1', row: 1, actual: 3.5 })) as FeedbackAnswerDto;
    expect(answer).toEqual({
      status: 'accepted',
      requestId: 'req-1',
      row: 1,
      model: 'housing',
      version: 3,
      outcomes: [
        {
          version: 3,
          policy: 'champion',
          policyId: 0,
          role: 'primary',
          predicted: 4,
          actual: 3.5,
          squaredError: 0.25,
          absoluteError: 0.5,
        },
        {
          version: 4,
          policy: 'shadow',
          policyId: 5,
          role: 'shadow',
          predicted: 3,
          actual: 3.5,
          squaredError: 0.25,
          absoluteError: 0.5,
        },
      ],
    });
    expect(tables.feedback).toEqual([
      expect.objectContaining({ logId: 1, requestId: 'req-1', rowIndex: 1, actualValue: 3.5, actualLabel: null }),
    ]);
    expect(tables.outcomes.map((o) => [o.logId, o.shadow, o.predictedAt])).toEqual([
      [1, false, log[0].createdAt],
      [2, true, log[1].createdAt],
    ]);
    expect(tables.outcomes[0].receivedAt).toBe(tables.feedback[0].receivedAt);
    expect(counted('accepted')).toBe(1);
    expect(events.emit).toHaveBeenCalledWith('feedback.accepted', { model: 'housing', rows: 1 });
  });

  it('answers the same truth again as a duplicate with the stored outcomes, storing and announcing nothing', async () => {
    await submit({ requestId: 'req-1', actual: 2 });
    events.emit.mockClear();
    const again = (await submit({ requestId: 'req-1', row: 0, actual: 2 })) as FeedbackAnswerDto;
    expect(again).toMatchObject({ status: 'duplicate', row: 0, outcomes: [{ role: 'primary' }, { role: 'shadow' }] });
    expect(tables.stores).toBe(1);
    expect(tables.feedback).toHaveLength(1);
    expect(counted('duplicate')).toBe(1);
    expect(events.emit).not.toHaveBeenCalled();
  });

  it('refuses another truth for a stored row (conflict), an unknown id, a row outside the request and a wrong actual', async () => {
    await submit({ requestId: 'req-1', actual: 2 });
    await expect(submit({ requestId: 'req-1', actual: 2.5 })).rejects.toBeInstanceOf(FeedbackConflictError);
    await expect(submit({ requestId: 'nope', actual: 1 })).rejects.toBeInstanceOf(FeedbackPredictionNotFoundError);
    await expect(submit({ predictionId: 'nope', actual: 1 })).rejects.toThrow(/this predictionId/);
    const outside = submit({ requestId: 'req-1', row: 2, actual: 1 });
    await expect(outside).rejects.toBeInstanceOf(FeedbackRowOutOfRangeError);
    await expect(outside).rejects.toMatchObject({ errors: [{ field: 'row', rule: 'max' }] });
    const label = submit({ requestId: 'iris-1', actual: 'c' });
    await expect(label).rejects.toBeInstanceOf(FeedbackInvalidActualError);
    await expect(label).rejects.toMatchObject({ errors: [{ field: 'actual', rule: 'isClassLabel' }] });
    expect([counted('conflict'), counted('unknown'), counted('invalid')]).toEqual([1, 2, 2]);
    expect(tables.feedback).toHaveLength(1);
  });

  it('refuses a regression truth beyond ±1e12 (rule range, the value not repeated), and a prediction beyond it', async () => {
    const huge = submit({ requestId: 'req-1', actual: 1e154 });
    await expect(huge).rejects.toBeInstanceOf(FeedbackInvalidActualError);
    await expect(huge).rejects.toMatchObject({
      errors: [{ field: 'actual', rule: 'range', message: expect.stringContaining('1e12') }],
    });
    await expect(huge).rejects.not.toThrow(/154/);
    await expect(submit({ requestId: 'req-1', actual: -1e12 })).resolves.toMatchObject({ status: 'accepted' });
    log.push(entry(4, { requestId: 'req-2', rowCount: 1, outputs: [2e12] }));
    await expect(submit({ requestId: 'req-2', actual: 1 })).rejects.toBeInstanceOf(FeedbackUnusablePredictionError);
    expect(tables.feedback).toHaveLength(1);
    expect(tables.outcomes.every((o) => Number.isFinite(o.squaredError))).toBe(true);
  });

  it('keys feedback on the primary log entry: two predictions with one request id each take their own truth', async () => {
    log = [
      entry(1, { predictionId: 'o-1', rowCount: 1, outputs: [2] }),
      entry(2, { predictionId: 'o-2', rowCount: 1, outputs: [4] }),
    ];
    const first = submit({ predictionId: 'o-1', actual: 3 });
    await expect(first).resolves.toMatchObject({ status: 'accepted', outcomes: [{ predicted: 2, actual: 3 }] });
    const second = submit({ predictionId: 'o-2', actual: 5 });
    await expect(second).resolves.toMatchObject({ status: 'accepted', outcomes: [{ predicted: 4, actual: 5 }] });
    // By the request id: its latest request, o-2.
    await expect(submit({ requestId: 'req-1', actual: 5 })).resolves.toMatchObject({
      status: 'duplicate',
      outcomes: [{ predicted: 4 }],
    });
    await expect(submit({ requestId: 'req-1', actual: 3 })).rejects.toBeInstanceOf(FeedbackConflictError);
    expect(tables.feedback.map((f) => [f.logId, f.requestId, f.actualValue])).toEqual([
      [1, 'req-1', 3],
      [2, 'req-1', 5],
    ]);
  });

  it('reads a concurrent store of the same row (unique violation) as a duplicate, or a conflict', async () => {
    const concurrent = (actualValue: number) => () =>
      tables.add({
        feedback: { logId: 1, requestId: 'req-1', rowIndex: 0, actualValue, actualLabel: null, receivedAt: new Date() },
        outcomes: [],
      });
    tables.concurrently = concurrent(2);
    await expect(submit({ requestId: 'req-1', actual: 2 })).resolves.toMatchObject({ status: 'duplicate' });
    tables.concurrently = () =>
      tables.add({
        feedback: {
          logId: 1,
          requestId: 'req-1',
          rowIndex: 1,
          actualValue: 9,
          actualLabel: null,
          receivedAt: new Date(),
        },
        outcomes: [],
      });
    await expect(submit({ requestId: 'req-1', row: 1, actual: 4 })).rejects.toBeInstanceOf(FeedbackConflictError);
    expect(tables.feedback.map((f) => f.actualValue)).toEqual([2, 9]);
  });

  it('lets other database errors through', async () => {
    tables.repository.storeAll = () => Promise.reject(new Error('disk I/O error'));
    await expect(submit({ requestId: 'req-1', actual: 2 })).rejects.toThrow('disk I/O error');
  });

  it('judges each item of a list on its own and in order, with its status and item-prefixed fields', async () => {
    const answer = await batch([
      { requestId: 'req-1', row: 0, actual: 1 },
      { requestId: 'req-1', row: 0, actual: 1 },
      { requestId: 'req-1', row: 0, actual: 7 },
      { requestId: 'iris-1', actual: 'b' },
      { requestId: 'iris-1', actual: 2 },
      { requestId: 'req-1', row: 5, actual: 1 },
      { requestId: 'gone', actual: 1 },
      { requestId: 'req-1', actual: 1, extra: true },
      42,
    ]);
    expect(answer.results.map((r) => r.status)).toEqual([201, 200, 409, 201, 400, 422, 404, 400, 400]);
    expect(answer).toMatchObject({ accepted: 2, duplicates: 1, rejected: 6 });
    expect(answer.results[3]).toMatchObject({
      index: 3,
      model: 'iris',
      outcomes: [{ correct: false, predicted: 'a' }],
    });
    expect(answer.results[4].errors).toEqual([
      expect.objectContaining({ field: 'items.4.actual', rule: 'isClassLabel' }),
    ]);
    expect(answer.results[5].errors).toEqual([expect.objectContaining({ field: 'items.5.row' })]);
    expect(answer.results[7]).toMatchObject({
      code: 'REQUEST.VALIDATION_FAILED',
      errors: [{ field: 'items.7.extra' }],
    });
    expect(answer.results[8].errors).toEqual([expect.objectContaining({ field: 'items.8', rule: 'isObject' })]);
    expect(tables.stores).toBe(1);
    expect(tables.feedback.map((f) => [f.requestId, f.rowIndex])).toEqual([
      ['req-1', 0],
      ['iris-1', 0],
    ]);
    expect([
      counted('accepted'),
      counted('duplicate'),
      counted('conflict'),
      counted('unknown'),
      counted('invalid'),
    ]).toEqual([2, 1, 1, 1, 4]);
    expect(events.emit.mock.calls).toEqual([
      ['feedback.accepted', { model: 'housing', rows: 1 }],
      ['feedback.accepted', { model: 'iris', rows: 1 }],
    ]);
  });

  it('stores a list item by item when a concurrent request stored one of its rows', async () => {
    tables.concurrently = () =>
      tables.add({
        feedback: {
          logId: 1,
          requestId: 'req-1',
          rowIndex: 1,
          actualValue: 5,
          actualLabel: null,
          receivedAt: new Date(),
        },
        outcomes: [],
      });
    const answer = await batch([
      { requestId: 'req-1', row: 0, actual: 1 },
      { requestId: 'req-1', row: 1, actual: 5 },
    ]);
    expect(answer.results.map((r) => r.status)).toEqual([201, 200]);
    expect(tables.stores).toBe(3); // the list's transaction, then one per item
    expect(tables.feedback.map((f) => [f.rowIndex, f.actualValue])).toEqual([
      [1, 5],
      [0, 1],
    ]);
  });

  it('refuses more items than FEEDBACK_MAX_ITEMS (413) and counts them as invalid', async () => {
    const items = Array.from({ length: 11 }, () => ({ requestId: 'req-1', actual: 1 }));
    await expect(submit({ items })).rejects.toBeInstanceOf(FeedbackTooManyItemsError);
    expect(counted('invalid')).toBe(11);
    expect(tables.stores).toBe(0);
  });
});
