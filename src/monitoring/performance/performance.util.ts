import type { GateMetric, MlTask, ModelDefinition } from '../../definitions/model-definition';
import type { LiveFigures } from '../../metrics/service-metrics';
import { GATE_METRICS } from '../../training/candidates';
import type { LossSums } from './performance.repository';

/**
 * Live figures from the sums of a group of outcomes: RMSE = √(Σ squared errors / n), MAE = Σ |errors| / n
 * (regression); accuracy = correct / n and mean log loss (classification). Only the task's figures are given.
 */
export function figuresOf(task: MlTask, sums: LossSums): LiveFigures {
  const n = sums.samples;
  if (n === 0) return { samples: 0 };
  if (task === 'regression') return { samples: n, rmse: Math.sqrt(sums.squaredError / n), mae: sums.absoluteError / n };
  return { samples: n, accuracy: sums.correct / n, logLoss: sums.logLoss / n };
}

/** Adds up the sums of the rows that share a key (e.g. two policies of the same mode, for one gauge series). */
export function mergeSums<T extends LossSums>(rows: readonly T[], keyOf: (row: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const row of rows) {
    const key = keyOf(row);
    const held = merged.get(key);
    if (!held) {
      merged.set(key, { ...row });
      continue;
    }
    held.samples += row.samples;
    held.squaredError += row.squaredError;
    held.absoluteError += row.absoluteError;
    held.correct += row.correct;
    held.logLoss += row.logLoss;
  }
  return [...merged.values()];
}

/** The holdout metrics that have a live counterpart, per task. */
const LIVE_COUNTERPARTS: Record<MlTask, GateMetric[]> = {
  regression: ['rmse', 'mae'],
  classification: ['accuracy', 'log_loss'],
};

/**
 * The holdout metrics reported beside the live figures of a model: those with a live counterpart (rmse and mae, or
 * accuracy and log_loss) and the definition's gate metric, named as in definitions.
 */
export function holdoutMetricsOf(definition: Pick<ModelDefinition, 'task' | 'gate'>): GateMetric[] {
  return [...new Set([...LIVE_COUNTERPARTS[definition.task], definition.gate.metric])];
}

/** The scores a version's stored run metrics hold for `metrics` (a metric the run did not record is left out). */
export function holdoutScoresOf(
  stored: Record<string, unknown>,
  metrics: readonly GateMetric[],
): { metric: GateMetric; value: number }[] {
  return metrics.flatMap((metric) => {
    const value = stored[GATE_METRICS[metric].runMetric];
    return typeof value === 'number' && Number.isFinite(value) ? [{ metric, value }] : [];
  });
}
