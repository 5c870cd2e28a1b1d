import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { DataService } from '../data/data.service';
import type { DataRecord } from '../data/dataset-definition';
import { accuracy, rmse } from '../ml/metrics.util';
import { PRIMARY_METRIC } from '../training/candidates';
import { RunEntity } from '../training/entities/run.entity';
import { readSplitFile } from '../training/split-file.util';
import { ServedModel } from './served-model';

export interface Comparison {
  metric: 'rmse' | 'accuracy';
  higherIsBetter: boolean;
  candidate: number;
  champion: number;
  rows: number;
}

export type HoldoutPredictions =
  | { task: 'regression'; actual: number[]; predicted: number[] }
  | { task: 'classification'; classes: string[]; actual: string[]; predicted: string[] };

/**
 * Scores two versions of a model on the same holdout rows: the test part of the candidate's run (its seeded split
 * of the current data, or its split file), each version building features with its own preprocessing.
 */
@Injectable()
export class HoldoutEvaluator {
  constructor(private readonly data: DataService) {}

  async compare(run: RunEntity, candidate: ServedModel, champion: ServedModel): Promise<Comparison> {
    const rows = await this.holdout(run);
    const definition = this.data.definition(run.modelName);
    const task = definition.pipeline.spec.task;
    const { name, higherIsBetter } = PRIMARY_METRIC[task];
    const truth = Float64Array.from(rows, (r) => definition.target(r));
    const classes = definition.pipeline.spec.classes ?? [];
    const score = (model: ServedModel): number => {
      const predictions = model.predict(rows);
      return predictions.task === 'regression'
        ? rmse(truth, predictions.values)
        : accuracy(
            truth,
            Float64Array.from(predictions.labels, (label) => classes.indexOf(label)),
          );
    };
    return { metric: name, higherIsBetter, candidate: score(candidate), champion: score(champion), rows: rows.length };
  }

  /** What a version predicts for each holdout row of its run, beside the truth (the dashboard's plots). */
  async predictions(run: RunEntity, model: ServedModel): Promise<HoldoutPredictions> {
    const rows = await this.holdout(run);
    const definition = this.data.definition(run.modelName);
    const predictions = model.predict(rows);
    if (predictions.task === 'regression') {
      return {
        task: 'regression',
        actual: rows.map((r) => definition.target(r)),
        predicted: Array.from(predictions.values),
      };
    }
    const classes = definition.pipeline.spec.classes ?? [];
    return {
      task: 'classification',
      classes: [...classes],
      actual: rows.map((r) => classes[definition.target(r)]),
      predicted: predictions.labels,
    };
  }

  private async holdout(run: RunEntity): Promise<DataRecord[]> {
    if (run.split.startsWith('file:')) {
      const file = run.split.slice('file:'.length);
      const prepared = await this.data.prepare(run.modelName);
      return readSplitFile(await readFile(file, 'utf8'), file, prepared.table).test;
    }
    const match = /^seed:(\d+)\/test:([\d.]+)$/.exec(run.split);
    const options = match ? { seed: Number(match[1]), testFraction: Number(match[2]) } : {};
    return (await this.data.prepare(run.modelName, options)).test;
  }
}
