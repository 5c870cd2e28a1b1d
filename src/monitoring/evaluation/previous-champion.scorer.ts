import { Injectable } from '@nestjs/common';
import type { MlTask } from '../../definitions/model-definition';
import type { LoggedInputs } from '../../prediction/prediction-log.codec';
import { ActiveModels } from '../../registry/active-models.service';
import type { AliasEventEntity } from '../../registry/entities/alias-event.entity';
import { ModelRegistryRepository } from '../../registry/model-registry.repository';
import type { Predictions, ServedModel } from '../../registry/served-model';
import { LOG_LOSS_EPSILON } from '../feedback/outcome.util';
import { FixedIntervalDto } from './dto/evaluation.dto';
import { EvaluationRepository, LossColumn, ScoredRow } from './evaluation.repository';
import { moments, momentsByUnit, pairedInterval } from './online-stats.util';

/** Rows of the window scored again with the previous champion at most (the latest ones). */
const RESCORED_ROWS = 5000;

/** The previous champion scored on the rows the degraded one answered in the window, against the same truth. */
export interface RollbackEvidence {
  previous: number | null;
  /** Rows both versions were scored on. */
  rows: number;
  /** The metric of each version on those rows (RMSE, or mean log loss). */
  current: number | null;
  previousValue: number | null;
  /** Paired-t interval of previous − current mean per-row loss (negative: the previous champion did better). */
  interval: FixedIntervalDto | null;
  confidence: number;
  better: boolean;
  /** Why there is no comparison (no previous champion, no logged rows). */
  note?: string;
}

/**
 * The version `rollback` would move `champion` back to: the champion before the current one in the alias history
 * (a rollback pops, a retirement clears it), as RegistryService.rollback reads it.
 */
export function previousChampion(history: readonly AliasEventEntity[]): number | undefined {
  const stack: number[] = [];
  for (const event of history) {
    if (event.alias !== 'champion') continue;
    if (event.action === 'retire') stack.length = 0;
    else if (event.toVersion === null) continue;
    else if (event.action === 'rollback') stack.pop();
    else stack.push(event.toVersion);
  }
  return stack.at(-2);
}

/** Row `index` of a logged request, as the object the versions' pipelines read. */
const rowOf = (inputs: LoggedInputs, index: number): Record<string, unknown> =>
  Object.fromEntries(inputs.fields.map((field, j) => [field, inputs.rows[index]?.[j] ?? null]));

/** The loss of prediction `i` against the row's truth: squared error, or clipped log loss (undefined: no truth). */
function lossOf(predictions: Predictions, i: number, row: ScoredRow, classes: readonly string[]): number | undefined {
  if (predictions.task === 'regression') {
    return row.actualValue === null ? undefined : (predictions.values[i] - row.actualValue) ** 2;
  }
  const k = row.actualLabel === null ? -1 : classes.indexOf(row.actualLabel);
  const p = k < 0 ? 0 : (predictions.probabilities[i][k] ?? 0);
  return row.actualLabel === null
    ? undefined
    : -Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, p)));
}

const metric = (task: MlTask, meanLoss: number): number => (task === 'regression' ? Math.sqrt(meanLoss) : meanLoss);

/**
 * Scores the logged inputs of a degraded champion's window with the previous champion, so a rollback is decided on
 * the same rows and truth: the previous champion did better when the paired interval of the difference of mean
 * losses lies below 0 at `confidence` (one look per degradation decision, so a fixed-sample interval is valid).
 */
@Injectable()
export class PreviousChampionScorer {
  constructor(
    private readonly repository: EvaluationRepository,
    private readonly registry: ModelRegistryRepository,
    private readonly active: ActiveModels,
  ) {}

  async score(name: string, version: number, since: Date, task: MlTask, confidence: number): Promise<RollbackEvidence> {
    const none = { rows: 0, current: null, previousValue: null, interval: null, confidence, better: false };
    const previous = previousChampion(await this.registry.history(name)) ?? null;
    const entity = previous === null ? null : await this.registry.findVersion(name, previous);
    if (previous === null || !entity) return { ...none, previous, note: 'no previous champion to roll back to' };
    const loss: LossColumn = task === 'regression' ? 'squaredError' : 'logLoss';
    const window = await this.repository.windowRows(name, version, since, loss, RESCORED_ROWS);
    const inputs = await this.repository.loggedInputs(window.map((row) => row.logId));
    const rows = window.flatMap((row) => {
      const logged = inputs.get(row.logId);
      return logged?.rows[row.rowIndex] === undefined ? [] : [{ ...row, input: rowOf(logged, row.rowIndex) }];
    });
    if (rows.length < 2) return { ...none, previous, note: 'too few logged rows with ground truth in the window' };
    let model: ServedModel;
    let predictions: Predictions;
    try {
      model = await this.active.load(entity);
      predictions = model.predict(rows.map((row) => row.input));
    } catch (error) {
      // A version that cannot be loaded or cannot read these inputs is no rollback target: the champion retrains.
      const reason = error instanceof Error ? error.message : String(error);
      return { ...none, previous, note: `version ${previous} could not score the window: ${reason}` };
    }
    const [currentLosses, previousLosses, differences] = [[], [], []] as number[][];
    const requests: number[] = [];
    rows.forEach((row, i) => {
      const loss = lossOf(predictions, i, row, model.spec.classes ?? []);
      if (loss === undefined) return;
      currentLosses.push(row.loss);
      previousLosses.push(loss);
      differences.push(loss - row.loss);
      requests.push(row.logId);
    });
    if (differences.length < 2) return { ...none, previous, note: 'too few rows with ground truth in the window' };
    // The rows of one request resemble each other: the differences are judged by request (cluster-robust).
    const interval = pairedInterval(momentsByUnit(differences, requests), confidence);
    return {
      previous,
      rows: differences.length,
      current: metric(task, moments(currentLosses).mean),
      previousValue: metric(task, moments(previousLosses).mean),
      interval,
      confidence,
      better: interval.upper < 0,
    };
  }
}
