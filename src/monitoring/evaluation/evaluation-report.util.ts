import type { EvaluationSettings, MlTask } from '../../definitions/model-definition';
import type { TrafficPolicyView } from '../../registry/traffic/traffic.service';
import type { ArmReportDto, ComparisonDto, DegradationReportDto, ExperimentReportDto } from './dto/evaluation.dto';
import type { ClusteredSums, LossSums, PairedSums } from './evaluation.repository';
import { clusteredMoments, compareLosses, Moments } from './online-stats.util';

const DAY_MS = 86_400_000;

/** The metric reported for a task's per-row losses: RMSE from squared errors, mean log loss. */
export const metricOf = (task: MlTask): 'rmse' | 'log_loss' => (task === 'regression' ? 'rmse' : 'log_loss');

/** An arm's figures from its sums: n, the metric, the mean loss and (classification) the accuracy. */
function figures(task: MlTask, sums: LossSums): Pick<ArmReportDto, 'n' | 'metric' | 'value' | 'meanLoss' | 'accuracy'> {
  const meanLoss = sums.n > 0 ? sums.sum / sums.n : null;
  const value = meanLoss === null ? null : task === 'regression' ? Math.sqrt(meanLoss) : meanLoss;
  const base = { n: sums.n, metric: metricOf(task), value, meanLoss };
  return task === 'classification' ? { ...base, accuracy: sums.n > 0 ? sums.correct / sums.n : null } : base;
}

const EMPTY: ClusteredSums = { n: 0, sum: 0, correct: 0, units: 0, unitSquares: 0, unitSizes: 0, unitCross: 0 };
/** An arm's rows, when only their number matters (a paired comparison rests on the differences). */
const rowsOnly = (n: number): Moments => ({ n, mean: NaN, variance: NaN });

export interface ExperimentInput {
  policy: TrafficPolicyView;
  task: MlTask;
  settings: EvaluationSettings;
  /** canary / ab: each version's answers under the policy. */
  arms: ReadonlyMap<number, ClusteredSums>;
  /** shadow: each shadow version against the champion on the same rows. */
  paired: readonly PairedSums[];
  now: Date;
}

/**
 * Where a model's experiment stands: every challenger against the champion (canary / ab: the champion's arm) on
 * mean per-row loss, with the always-valid sequence at the configured confidence split over the challengers
 * (Bonferroni), and what the rule does about it: promote the best challenger that is better (auto_promote, each arm
 * at min_samples), end the experiment when every challenger is worse (auto_promote) or when max_days have passed
 * since the policy was set, or nothing yet. A canary / ab split without the champion among its arms compares
 * nothing (state `no_champion_arm`): promoting an arm never compared with the champion, or ending the experiment
 * on a comparison with another arm, would not be decisions on evidence. It is reported, and ends at max_days only.
 */
export function experimentReport(input: ExperimentInput): ExperimentReportDto {
  const { policy, task, settings, now } = input;
  const since = policy.since ? new Date(policy.since) : null;
  const deadline = since ? new Date(since.getTime() + settings.maxDays * DAY_MS) : null;
  const base = {
    model: policy.model,
    policyId: policy.policyId,
    mode: policy.mode,
    since: policy.since,
    champion: policy.champion,
    paired: policy.mode === 'shadow',
  };
  const arms: ArmReportDto[] = [];
  const comparisons: (ComparisonDto & { difference: number })[] = [];
  const championArm = policy.arms.some((a) => a.version === policy.champion);
  const split = policy.mode === 'canary' || policy.mode === 'ab';
  const challengers = policy.mode === 'shadow' ? policy.shadow.length : Math.max(0, policy.arms.length - 1);
  const confidence = 1 - (1 - settings.confidence) / Math.max(1, challengers);
  const rule = { confidence: settings.confidence, minSamples: settings.minSamples };
  if (policy.mode === 'shadow' && policy.champion !== null) {
    arms.push({
      version: policy.champion,
      role: 'champion',
      weight: null,
      ...figures(task, input.arms.get(policy.champion) ?? EMPTY),
    });
    for (const version of policy.shadow) {
      const pairs = input.paired.find((p) => p.version === version);
      arms.push({ version, role: 'challenger', weight: null, ...figures(task, pairs?.challenger ?? EMPTY) });
      const comparison = compareLosses(
        {
          champion: rowsOnly(pairs?.champion.n ?? 0),
          challenger: rowsOnly(pairs?.challenger.n ?? 0),
          differences: clusteredMoments(pairs?.differences ?? EMPTY),
        },
        { ...rule, confidence },
      );
      comparisons.push({ version, n: pairs?.differences.n ?? 0, ...comparison });
    }
  } else if (split) {
    const sums = (version: number) => input.arms.get(version) ?? EMPTY;
    for (const arm of policy.arms) {
      const role = arm.version === policy.champion ? 'champion' : 'challenger';
      arms.push({ version: arm.version, role, weight: arm.weight, ...figures(task, sums(arm.version)) });
      if (role === 'champion' || !championArm || policy.champion === null) continue;
      const [champion, challenger] = [sums(policy.champion), sums(arm.version)];
      const comparison = compareLosses(
        { champion: clusteredMoments(champion), challenger: clusteredMoments(challenger) },
        { ...rule, confidence },
      );
      comparisons.push({ version: arm.version, n: Math.min(champion.n, challenger.n), ...comparison });
    }
  }
  const better = comparisons
    .filter((c) => c.verdict === 'challenger_better')
    .sort((a, b) => a.difference - b.difference);
  const winner = better[0]?.version ?? null;
  const worse = comparisons.length > 0 && comparisons.every((c) => c.verdict === 'champion_better');
  const noChampionArm = split && !championArm && policy.arms.length > 0;
  const running = comparisons.length > 0 || noChampionArm;
  const late = deadline !== null && now >= deadline && running;
  const state = noChampionArm
    ? 'no_champion_arm'
    : comparisons.length === 0
      ? 'no_experiment'
      : winner !== null
        ? 'challenger_better'
        : worse
          ? 'champion_better'
          : late
            ? 'deadline'
            : comparisons.some((c) => c.verdict === 'collecting')
              ? 'collecting'
              : 'inconclusive';
  const action =
    settings.autoPromote && winner !== null
      ? 'promote'
      : (settings.autoPromote && worse) || late
        ? 'end_experiment'
        : 'none';
  return {
    ...base,
    arms,
    comparisons: comparisons.map(({ version, n, sequence, fixed, verdict }) => ({
      version,
      n,
      sequence,
      fixed,
      verdict,
    })),
    rule: {
      autoPromote: settings.autoPromote,
      confidence: settings.confidence,
      comparisonConfidence: confidence,
      minSamples: settings.minSamples,
      maxDays: settings.maxDays,
      deadline: running && deadline ? deadline.toISOString() : null,
    },
    state,
    action,
    winner: action === 'promote' ? winner : null,
  };
}

/**
 * The champion's live error over the window against its holdout error: degraded when, over at least min_samples
 * rows, live > holdout × (1 + margin) (RMSE for regression, mean log loss for classification).
 */
export function degradationReport(input: {
  task: MlTask;
  settings: EvaluationSettings['degradation'];
  version: number | null;
  holdoutMetrics: Record<string, unknown> | null;
  live: LossSums;
}): DegradationReportDto {
  const { task, settings, version, holdoutMetrics, live } = input;
  const { margin, minSamples, windowHours, action } = settings;
  const own = holdoutMetrics?.[task === 'regression' ? 'rmse' : 'logLoss'];
  const holdout = typeof own === 'number' && Number.isFinite(own) ? own : null;
  const { n, value, accuracy } = figures(task, live);
  const threshold = holdout === null ? null : holdout * (1 + margin);
  const state =
    version === null
      ? 'no_champion'
      : threshold === null
        ? 'no_holdout'
        : n < minSamples || value === null
          ? 'collecting'
          : value > threshold
            ? 'degraded'
            : 'ok';
  const report = {
    version,
    metric: metricOf(task),
    n,
    live: value,
    holdout,
    threshold,
    margin,
    minSamples,
    windowHours,
  };
  return { ...report, ...(accuracy === undefined ? {} : { accuracy }), action, state };
}
