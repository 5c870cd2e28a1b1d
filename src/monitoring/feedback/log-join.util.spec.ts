import type { LogEntry } from './feedback.repository';
import { byRequest, joinOf, latestByPredictionId } from './log-join.util';

const entry = (id: number, values: Partial<LogEntry> = {}): LogEntry => ({
  id,
  createdAt: new Date(0),
  modelName: 'm',
  modelVersion: 1,
  requestId: 'r',
  predictionId: null,
  policyId: 0,
  policy: 'champion',
  shadow: false,
  rowCount: 1,
  outputs: [1],
  ...values,
});

describe('log-join.util', () => {
  it('joins the latest primary entry of a request with the shadows logged after it', () => {
    const first = entry(1);
    const firstShadow = entry(2, { shadow: true, modelVersion: 2 });
    const latest = entry(3);
    const latestShadows = [entry(4, { shadow: true, modelVersion: 2 }), entry(6, { shadow: true, modelVersion: 3 })];
    const join = joinOf([latestShadows[1], first, latest, firstShadow, latestShadows[0]]);
    expect(join).toEqual({ primary: latest, shadows: latestShadows });
  });

  it('joins a named primary entry with its own shadows only (those before the next primary entry)', () => {
    const entries = [entry(1), entry(2, { shadow: true }), entry(3), entry(4, { shadow: true })];
    expect(joinOf(entries, entries[0])).toEqual({ primary: entries[0], shadows: [entries[1]] });
  });

  it('finds no join without a primary entry', () => {
    expect(joinOf([])).toBeUndefined();
    expect(joinOf([entry(1, { shadow: true })])).toBeUndefined();
  });

  it('groups entries by request and keeps the latest primary entry per prediction id', () => {
    const a = entry(1, { requestId: 'a', predictionId: 'p' });
    const b = entry(2, { requestId: 'b', predictionId: 'p' });
    const shadow = entry(3, { requestId: 'b', predictionId: 'p', shadow: true });
    expect([...byRequest([a, b, shadow]).entries()]).toEqual([
      ['a', [a]],
      ['b', [b, shadow]],
    ]);
    expect([...latestByPredictionId([b, a, shadow, entry(4)]).entries()]).toEqual([['p', b]]);
  });
});
