import { asInstance } from '../../../test/support/mock-repositories';
import type { PredictionLogService } from '../../prediction/prediction-log.service';
import type { FeedbackRepository, LogEntry } from './feedback.repository';
import { LogJoinService } from './log-join.service';

const entry = (id: number, values: Partial<LogEntry> = {}): LogEntry => ({
  id,
  createdAt: new Date(0),
  modelName: 'housing',
  modelVersion: 1,
  requestId: 'r1',
  predictionId: null,
  policyId: 0,
  policy: 'champion',
  shadow: false,
  rowCount: 1,
  outputs: [1],
  ...values,
});

describe(LogJoinService.name, () => {
  let written: LogEntry[];
  let queued: LogEntry[];
  let settle: jest.Mock;
  let sut: LogJoinService;

  beforeEach(() => {
    written = [];
    queued = [];
    // The log's queue: settling writes what this process still holds (shadow predictions included).
    settle = jest.fn(() => {
      written.push(...queued.splice(0));
      return Promise.resolve();
    });
    const repository: Pick<FeedbackRepository, 'entriesOfRequests' | 'primariesByPredictionId'> = {
      entriesOfRequests: (ids) => Promise.resolve(written.filter((e) => ids.includes(e.requestId))),
      primariesByPredictionId: (ids) =>
        Promise.resolve(written.filter((e) => !e.shadow && e.predictionId !== null && ids.includes(e.predictionId))),
    };
    sut = new LogJoinService(asInstance<FeedbackRepository>(repository), asInstance<PredictionLogService>({ settle }));
  });

  it('joins a written entry with its shadows, one still queued included', async () => {
    written.push(entry(1));
    queued.push(entry(2, { shadow: true }));
    const joins = await sut.joins([{ key: 'requestId', id: 'r1' }]);
    expect(joins.requestId.get('r1')).toEqual({ primary: written[0], shadows: [written[1]] });
  });

  it('writes the queue once before looking up every id', async () => {
    written.push(entry(1));
    queued.push(entry(2, { requestId: 'r2' }), entry(3, { requestId: 'r3', predictionId: 'p3' }));
    const joins = await sut.joins([
      { key: 'requestId', id: 'r1' },
      { key: 'requestId', id: 'r2' },
      { key: 'predictionId', id: 'p3' },
      { key: 'requestId', id: 'r9' },
    ]);
    expect(settle).toHaveBeenCalledTimes(1);
    expect([...joins.requestId.keys()].sort()).toEqual(['r1', 'r2']);
    expect(joins.predictionId.get('p3')?.primary.id).toBe(3);
    expect(joins.requestId.has('r9')).toBe(false);
  });

  it('joins a prediction id to the latest primary entry that named it, with that entry’s shadows', async () => {
    written.push(
      entry(1, { requestId: 'a', predictionId: 'order-1' }),
      entry(2, { requestId: 'b', predictionId: 'order-1' }),
      entry(3, { requestId: 'b', predictionId: 'order-1', shadow: true }),
      entry(4, { requestId: 'b' }),
      entry(5, { requestId: 'b', shadow: true }),
    );
    const join = (await sut.joins([{ key: 'predictionId', id: 'order-1' }])).predictionId.get('order-1');
    expect(join).toEqual({ primary: written[1], shadows: [written[2]] });
  });
});
