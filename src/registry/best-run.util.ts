import type { GateMetric } from '../definitions/model-definition';
import { GATE_METRICS } from '../training/candidates';
import type { RunEntity } from '../training/entities/run.entity';
import { RunNotRegistrableError } from './registry.errors';

/** Relative difference of the primary metric under which two runs count as equally good. */
const TIE_TOLERANCE = 0.005;

/**
 * The best run by the definition's gate metric; among runs within TIE_TOLERANCE of it, the one that predicts fastest
 * (a 0.05% better RMSE is not worth serving a forest four times slower and thirty times larger).
 */
export function bestRun(gate: GateMetric, all: readonly RunEntity[]): RunEntity {
  const { runMetric: metric, higherIsBetter } = GATE_METRICS[gate];
  const score = (run: RunEntity) => Number(run.metrics?.[metric]);
  // A run whose score is not a number (NaN features, say) is never the best.
  const runs = all.filter((run) => Number.isFinite(score(run)));
  if (runs.length === 0) {
    throw new RunNotRegistrableError(`None of the ${all.length} runs has a finite holdout ${metric}`);
  }
  const top = runs.reduce((a, b) => ((higherIsBetter ? score(b) > score(a) : score(b) < score(a)) ? b : a));
  const close = runs.filter((run) => Math.abs(score(run) - score(top)) <= TIE_TOLERANCE * Math.abs(score(top)));
  return close.reduce((a, b) => ((b.predictMicrosPerRow ?? Infinity) < (a.predictMicrosPerRow ?? Infinity) ? b : a));
}
