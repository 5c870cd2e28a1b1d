import { Injectable } from '@nestjs/common';
import { annotateActiveSpan, inSpan } from '../common/tracing/tracing';
import { AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ActiveModels } from '../registry/active-models.service';
import type { RowExplanation } from '../registry/explanation-shaper';
import { Predictions, ServedModel } from '../registry/served-model';
import type { TrafficRoute } from '../registry/traffic/traffic-router.service';
import type { PredictionCall } from './prediction-call.decorator';
import { PredictionLogService } from './prediction-log.service';
import { packInputs } from './prediction-log.codec';
import { BatchTooLargeError } from './prediction.errors';
import { answerRows, RowPrediction } from './prediction-rows.util';
import { ShadowScorer } from './shadow-scorer.service';

export interface PredictionResult {
  served: ServedModel;
  rows: RowPrediction[];
  /** The model's raw outputs: values for regression, labels for classification. */
  raw: (number | string)[];
  /** Whether the served version is the model's champion (false for another arm of a split). */
  champion: boolean;
  /** With `call.explain`: each row's contributions, by the version that answered. */
  explanations?: RowExplanation[];
}

/** The route of a request that names its version (V2's version paths): no policy applies; logged as `version`. */
const PINNED = { policyId: 0, mode: 'version', shadow: [] } as const;

/**
 * Predicts with the version a request was routed to (TrafficRouter): the route is read once, so a request finishes
 * on the version it started with. A policy arm that fails at run time is replaced by the champion (counted). Pushes
 * one prediction-log entry (all rows of the request) without waiting, and hands the rows to the shadow versions.
 */
@Injectable()
export class PredictionService {
  constructor(
    private readonly config: AppConfig,
    private readonly active: ActiveModels,
    private readonly log: PredictionLogService,
    private readonly metrics: ServiceMetrics,
    private readonly shadows: ShadowScorer,
  ) {}

  /** Raises 413 when a batch holds more than MAX_BATCH_ROWS rows. */
  checkBatchSize(rows: number): void {
    if (rows > this.config.MAX_BATCH_ROWS) throw new BatchTooLargeError(rows, this.config.MAX_BATCH_ROWS);
  }

  /** Predicts `inputs` (validated for the route's version) on the route, or on a given version (V2's version paths). */
  predict(
    model: string,
    inputs: readonly object[],
    call: PredictionCall,
    route: TrafficRoute | ServedModel,
  ): PredictionResult {
    const started = performance.now();
    const {
      served: routed,
      policyId,
      mode,
      shadow,
    } = route instanceof ServedModel ? { ...PINNED, served: route } : route;
    // Refused before anything is predicted or logged: a version that cannot explain, or a batch over the budget.
    if (call.explain) routed.assertExplainable(inputs.length, this.config.EXPLAIN_BUDGET_MS);
    annotateActiveSpan({ 'mlops.model': model, 'mlops.model.version': routed.version, 'mlops.policy': mode });
    const { served, output } = inSpan('scoring', { 'mlops.rows': inputs.length }, () =>
      this.score(model, inputs, route, routed, started),
    );
    if (served !== routed) annotateActiveSpan({ 'mlops.model.version': served.version });
    const { rows, raw } = answerRows(served, output);
    const latencyMs = performance.now() - started;
    this.metrics.predicted(
      model,
      served.version,
      latencyMs / 1000,
      output.task === 'regression' ? output.values : output.labels,
    );
    const createdAt = new Date();
    inSpan('prediction-log', {}, () => {
      this.log.push({
        createdAt,
        modelName: model,
        modelVersion: served.version,
        requestId: call.requestId,
        rowCount: inputs.length,
        inputsJson: packInputs(served.inputFields, inputs),
        outputsJson: JSON.stringify(output.task === 'regression' ? raw : rows),
        latencyMs,
        predictionId: call.predictionId,
        policyId,
        policy: mode,
        shadow: false,
        clientAddress: call.clientAddress,
      });
      const versions = shadow.length > 0 ? shadow.filter((v) => v.version !== served.version) : shadow;
      if (versions.length > 0) {
        const { requestId, predictionId, clientAddress } = call;
        this.shadows.enqueue({
          model,
          versions,
          rows: inputs,
          requestId,
          predictionId,
          policyId,
          createdAt,
          clientAddress,
        });
      }
    });
    const explanations = call.explain
      ? inSpan('explanation', {}, () => served.explain(inputs, this.config.EXPLAIN_BUDGET_MS))
      : undefined;
    return { served, rows, raw, champion: served.version === this.active.get(model)?.version, explanations };
  }

  /** The routed version's predictions, or the champion's when another arm fails (see predict). */
  private score(
    model: string,
    inputs: readonly object[],
    route: TrafficRoute | ServedModel,
    routed: ServedModel,
    started: number,
  ): { served: ServedModel; output: Predictions } {
    let served = routed;
    let output: Predictions;
    try {
      output = served.predict(inputs);
    } catch (error) {
      this.metrics.predictionFailed(model, served.version, inputs.length, (performance.now() - started) / 1000);
      // An arm other than the champion failed: the champion answers, if the rows (validated for the arm) are its
      // inputs too (the same fields); otherwise the arm's error stands.
      const champion = this.active.get(model);
      const fallback =
        !(route instanceof ServedModel) &&
        champion !== undefined &&
        champion.version !== served.version &&
        champion.inputFields.join('\0') === served.inputFields.join('\0');
      if (!fallback) throw error;
      this.metrics.trafficFellBack(model, served.version);
      served = champion;
      output = served.predict(inputs);
    }
    return { served, output };
  }
}
