import { EVALUATION_DEFAULTS } from '../../definitions/definition-document.evaluation';
import type { TrafficPolicyView } from '../../registry/traffic/traffic.service';
import { experimentReport, ExperimentInput } from './evaluation-report.util';
import type { ClusteredSums } from './evaluation.repository';

const DAY_MS = 86_400_000;
const NOW = new Date('2026-12-15T12:00:00Z');

/** Sums of `n` independent rows with losses around `level` (each row its own unit). */
function rows(n: number, level: number): ClusteredSums {
  const losses = Array.from({ length: n }, (_, i) => level * (0.5 + (i % 10) / 9));
  const sum = losses.reduce((a, b) => a + b, 0);
  const squares = losses.reduce((a, b) => a + b * b, 0);
  return { n, sum, correct: 0, units: n, unitSquares: squares, unitSizes: n, unitCross: sum };
}

/** An A/B split of versions 1 (weight 80) and 2 (weight 20), set `daysAgo` days before NOW. */
const split = (champion: number | null, daysAgo = 1): TrafficPolicyView => ({
  model: 'toy',
  policyId: 7,
  mode: 'ab',
  arms: [
    { version: 1, weight: 80, share: 0.8 },
    { version: 2, weight: 20, share: 0.2 },
  ],
  shadow: [],
  stickyHeader: null,
  since: new Date(NOW.getTime() - daysAgo * DAY_MS).toISOString(),
  champion,
});

/** Version 2 clearly better than version 1, both well above min_samples. */
const report = (policy: TrafficPolicyView, autoPromote = true) => {
  const input: ExperimentInput = {
    policy,
    task: 'regression',
    settings: { ...EVALUATION_DEFAULTS, autoPromote },
    arms: new Map([
      [1, rows(400, 1)],
      [2, rows(400, 0.5)],
    ]),
    paired: [],
    now: NOW,
  };
  return experimentReport(input);
};

describe('experimentReport', () => {
  it('compares the challenger arms with the champion’s arm, and promotes the better one', () => {
    expect(report(split(1))).toMatchObject({
      state: 'challenger_better',
      action: 'promote',
      winner: 2,
      arms: [
        { version: 1, role: 'champion' },
        { version: 2, role: 'challenger' },
      ],
      comparisons: [{ version: 2, verdict: 'challenger_better' }],
    });
    // Version 1 worse than the champion 2: the experiment ends (auto_promote), or is only reported.
    expect(report(split(2))).toMatchObject({ state: 'champion_better', action: 'end_experiment', winner: null });
    expect(report(split(2), false)).toMatchObject({ state: 'champion_better', action: 'none' });
  });

  it('only reports a split without the champion among its arms: nothing compared, promoted or ended by comparison', () => {
    for (const champion of [3, null]) {
      const without = report(split(champion));
      expect(without).toMatchObject({
        state: 'no_champion_arm',
        action: 'none',
        winner: null,
        comparisons: [],
        arms: [
          { version: 1, role: 'challenger', n: 400 },
          { version: 2, role: 'challenger', n: 400 },
        ],
      });
      expect(without.rule.deadline).toBe(new Date(NOW.getTime() + 13 * DAY_MS).toISOString());
    }
  });

  it('ends a split without the champion among its arms at its max_days deadline, with or without auto_promote', () => {
    for (const autoPromote of [true, false]) {
      expect(report(split(3, 14), autoPromote)).toMatchObject({
        state: 'no_champion_arm',
        action: 'end_experiment',
        winner: null,
      });
    }
  });
});
