import { PredictionLogRepository, NewPrediction } from '../src/prediction/prediction-log.repository';
import { PredictionLogService } from '../src/prediction/prediction-log.service';
import { createTestApp, TestApp } from './support/test-app';

const entry = (createdAt: Date, requestId: string): NewPrediction => ({
  createdAt,
  modelName: 'iris',
  modelVersion: 1,
  requestId,
  rowCount: 1,
  inputsJson: '{"fields":["sepal_length"],"rows":[[5.1]]}',
  outputsJson: '["setosa"]',
  latencyMs: 0.1,
  predictionId: null,
  policyId: 0,
  policy: 'champion',
  shadow: false,
  clientAddress: '127.0.0.1',
});

describe('prediction-log retention (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ PREDICTION_LOG_RETENTION_DAYS: '7', PREDICTION_LOG_MAX_ROWS: '12000' });
  }, 60_000);
  afterAll(() => t.close());

  const count = async () => (await t.dataSource.query<{ n: number }[]>('SELECT count(*) AS n FROM predictions'))[0].n;
  const ids = async () =>
    (await t.dataSource.query<{ request_id: string }[]>('SELECT request_id FROM predictions ORDER BY id')).map(
      (r) => r.request_id,
    );

  it('deletes entries older than PREDICTION_LOG_RETENTION_DAYS, and the oldest beyond PREDICTION_LOG_MAX_ROWS', async () => {
    const repository = t.app.get(PredictionLogRepository);
    const now = new Date('2026-11-23T12:00:00Z');
    const day = 86_400_000;
    await repository.insert([
      entry(new Date(now.getTime() - 30 * day), 'a-month-old'),
      entry(new Date(now.getTime() - 8 * day), 'eight-days-old'),
      entry(new Date(now.getTime() - 6 * day), 'six-days-old'),
      entry(new Date(now.getTime() - 1000), 'a-second-old'),
    ]);
    const service = t.app.get(PredictionLogService);
    expect(await service.prune(now)).toBe(2);
    expect(await ids()).toEqual(['six-days-old', 'a-second-old']);
    expect(await service.prune(now)).toBe(0);

    // 15,000 recent entries: the oldest beyond 12,000 go, in batches.
    await repository.insert(
      Array.from({ length: 15_000 }, (_, i) => entry(new Date(now.getTime() - 500), `recent-${i}`)),
    );
    expect(await service.prune(now)).toBe(15_002 - 12_000);
    expect(await count()).toBe(12_000);
    const kept = await ids();
    expect(kept[0]).toBe('recent-3000');
    expect(kept[kept.length - 1]).toBe('recent-14999');
  });
});
