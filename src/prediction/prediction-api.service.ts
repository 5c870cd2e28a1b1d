import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ActiveModels } from '../registry/active-models.service';
import { ModelNotReadyError } from '../registry/registry.errors';
import type { ServedModel } from '../registry/served-model';
import { TrafficRoute, TrafficRouter } from '../registry/traffic/traffic-router.service';
import {
  AnswerHead,
  BatchPredictionDto,
  LoggedPredictionDto,
  PredictionDto,
  RecentPredictionsQueryDto,
  RowsEnvelopeDto,
} from './dto/prediction.dto';
import { InputValidators } from './model-input.validator';
import type { PredictionCall } from './prediction-call.decorator';
import { PredictionLogService } from './prediction-log.service';
import { PredictionResult, PredictionService } from './prediction.service';

/**
 * The HTTP face of the prediction routes: one row, a batch, or rows of any model by name or alias. Rows are
 * validated against the served version (its definition and fitted category values), then predicted by it.
 */
@Injectable()
export class PredictionApiService {
  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly active: ActiveModels,
    private readonly validators: InputValidators,
    private readonly predictions: PredictionService,
    private readonly log: PredictionLogService,
    private readonly router: TrafficRouter,
  ) {}

  /** One row (field errors named by the field alone). `model` undefined: DEFAULT_MODEL. */
  one(model: string | undefined, input: unknown, call: PredictionCall): PredictionDto {
    const name = this.catalog.resolve(model ?? this.config.DEFAULT_MODEL);
    const { route, valid } = this.validated(name, [input], () => '', call);
    const result = this.predictions.predict(name, valid, call, route);
    const answer: PredictionDto = { ...answerHead(name, result, route, call.requestId), prediction: result.rows[0] };
    if (result.explanations) answer.explanation = result.explanations[0];
    return answer;
  }

  /**
   * The rows of a `{"rows": [...]}` envelope, or of its alias `{"inputs": [...]}` / `{"inputs": {...}}` (field errors
   * named after the member sent: `rows.<i>.<field>`, `inputs[<i>].<field>`). `model` undefined: DEFAULT_MODEL.
   */
  batch(model: string | undefined, body: RowsEnvelopeDto, call: PredictionCall): BatchPredictionDto {
    const name = model ?? this.config.DEFAULT_MODEL;
    if (body.rows !== undefined) return this.rows(name, body.rows, call, (i) => `rows.${i}`);
    const { inputs } = body;
    return this.rows(name, Array.isArray(inputs) ? inputs : [inputs], call, (i) => `inputs[${i}]`);
  }

  async recent(query: RecentPredictionsQueryDto): Promise<LoggedPredictionDto[]> {
    const rows = await this.log.recent(query.model, query.limit);
    return rows.map((row) => LoggedPredictionDto.from(row));
  }

  /**
   * The request's route (TrafficRouter: the champion, or the arm of a split) and the rows validated against the
   * version it names. While no version is served, the rows are checked against the definition (400 for a bad row),
   * then 503.
   */
  validated(
    name: string,
    rows: readonly unknown[],
    at: (i: number) => string,
    call: PredictionCall,
  ): { route: TrafficRoute; served: ServedModel; valid: object[] } {
    if (!this.active.get(name)) {
      this.validators.forDefinition(this.catalog.require(name)).validate(rows, at);
      throw new ModelNotReadyError(name);
    }
    const route = this.router.route(name, call.headers);
    return { route, served: route.served, valid: this.validators.for(route.served).validate(rows, at) };
  }

  private rows(
    model: string,
    rows: readonly unknown[],
    call: PredictionCall,
    at: (i: number) => string,
  ): BatchPredictionDto {
    const name = this.catalog.resolve(model);
    this.predictions.checkBatchSize(rows.length);
    const { route, valid } = this.validated(name, rows, at, call);
    const result = this.predictions.predict(name, valid, call, route);
    const answer: BatchPredictionDto = { ...answerHead(name, result, route, call.requestId), predictions: result.rows };
    if (result.explanations) answer.explanations = result.explanations;
    return answer;
  }
}

/**
 * What every answer starts with: the model, the version that answered, `alias: "champion"` when that is the champion
 * (null for another arm of a split), the request id, and, when a traffic policy other than the default is in force,
 * its mode and id.
 */
function answerHead(name: string, result: PredictionResult, route: TrafficRoute, requestId: string): AnswerHead {
  const head: AnswerHead = {
    model: name,
    version: result.served.version,
    alias: result.champion ? 'champion' : null,
    requestId,
  };
  if (route.policyId !== 0) head.policy = { mode: route.mode, id: route.policyId };
  return head;
}
