import { Injectable } from '@nestjs/common';
import { PayloadFormatError } from './prediction.errors';
import { validateRows } from './input-validator';
import {
  ClassPredictionDto,
  GenericPredictionDto,
  LoggedPredictionDto,
  RecentPredictionsQueryDto,
  ValuePredictionDto,
} from './dto/prediction.dto';
import { PredictionLogService } from './prediction-log.service';
import { PredictionService } from './prediction.service';

interface Answer<P> {
  model: string;
  version: number;
  alias: string;
  requestId: string;
  prediction: P;
}

interface BatchAnswer<P> extends Omit<Answer<P>, 'prediction'> {
  predictions: P[];
}

/** The HTTP face of the prediction routes: one row, a batch, or rows of any model by name. */
@Injectable()
export class PredictionApiService {
  constructor(
    private readonly predictions: PredictionService,
    private readonly log: PredictionLogService,
  ) {}

  one<P extends ValuePredictionDto | ClassPredictionDto>(model: string, input: object, requestId: string): Answer<P> {
    const { served, rows } = this.predictions.predict(model, [input], requestId);
    return { model, version: served.version, alias: 'champion', requestId, prediction: rows[0] as P };
  }

  batch<P extends ValuePredictionDto | ClassPredictionDto>(
    model: string,
    inputs: object[],
    requestId: string,
  ): BatchAnswer<P> {
    this.predictions.checkBatchSize(inputs.length);
    const { served, rows } = this.predictions.predict(model, inputs, requestId);
    return { model, version: served.version, alias: 'champion', requestId, predictions: rows as P[] };
  }

  /** `POST /models/:name/predict`: `{"inputs": row}` or `{"inputs": [rows]}`, validated like the typed routes. */
  generic(model: string, inputs: unknown, requestId: string): GenericPredictionDto {
    if (typeof inputs !== 'object' || inputs === null) {
      throw new PayloadFormatError(
        'Body must be {"inputs": {…}} or {"inputs": [{…}, …]} with the model\'s input fields',
      );
    }
    const rows = Array.isArray(inputs) ? inputs : [inputs];
    this.predictions.checkBatchSize(rows.length);
    return this.batch(model, validateRows(model, rows, 'inputs'), requestId);
  }

  async recent(query: RecentPredictionsQueryDto): Promise<LoggedPredictionDto[]> {
    const rows = await this.log.recent(query.model, query.limit);
    return rows.map((row) => LoggedPredictionDto.from(row));
  }
}
