import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ActiveModels } from '../registry/active-models.service';
import { ModelNotReadyError } from '../registry/registry.errors';
import type { ServedModel } from '../registry/served-model';
import {
  BatchPredictionDto,
  LoggedPredictionDto,
  PredictionDto,
  RecentPredictionsQueryDto,
  RowsEnvelopeDto,
} from './dto/prediction.dto';
import { InputValidators } from './model-input.validator';
import { PredictionLogService } from './prediction-log.service';
import { PredictionService } from './prediction.service';

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
  ) {}

  /** One row (field errors named by the field alone). `model` undefined: DEFAULT_MODEL. */
  one(model: string | undefined, input: unknown, requestId: string): PredictionDto {
    const name = this.catalog.resolve(model ?? this.config.DEFAULT_MODEL);
    const { served, valid } = this.validated(name, [input], () => '');
    const result = this.predictions.predict(name, valid, requestId, served);
    return { model: name, version: served.version, alias: 'champion', requestId, prediction: result.rows[0] };
  }

  /**
   * The rows of a `{"rows": [...]}` envelope, or of its alias `{"inputs": [...]}` / `{"inputs": {...}}` (field errors
   * named after the member sent: `rows.<i>.<field>`, `inputs[<i>].<field>`). `model` undefined: DEFAULT_MODEL.
   */
  batch(model: string | undefined, body: RowsEnvelopeDto, requestId: string): BatchPredictionDto {
    const name = model ?? this.config.DEFAULT_MODEL;
    if (body.rows !== undefined) return this.rows(name, body.rows, requestId, (i) => `rows.${i}`);
    const { inputs } = body;
    return this.rows(name, Array.isArray(inputs) ? inputs : [inputs], requestId, (i) => `inputs[${i}]`);
  }

  async recent(query: RecentPredictionsQueryDto): Promise<LoggedPredictionDto[]> {
    const rows = await this.log.recent(query.model, query.limit);
    return rows.map((row) => LoggedPredictionDto.from(row));
  }

  /**
   * The served version and the rows validated against it. While no version is served, the rows are checked
   * against the definition (400 for a bad row), then 503.
   */
  validated(
    name: string,
    rows: readonly unknown[],
    at: (i: number) => string,
  ): { served: ServedModel; valid: object[] } {
    const served = this.active.get(name);
    if (!served) {
      this.validators.forDefinition(this.catalog.require(name)).validate(rows, at);
      throw new ModelNotReadyError(name);
    }
    return { served, valid: this.validators.for(served).validate(rows, at) };
  }

  private rows(
    model: string,
    rows: readonly unknown[],
    requestId: string,
    at: (i: number) => string,
  ): BatchPredictionDto {
    const name = this.catalog.resolve(model);
    this.predictions.checkBatchSize(rows.length);
    const { served, valid } = this.validated(name, rows, at);
    const result = this.predictions.predict(name, valid, requestId, served);
    return { model: name, version: served.version, alias: 'champion', requestId, predictions: result.rows };
  }
}
