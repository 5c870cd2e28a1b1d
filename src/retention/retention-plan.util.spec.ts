import {
  ChampionMove,
  championsWithin,
  planRetention,
  RetentionDecision,
  RetentionSettings,
  RetentionState,
} from './retention-plan.util';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * 86_400_000);
const SETTINGS: RetentionSettings = { keepVersions: 2, championDays: 30, unregisteredDays: 7 };

/**
 * Model `m` with versions 1…n, each from run `r<version>` finished `n - version + 1` days before NOW (version n is
 * a day old), and no alias, policy or job unless `parts` adds them.
 */
function registry(n: number, parts: Partial<RetentionState> = {}): RetentionState {
  const versions = Array.from({ length: n }, (_, i) => ({ model: 'm', version: i + 1, runId: `r${i + 1}` }));
  return {
    runs: versions.map((v) => ({
      id: v.runId,
      model: 'm',
      status: 'succeeded',
      startedAt: daysAgo(n - v.version + 1.1),
      finishedAt: daysAgo(n - v.version + 1),
    })),
    versions,
    aliases: [],
    championMoves: [],
    policies: [],
    jobs: [],
    ...parts,
  };
}

const versionsOf = (decisions: RetentionDecision[]): (number | null)[] => decisions.map((d) => d.version);
const reasonsOf = (decisions: RetentionDecision[], version: number) =>
  decisions.find((d) => d.version === version)?.reasons;
const move = (fromVersion: number | null, toVersion: number | null, at: Date, model = 'm'): ChampionMove => ({
  model,
  fromVersion,
  toVersion,
  at,
});

describe(planRetention.name, () => {
  it('keeps the newest ARTIFACT_RETENTION_KEEP_VERSIONS versions and deletes the older ones', () => {
    const plan = planRetention(registry(5), SETTINGS, NOW);
    expect(versionsOf(plan.keep)).toEqual([5, 4]);
    expect(versionsOf(plan.prune)).toEqual([3, 2, 1]);
    expect(plan.prune.every((d) => d.pruneReason === 'old_version' && d.reasons.length === 0)).toBe(true);
    expect(reasonsOf(plan.keep, 5)).toEqual(['latest_versions']);
  });

  it('keeps every version with ARTIFACT_RETENTION_KEEP_VERSIONS=0', () => {
    const plan = planRetention(registry(5), { ...SETTINGS, keepVersions: 0 }, NOW);
    expect(versionsOf(plan.keep)).toEqual([5, 4, 3, 2, 1]);
    expect(plan.prune).toEqual([]);
  });

  it('keeps the version of every alias (champion, challenger), however old', () => {
    const state = registry(6, {
      aliases: [
        { model: 'm', alias: 'champion', version: 1 },
        { model: 'm', alias: 'challenger', version: 2 },
      ],
    });
    const plan = planRetention(state, SETTINGS, NOW);
    expect(versionsOf(plan.keep)).toEqual([6, 5, 2, 1]);
    expect(reasonsOf(plan.keep, 1)).toEqual(['alias:champion']);
    expect(reasonsOf(plan.keep, 2)).toEqual(['alias:challenger']);
  });

  it('keeps the versions that were champion at any moment of the window, not those champion only before it', () => {
    // 1 (60 days ago) → 2 (40 days ago) → 3 (10 days ago) → 4 (yesterday); 30 days: 2 was champion when the window
    // opened, 3 and 4 within it; 1 only before.
    const moves = [
      move(null, 1, daysAgo(60)),
      move(1, 2, daysAgo(40)),
      move(2, 3, daysAgo(10)),
      move(3, 4, daysAgo(1)),
    ];
    const state = registry(8, { championMoves: moves, aliases: [{ model: 'm', alias: 'champion', version: 4 }] });
    const plan = planRetention(state, SETTINGS, NOW);
    expect(versionsOf(plan.keep)).toEqual([8, 7, 4, 3, 2]);
    expect(versionsOf(plan.prune)).toEqual([6, 5, 1]);
    expect(reasonsOf(plan.keep, 2)).toEqual(['champion_within_window']);
    expect(reasonsOf(plan.keep, 4)).toEqual(['alias:champion', 'champion_within_window']);
  });

  it('keeps every version that was ever champion with ARTIFACT_RETENTION_CHAMPION_DAYS=0', () => {
    const moves = [move(null, 1, daysAgo(600)), move(1, 2, daysAgo(400)), move(2, 3, daysAgo(10))];
    const plan = planRetention(registry(6, { championMoves: moves }), { ...SETTINGS, championDays: 0 }, NOW);
    expect(versionsOf(plan.keep)).toEqual([6, 5, 3, 2, 1]);
  });

  it('reads the window of each model from its own moves (a retirement leaves no champion at the opening)', () => {
    const moves = [move(null, 1, daysAgo(90), 'other'), move(null, 1, daysAgo(90)), move(1, null, daysAgo(50))];
    expect([...championsWithin(moves, 30, NOW)]).toEqual(['other#1']);
    expect([...championsWithin(moves, 0, NOW)].sort()).toEqual(['m#1', 'other#1']);
  });

  it('keeps the versions a traffic policy routes to or shadows with', () => {
    const plan = planRetention(registry(6, { policies: [{ model: 'm', versions: [1, 3] }] }), SETTINGS, NOW);
    expect(versionsOf(plan.keep)).toEqual([6, 5, 3, 1]);
    expect(reasonsOf(plan.keep, 3)).toEqual(['traffic_policy']);
  });

  it('keeps what a queued or running retraining job references: its runs, its versions, runs since it started', () => {
    const state = registry(8, {
      jobs: [{ model: 'm', startedAt: daysAgo(0.5), runIds: ['r1'], versions: [2] }],
      runs: [
        ...registry(8).runs,
        // A run of the job still training (no artifact recorded yet), and one of another model.
        { id: 'in-flight', model: 'm', status: 'running', startedAt: daysAgo(0.1), finishedAt: null },
        { id: 'elsewhere', model: 'x', status: 'succeeded', startedAt: daysAgo(30), finishedAt: daysAgo(30) },
      ],
    });
    const plan = planRetention(state, SETTINGS, NOW);
    expect(versionsOf(plan.keep)).toEqual([8, 7, 2, 1, null]);
    expect(reasonsOf(plan.keep, 1)).toEqual(['retraining_job']);
    expect(reasonsOf(plan.keep, 2)).toEqual(['retraining_job']);
    expect(plan.keep.find((d) => d.runId === 'in-flight')?.reasons).toEqual([
      'retraining_job',
      'in_progress',
      'recent_unregistered',
    ]);
    // Versions 3…6 were trained before the job was queued: not its own.
    expect(versionsOf(plan.prune)).toEqual([6, 5, 4, 3, null]);
    expect(plan.prune.find((d) => d.runId === 'elsewhere')).toMatchObject({ pruneReason: 'unregistered_expired' });
  });

  it('deletes the artifacts of runs never registered once older than ARTIFACT_RETENTION_UNREGISTERED_DAYS', () => {
    const unregistered = (id: string, days: number) => ({
      id,
      model: 'm',
      status: 'succeeded',
      startedAt: daysAgo(days + 0.01),
      finishedAt: daysAgo(days),
    });
    const state = registry(1, {
      runs: [...registry(1).runs, unregistered('old', 8), unregistered('young', 6), unregistered('just-over', 7.001)],
    });
    const plan = planRetention(state, SETTINGS, NOW);
    expect(plan.prune.map((d) => [d.runId, d.version, d.pruneReason])).toEqual([
      ['just-over', null, 'unregistered_expired'],
      ['old', null, 'unregistered_expired'],
    ]);
    expect(plan.keep.map((d) => [d.runId, d.reasons])).toEqual([
      ['r1', ['latest_versions']],
      ['young', ['recent_unregistered']],
    ]);
    // 0: kept forever.
    expect(planRetention(state, { ...SETTINGS, unregisteredDays: 0 }, NOW).prune).toEqual([]);
  });

  it('measures the age of a run never registered from its end (a long training is not judged by its start)', () => {
    const state = registry(0, {
      runs: [{ id: 'long', model: 'm', status: 'failed', startedAt: daysAgo(30), finishedAt: daysAgo(1) }],
    });
    expect(planRetention(state, SETTINGS, NOW).keep.map((d) => d.runId)).toEqual(['long']);
  });

  it('decides per model: one model’s versions do not count against another’s', () => {
    const other = registry(3);
    const state: RetentionState = {
      ...registry(3),
      runs: [...registry(3).runs, ...other.runs.map((r) => ({ ...r, id: `o${r.id}`, model: 'o' }))],
      versions: [...registry(3).versions, ...other.versions.map((v) => ({ ...v, model: 'o', runId: `o${v.runId}` }))],
    };
    const plan = planRetention(state, SETTINGS, NOW);
    expect(plan.keep.map((d) => `${d.model}${d.version}`)).toEqual(['m3', 'm2', 'o3', 'o2']);
    expect(plan.prune.map((d) => `${d.model}${d.version}`)).toEqual(['m1', 'o1']);
  });
});
