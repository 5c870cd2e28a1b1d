import { Injectable } from '@nestjs/common';
import { APP_VERSION } from '../common/app-version';
import { HOUSING_MODEL } from '../data/housing/housing.feature-spec';
import { ActiveModels } from '../registry/active-models.service';
import { MlflowAnswerDto } from './dto/mlflow.dto';
import { validateRows } from './input-validator';
import { mlflowRows } from './mlflow-payload.util';
import { MODEL_VERSION } from './model-version-header.interceptor';
import { PayloadFormatError } from './prediction.errors';
import { PredictionService } from './prediction.service';

/** MLflow's scoring protocol over the served models. */
@Injectable()
export class MlflowService {
  constructor(
    private readonly predictions: PredictionService,
    private readonly active: ActiveModels,
  ) {}

  invocations(model: string = HOUSING_MODEL, body: unknown, requestId: string): MlflowAnswerDto {
    const rows = mlflowRows(body);
    if (rows.length === 0) throw new PayloadFormatError('The request holds no rows');
    this.predictions.checkBatchSize(rows.length);
    const result = this.predictions.predict(model, validateRows(model, rows, 'rows'), requestId);
    return { predictions: result.raw, [MODEL_VERSION]: result.served.version } as MlflowAnswerDto;
  }

  /** 200 with an empty JSON body once the default model is served; 503 before. */
  ping(): string {
    this.active.require(HOUSING_MODEL);
    return '{}';
  }

  version(): string {
    return APP_VERSION;
  }
}
