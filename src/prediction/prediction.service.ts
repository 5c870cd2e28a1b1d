import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ActiveModels } from '../registry/active-models.service';
import { Predictions, ServedModel } from '../registry/served-model';
import { PredictionLogService } from './prediction-log.service';
import { encodeInputs } from './prediction-log.codec';
import { BatchTooLargeError } from './prediction.errors';

/** A regression answer: the value in the model's unit ($100k for housing), and the definition's `also` fields. */
export interface ValuePrediction {
  value: number;
  unit: string;
  [also: string]: number | string;
}

/** A classification answer: the class and the probability of every class. */
export interface ClassPrediction {
  label: string;
  probabilities: Record<string, number>;
}

export type RowPrediction = ValuePrediction | ClassPrediction;

export interface PredictionResult {
  served: ServedModel;
  rows: RowPrediction[];
  /** The model's raw outputs: values for regression, labels for classification. */
  raw: (number | string)[];
}

/**
 * Predicts with the served version of a model: reads the ActiveModels reference once (so a request finishes on
 * the version it started with), answers, and pushes one prediction-log entry (all rows of the request) without waiting.
 */
@Injectable()
export class PredictionService {
  constructor(
    private readonly config: AppConfig,
    private readonly active: ActiveModels,
    private readonly log: PredictionLogService,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Raises 413 when a batch holds more than MAX_BATCH_ROWS rows. */
  checkBatchSize(rows: number): void {
    if (rows > this.config.MAX_BATCH_ROWS) throw new BatchTooLargeError(rows, this.config.MAX_BATCH_ROWS);
  }

  /** Predicts with the served version, or with `version` when given (e.g. a version path of the V2 protocol). */
  predict(model: string, inputs: readonly object[], requestId: string, version?: ServedModel): PredictionResult {
    const started = performance.now();
    const served = version ?? this.active.require(model);
    let output: Predictions;
    try {
      output = served.predict(inputs);
    } catch (error) {
      this.metrics.predictionFailed(model, served.version, inputs.length, (performance.now() - started) / 1000);
      throw error;
    }
    let rows: RowPrediction[];
    let raw: (number | string)[];
    if (output.task === 'regression') {
      raw = Array.from(output.values);
      const unit = served.spec.target.unit;
      rows = raw.map((value) => {
        const row: ValuePrediction = { value: Number(value), unit };
        for (const [name, factor] of served.also) row[name] = Math.round(Number(value) * factor);
        return row;
      });
    } else {
      const classes = served.spec.classes ?? [];
      raw = output.labels;
      rows = output.labels.map((label, i) => ({
        label,
        probabilities: Object.fromEntries(classes.map((c, j) => [c, output.probabilities[i][j]])),
      }));
    }
    const latencyMs = performance.now() - started;
    this.metrics.predicted(
      model,
      served.version,
      latencyMs / 1000,
      output.task === 'regression' ? output.values : output.labels,
    );
    this.log.push({
      createdAt: new Date(),
      modelName: model,
      modelVersion: served.version,
      requestId,
      rowCount: inputs.length,
      inputsJson: encodeInputs(served.inputFields, inputs),
      outputsJson: JSON.stringify(output.task === 'regression' ? raw : rows),
      latencyMs,
      predictionId: null,
      policyId: 0,
      policy: 'champion',
      shadow: false,
    });
    return { served, rows, raw };
  }
}
