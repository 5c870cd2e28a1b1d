import { Injectable } from '@nestjs/common';
import { APP_VERSION } from '../common/app-version';
import { AppConfig } from '../config/app-config';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ActiveModels } from '../registry/active-models.service';
import { MlflowAnswerDto } from './dto/mlflow.dto';
import { PredictionApiService } from './prediction-api.service';
import type { PredictionCall } from './prediction-call.decorator';
import { CsvBody, csvRows, mlflowRows } from './mlflow-payload.util';
import { MODEL_VERSION } from './model-version-header.interceptor';
import { PayloadFormatError } from './prediction.errors';
import { PredictionService } from './prediction.service';

/** MLflow's scoring protocol over the served models. */
@Injectable()
export class MlflowService {
  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly predictions: PredictionService,
    private readonly active: ActiveModels,
    private readonly api: PredictionApiService,
  ) {}

  /** `model` is a name or alias; DEFAULT_MODEL when absent. */
  invocations(model: string | undefined, body: unknown, call: PredictionCall): MlflowAnswerDto {
    const name = this.catalog.resolve(model ?? this.config.DEFAULT_MODEL);
    const rows = body instanceof CsvBody ? csvRows(body.text, this.catalog.require(name)) : mlflowRows(body);
    if (rows.length === 0) throw new PayloadFormatError('The request holds no rows');
    this.predictions.checkBatchSize(rows.length);
    const { route, valid } = this.api.validated(name, rows, (i) => `rows[${i}]`, call);
    const result = this.predictions.predict(name, valid, call, route);
    const answer = { predictions: result.raw, [MODEL_VERSION]: result.served.version } as MlflowAnswerDto;
    if (result.explanations) answer.explanations = result.explanations;
    return answer;
  }

  /** 200 with an empty JSON body once the default model is served; 503 before. */
  ping(): string {
    this.active.require(this.catalog.resolve(this.config.DEFAULT_MODEL));
    return '{}';
  }

  version(): string {
    return APP_VERSION;
  }
}
