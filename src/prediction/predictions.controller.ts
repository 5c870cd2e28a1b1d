import { Body, Controller, Get, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiPayloadTooLargeResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { RequestId } from '../common/http/request-id.decorator';
import { HOUSING_MODEL } from '../data/housing/housing.feature-spec';
import { IRIS_MODEL } from '../data/iris/iris.data';
import { HousingInputDto } from './dto/housing-input.dto';
import { IrisInputDto } from './dto/iris-input.dto';
import {
  ClassPredictionDto,
  GenericPredictDto,
  GenericPredictionDto,
  HousingBatchDto,
  HousingBatchPredictionDto,
  HousingPredictionDto,
  IrisBatchDto,
  IrisBatchPredictionDto,
  IrisPredictionDto,
  LoggedPredictionDto,
  RecentPredictionsQueryDto,
  ValuePredictionDto,
} from './dto/prediction.dto';
import { ModelNameParamDto } from '../registry/dto/model.dto';
import { ModelVersionHeaderInterceptor } from './model-version-header.interceptor';
import { PredictionApiService } from './prediction-api.service';

@ApiTags('prediction')
@ApiServiceUnavailableResponse({ description: 'The model is not loaded yet (REGISTRY.MODEL_NOT_READY)' })
@UseInterceptors(ModelVersionHeaderInterceptor)
@Controller()
export class PredictionsController {
  constructor(private readonly api: PredictionApiService) {}

  /** The value of one California block group's houses, in dollars and in $100k. */
  @Post(['predict/housing', 'predict'])
  @HttpCode(200)
  @ApiOkResponse({ type: HousingPredictionDto })
  housing(@Body() body: HousingInputDto, @RequestId() requestId: string): HousingPredictionDto {
    return this.api.one<ValuePredictionDto>(HOUSING_MODEL, body, requestId);
  }

  /** Values of up to MAX_BATCH_ROWS block groups. */
  @Post(['predict/housing/batch', 'batch_predict'])
  @HttpCode(200)
  @ApiOkResponse({ type: HousingBatchPredictionDto })
  @ApiPayloadTooLargeResponse({ description: 'More rows than MAX_BATCH_ROWS' })
  housingBatch(@Body() body: HousingBatchDto, @RequestId() requestId: string): HousingBatchPredictionDto {
    return this.api.batch<ValuePredictionDto>(HOUSING_MODEL, body.rows, requestId);
  }

  /** The species of one iris flower, with the probability of each species. */
  @Post('predict/iris')
  @HttpCode(200)
  @ApiOkResponse({ type: IrisPredictionDto })
  iris(@Body() body: IrisInputDto, @RequestId() requestId: string): IrisPredictionDto {
    return this.api.one<ClassPredictionDto>(IRIS_MODEL, body, requestId);
  }

  @Post('predict/iris/batch')
  @HttpCode(200)
  @ApiOkResponse({ type: IrisBatchPredictionDto })
  irisBatch(@Body() body: IrisBatchDto, @RequestId() requestId: string): IrisBatchPredictionDto {
    return this.api.batch<ClassPredictionDto>(IRIS_MODEL, body.rows, requestId);
  }

  /** Any model by name: `{"inputs": {…}}` or `{"inputs": [{…}, …]}` in its input fields. */
  @Post('models/:name/predict')
  @HttpCode(200)
  @ApiOkResponse({ type: GenericPredictionDto })
  generic(
    @Param() params: ModelNameParamDto,
    @Body() body: GenericPredictDto,
    @RequestId() requestId: string,
  ): GenericPredictionDto {
    return this.api.generic(params.name, body.inputs, requestId);
  }

  /** The most recent logged predictions (the log is written in batches, a fraction of a second behind). */
  @Get('predictions')
  @ApiOkResponse({ type: [LoggedPredictionDto] })
  recent(@Query() query: RecentPredictionsQueryDto): Promise<LoggedPredictionDto[]> {
    return this.api.recent(query);
  }
}
