import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { DataService } from '../data/data.service';
import type { TableRecord } from '../data/table/table';
import type { GateMetric, ModelDefinition } from '../definitions/model-definition';
import { accuracy, logLoss, macroF1, mae, r2, rmse } from '../ml/metrics.util';
import { GATE_METRICS } from '../training/candidates';
import { RunEntity } from '../training/entities/run.entity';
import { readSplitFile } from '../training/split-file.util';
import { parseSplitLabel } from '../training/split-label.util';
import { ServedModel } from './served-model';

export interface Comparison {
  metric: GateMetric;
  higherIsBetter: boolean;
  candidate: number;
  champion: number;
  rows: number;
}

export type HoldoutPredictions =
  | { task: 'regression'; actual: number[]; predicted: number[] }
  | { task: 'classification'; classes: string[]; actual: string[]; predicted: string[] };

interface Holdout {
  rows: TableRecord[];
  /** Regression targets in the model's unit. */
  values: Float64Array;
  /** Classification: the true label of each row, and the labels of the data. */
  labels: string[];
  classes: string[];
}

/**
 * Scores two versions of a model on the same holdout rows: the test part of the candidate's run (its seeded split
 * of the current data, or its split file), each version building features with its own definition and fitted
 * values, by the definition's gate metric.
 */
@Injectable()
export class HoldoutEvaluator {
  constructor(private readonly data: DataService) {}

  async compare(run: RunEntity, candidate: ServedModel, champion: ServedModel): Promise<Comparison> {
    const holdout = await this.holdout(run, candidate.definition);
    const metric = candidate.definition.gate.metric;
    return {
      metric,
      higherIsBetter: GATE_METRICS[metric].higherIsBetter,
      candidate: this.score(metric, candidate, holdout),
      champion: this.score(metric, champion, holdout),
      rows: holdout.rows.length,
    };
  }

  /** What a version predicts for each holdout row of its run, beside the truth (the dashboard's plots). */
  async predictions(run: RunEntity, model: ServedModel): Promise<HoldoutPredictions> {
    const holdout = await this.holdout(run, model.definition);
    const predictions = model.predict(holdout.rows.map((r) => r.values));
    if (predictions.task === 'regression') {
      return { task: 'regression', actual: Array.from(holdout.values), predicted: Array.from(predictions.values) };
    }
    return { task: 'classification', classes: holdout.classes, actual: holdout.labels, predicted: predictions.labels };
  }

  /**
   * The metric of a version on the holdout. Classes are matched by label, so versions trained on data with other
   * class lists compare fairly; a version that cannot score the rows (NaN) loses any comparison.
   */
  private score(metric: GateMetric, model: ServedModel, holdout: Holdout): number {
    const predictions = model.predict(holdout.rows.map((r) => r.values));
    if (predictions.task === 'regression') {
      const scorer = metric === 'mae' ? mae : metric === 'r2' ? r2 : rmse;
      return scorer(holdout.values, predictions.values);
    }
    const { classes } = holdout;
    const truth = Int32Array.from(holdout.labels, (label) => classes.indexOf(label));
    if (metric === 'log_loss') {
      const own = model.spec.classes ?? [];
      const proba = new Float64Array(truth.length * classes.length);
      predictions.probabilities.forEach((row, i) =>
        classes.forEach((c, j) => (proba[i * classes.length + j] = own.includes(c) ? row[own.indexOf(c)] : 0)),
      );
      return logLoss(truth, proba, classes.length);
    }
    const predicted = Int32Array.from(predictions.labels, (label) => classes.indexOf(label));
    return metric === 'macro_f1' ? macroF1(truth, predicted, classes.length) : accuracy(truth, predicted);
  }

  /** The holdout rows of a run, read with the definition of the version that was trained on them. */
  private async holdout(run: RunEntity, definition: ModelDefinition): Promise<Holdout> {
    const split = parseSplitLabel(run.split);
    let rows: TableRecord[];
    let prepared;
    if (split?.kind === 'file') {
      prepared = await this.data.prepare(run.modelName, {}, definition);
      rows = readSplitFile(await readFile(split.file, 'utf8'), split.file, prepared.table).test;
    } else {
      prepared = await this.data.prepare(run.modelName, split ?? {}, definition);
      rows = prepared.test;
    }
    const { model, table } = prepared;
    const target = model.definition.target.name;
    return {
      rows,
      values: Float64Array.from(rows, (r) => (model.definition.task === 'regression' ? model.target(r) : NaN)),
      labels: rows.map((r) => String(r.values[target])),
      classes: table.classes ?? [],
    };
  }
}
