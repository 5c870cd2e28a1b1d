/**
 * Which stored artifacts artifact retention keeps and which it deletes: a pure function of the registry's state
 * (versions, aliases, the champion's alias history, traffic policies, retraining jobs not finished) and the time.
 */

const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** Newest registered versions kept per model; 0 = every version. */
  keepVersions: number;
  /** Days back in which a version that was champion at any moment is kept; 0 = every version ever champion. */
  championDays: number;
  /** Days after which the artifact of a run never registered is deleted; 0 = never. */
  unregisteredDays: number;
}

/** A run whose artifact is stored (written, not pruned). */
export interface RetentionRun {
  id: string;
  model: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface RetentionVersion {
  model: string;
  version: number;
  runId: string;
}

export interface RetentionAlias {
  model: string;
  alias: string;
  version: number;
}

/** A move of a model's champion alias (the audit trail), oldest first. */
export interface ChampionMove {
  model: string;
  fromVersion: number | null;
  toVersion: number | null;
  at: Date;
}

/** The versions a model's traffic policy routes to or shadows with. */
export interface RetentionPolicy {
  model: string;
  versions: number[];
}

/** A queued or running retraining job: its runs (recorded or still training) and the versions it names. */
export interface RetentionJob {
  model: string;
  startedAt: Date;
  runIds: string[];
  versions: number[];
}

export interface RetentionState {
  runs: RetentionRun[];
  versions: RetentionVersion[];
  aliases: RetentionAlias[];
  championMoves: ChampionMove[];
  policies: RetentionPolicy[];
  jobs: RetentionJob[];
}

/**
 * Why an artifact is kept: `alias:<name>` (an alias points at its version), `champion_within_window` (its version was
 * champion at some moment within ARTIFACT_RETENTION_CHAMPION_DAYS, or ever with 0), `latest_versions` (among the
 * newest ARTIFACT_RETENTION_KEEP_VERSIONS, or every version with 0), `traffic_policy`, `retraining_job` (a job not
 * finished trained it or names its version), `in_progress` (the run has not finished), `recent_unregistered` (a run
 * never registered, younger than ARTIFACT_RETENTION_UNREGISTERED_DAYS, or kept forever with 0).
 */
export type KeepReason =
  | `alias:${string}`
  | 'champion_within_window'
  | 'latest_versions'
  | 'traffic_policy'
  | 'retraining_job'
  | 'in_progress'
  | 'recent_unregistered';

/** Why an artifact is deleted: its version is none of the kept ones, or its run was never registered and is old. */
export type PruneReason = 'old_version' | 'unregistered_expired';

export interface RetentionDecision {
  runId: string;
  model: string;
  /** The version the run was registered as (null: never registered). */
  version: number | null;
  keep: boolean;
  /** Every reason to keep it (empty when it is deleted). */
  reasons: KeepReason[];
  /** Why it is deleted (null when it is kept). */
  pruneReason: PruneReason | null;
}

export interface RetentionPlan {
  keep: RetentionDecision[];
  prune: RetentionDecision[];
}

/** One decision per run of `state.runs`, split into kept and deleted, each ordered by model then version/run age. */
export function planRetention(state: RetentionState, settings: RetentionSettings, now: Date): RetentionPlan {
  const versionOf = new Map(state.versions.map((v) => [v.runId, v]));
  const latest = latestVersions(state.versions, settings.keepVersions);
  const champions = championsWithin(state.championMoves, settings.championDays, now);
  const aliases = group(state.aliases, (a) => `${a.model}#${a.version}`);
  const policyVersions = new Set(state.policies.flatMap((p) => p.versions.map((v) => `${p.model}#${v}`)));
  const unregisteredSince = now.getTime() - settings.unregisteredDays * DAY_MS;

  const decisions = state.runs.map((run): RetentionDecision => {
    const registered = versionOf.get(run.id);
    const key = registered ? `${run.model}#${registered.version}` : undefined;
    const reasons: KeepReason[] = [];
    if (key) for (const alias of aliases.get(key) ?? []) reasons.push(`alias:${alias.alias}`);
    if (key && champions.has(key)) reasons.push('champion_within_window');
    if (key && latest.has(key)) reasons.push('latest_versions');
    if (key && policyVersions.has(key)) reasons.push('traffic_policy');
    if (state.jobs.some((job) => jobReferences(job, run, registered?.version))) reasons.push('retraining_job');
    if (run.status === 'running') reasons.push('in_progress');
    if (!registered && (settings.unregisteredDays === 0 || ageOf(run) > unregisteredSince)) {
      reasons.push('recent_unregistered');
    }
    const keep = reasons.length > 0;
    return {
      runId: run.id,
      model: run.model,
      version: registered?.version ?? null,
      keep,
      reasons,
      pruneReason: keep ? null : registered ? 'old_version' : 'unregistered_expired',
    };
  });
  const ordered = decisions.sort(byModelThenNewest(new Map(state.runs.map((r) => [r.id, r]))));
  return { keep: ordered.filter((d) => d.keep), prune: ordered.filter((d) => !d.keep) };
}

/**
 * `model#version` of every version that was a model's champion at some moment in the last `days` days: the one in
 * place when the window opened and every one moved to or from within it. With 0 days, every version ever champion.
 */
export function championsWithin(moves: readonly ChampionMove[], days: number, now: Date): Set<string> {
  const opened = now.getTime() - days * DAY_MS;
  const atOpening = new Map<string, number | null>();
  const within = new Set<string>();
  for (const move of moves) {
    if (days > 0 && move.at.getTime() <= opened) {
      atOpening.set(move.model, move.toVersion);
      continue;
    }
    for (const version of [move.fromVersion, move.toVersion])
      if (version !== null) within.add(`${move.model}#${version}`);
  }
  for (const [model, version] of atOpening) if (version !== null) within.add(`${model}#${version}`);
  return within;
}

/** `model#version` of the newest `keep` versions of each model (every version with 0). */
function latestVersions(versions: readonly RetentionVersion[], keep: number): Set<string> {
  const latest = new Set<string>();
  for (const [, list] of group(versions, (v) => v.model)) {
    const newest = [...list].sort((a, b) => b.version - a.version);
    for (const v of keep === 0 ? newest : newest.slice(0, keep)) latest.add(`${v.model}#${v.version}`);
  }
  return latest;
}

/** A job not finished protects its model's runs started since it was queued, its runs and the versions it names. */
export function jobReferences(
  job: RetentionJob,
  run: Pick<RetentionRun, 'id' | 'model' | 'startedAt'>,
  version: number | undefined,
): boolean {
  if (job.model !== run.model) return false;
  if (job.runIds.includes(run.id) || run.startedAt.getTime() >= job.startedAt.getTime()) return true;
  return version !== undefined && job.versions.includes(version);
}

/** When a run stopped changing: its end, or its start while it has none. */
const ageOf = (run: RetentionRun): number => (run.finishedAt ?? run.startedAt).getTime();

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list) list.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** By model name, then versions newest first, then runs never registered newest first. */
function byModelThenNewest(runs: ReadonlyMap<string, RetentionRun>) {
  return (a: RetentionDecision, b: RetentionDecision): number => {
    if (a.model !== b.model) return a.model < b.model ? -1 : 1;
    if (a.version !== null || b.version !== null) return (b.version ?? 0) - (a.version ?? 0);
    return runs.get(b.runId)!.startedAt.getTime() - runs.get(a.runId)!.startedAt.getTime();
  };
}
