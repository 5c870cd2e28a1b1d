import { Body, Controller, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { DirectRoute } from '../common/http/direct-route';
import { ModelNameParamDto } from '../definitions/dto/model-name.dto';
import {
  BatchPredictionDto,
  ClassPredictionDto,
  LoggedPredictionDto,
  PredictionDto,
  PredictRowBody,
  RecentPredictionsQueryDto,
  RowsEnvelopeDto,
  ValuePredictionDto,
} from './dto/prediction.dto';
import { ModelVersionHeaderInterceptor } from './model-version-header.interceptor';
import { PredictionApiService } from './prediction-api.service';
import { Call, type PredictionCall } from './prediction-call.decorator';

const ROW = { schema: { type: 'object', description: "One row of the model's input fields (see its own routes)" } };

/**
 * Predictions of any model, on direct routes (see DirectRoute: the same guards, validation and errors, without
 * Nest's per-request router machinery). Each model's own routes, with its input schema and example, are listed in the
 * OpenAPI document under its name (`/predict/<model>`, `/models/<model>/predict`); these are the templates.
 */
@ApiTags('prediction')
@ApiExtraModels(ValuePredictionDto, ClassPredictionDto)
@ApiServiceUnavailableResponse({ description: 'The model is not loaded yet (REGISTRY.MODEL_NOT_READY)' })
@ApiNotFoundResponse({ description: 'No model by that name or alias (REGISTRY.MODEL_NOT_FOUND)' })
@UseInterceptors(ModelVersionHeaderInterceptor)
@Controller()
export class PredictionsController {
  constructor(private readonly api: PredictionApiService) {}

  /** One row of the default model (DEFAULT_MODEL, California Housing unless configured). */
  @Post('predict')
  @DirectRoute()
  @HttpCode(200)
  @ApiBody(ROW)
  @ApiOkResponse({ type: PredictionDto })
  predictDefault(@Body() body: PredictRowBody, @Call() call: PredictionCall): PredictionDto {
    return this.api.one(undefined, body, call);
  }

  /** Rows of the default model: `{"rows": [...]}` (or the alias `{"inputs": ...}`). */
  @Post('batch_predict')
  @DirectRoute()
  @HttpCode(200)
  @ApiOkResponse({ type: BatchPredictionDto })
  @ApiPayloadTooLargeResponse({ description: 'More rows than MAX_BATCH_ROWS' })
  batchDefault(@Body() body: RowsEnvelopeDto, @Call() call: PredictionCall): BatchPredictionDto {
    return this.api.batch(undefined, body, call);
  }

  /** One row of a model, by name or alias (`/predict/housing`, `/predict/iris`, `/predict/diabetes`). */
  @Post('predict/:name')
  @DirectRoute()
  @HttpCode(200)
  @ApiBody(ROW)
  @ApiOkResponse({ type: PredictionDto })
  predict(
    @Param() params: ModelNameParamDto,
    @Body() body: PredictRowBody,
    @Call() call: PredictionCall,
  ): PredictionDto {
    return this.api.one(params.name, body, call);
  }

  /** Up to MAX_BATCH_ROWS rows of a model, by name or alias: `{"rows": [...]}` (or the alias `{"inputs": ...}`). */
  @Post('predict/:name/batch')
  @DirectRoute()
  @HttpCode(200)
  @ApiOkResponse({ type: BatchPredictionDto })
  @ApiPayloadTooLargeResponse({ description: 'More rows than MAX_BATCH_ROWS' })
  batch(
    @Param() params: ModelNameParamDto,
    @Body() body: RowsEnvelopeDto,
    @Call() call: PredictionCall,
  ): BatchPredictionDto {
    return this.api.batch(params.name, body, call);
  }

  /** Any model by name, the same envelope as the batch route: `{"rows": [...]}`, `{"inputs": [...]}` or `{"inputs": {…}}`. */
  @Post('models/:name/predict')
  @DirectRoute()
  @HttpCode(200)
  @ApiOkResponse({ type: BatchPredictionDto })
  generic(
    @Param() params: ModelNameParamDto,
    @Body() body: RowsEnvelopeDto,
    @Call() call: PredictionCall,
  ): BatchPredictionDto {
    return this.api.batch(params.name, body, call);
  }

  /**
   * Predictions with their explanations, the envelope of the generic route: each row's exact feature contributions
   * (TreeSHAP, or a linear model's terms), per model feature and per input field, with the base value.
   */
  @Post('models/:name/explain')
  @DirectRoute()
  @HttpCode(200)
  @ApiOkResponse({ type: BatchPredictionDto })
  @ApiUnprocessableEntityResponse({ description: 'A version that cannot be explained (REGISTRY.NOT_EXPLAINABLE)' })
  explain(
    @Param() params: ModelNameParamDto,
    @Body() body: RowsEnvelopeDto,
    @Call() call: PredictionCall,
  ): BatchPredictionDto {
    return this.api.batch(params.name, body, { ...call, explain: true });
  }

  /** The most recent logged predictions (the log is written in batches, a fraction of a second behind). */
  @Get('predictions')
  @ApiOkResponse({ type: [LoggedPredictionDto] })
  recent(@Query() query: RecentPredictionsQueryDto): Promise<LoggedPredictionDto[]> {
    return this.api.recent(query);
  }
}
