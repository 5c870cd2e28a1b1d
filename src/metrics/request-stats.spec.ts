import { RequestStats } from './request-stats';

describe('RequestStats', () => {
  let now = 1_000_000_000;
  const stats = () => new RequestStats(() => now);

  beforeEach(() => (now = 1_700_000_000_000));

  it('counts requests, errors and per-version predictions inside the window only', () => {
    const s = stats();
    s.recordRequest(200, 2);
    s.recordRequest(400, 1);
    s.recordPrediction('housing', 1, 100, 3);
    now += 5_000;
    s.recordRequest(200, 4);
    s.recordRequest(503, 4);
    s.recordPrediction('housing', 2, 1, 1);
    s.recordPrediction('housing', 2, 1, 1);

    const last3 = s.summary(3);
    expect(last3.requests).toMatchObject({ total: 2, clientErrors: 0, serverErrors: 1, errorRate: 0.5 });
    expect(last3.versions).toEqual([expect.objectContaining({ model: 'housing', version: 2, requests: 2, rows: 2 })]);

    const last10 = s.summary(10);
    expect(last10.requests).toMatchObject({
      total: 4,
      clientErrors: 1,
      serverErrors: 1,
      errorRate: 0.5,
      perSecond: 0.4,
    });
    expect(last10.versions.map((v) => [v.version, v.requests, v.rows])).toEqual([
      [1, 1, 100],
      [2, 2, 2],
    ]);
  });

  it('forgets seconds older than the retention even when their slot is reused', () => {
    const s = stats();
    s.recordRequest(200, 1);
    now += 3600_000; // the same ring slot, an hour later
    expect(s.summary(3600).requests.total).toBe(0);
    s.recordRequest(200, 1);
    expect(s.summary(60).requests.total).toBe(1);
  });

  it('estimates latency percentiles within a bucket width (25 %)', () => {
    const s = stats();
    for (let i = 1; i <= 1000; i++) s.recordRequest(200, i / 10); // 0.1 … 100 ms, uniform
    const { p50, p90, p99 } = s.summary(60).requests.latencyMs;
    expect(p50).toBeGreaterThan(50 / 1.25);
    expect(p50).toBeLessThan(50 * 1.25);
    expect(p90).toBeGreaterThan(90 / 1.25);
    expect(p90).toBeLessThan(90 * 1.25);
    expect(p99).toBeGreaterThan(99 / 1.25);
    expect(p99).toBeLessThan(99 * 1.25);
    expect(stats().summary(60).requests.latencyMs).toEqual({ p50: null, p90: null, p99: null });
  });
});
