import { Body, Controller, Get, Header, HttpCode, Post, Query, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Call, type PredictionCall } from './prediction-call.decorator';
import { MlflowAnswerDto, MlflowQueryDto } from './dto/mlflow.dto';
import { MlflowExceptionFilter } from './mlflow-exception.filter';
import { MlflowService } from './mlflow.service';
import { ModelVersionHeaderInterceptor } from './model-version-header.interceptor';

/** MLflow's scoring protocol, as `mlflow models serve` speaks it. */
@ApiTags('mlflow')
@UseFilters(MlflowExceptionFilter)
@Controller()
export class MlflowController {
  constructor(private readonly mlflow: MlflowService) {}

  /** Predictions for a DataFrame in any of MLflow's four JSON formats; `?model=` picks the model (default DEFAULT_MODEL). */
  @Post('invocations')
  @HttpCode(200)
  @UseInterceptors(ModelVersionHeaderInterceptor)
  @ApiQuery({ name: 'model', required: false })
  // Each model's examples in the four formats are added to the OpenAPI document from its definition.
  @ApiBody({ schema: { type: 'object' } })
  @ApiOkResponse({ type: MlflowAnswerDto })
  invocations(@Query() query: MlflowQueryDto, @Body() body: unknown, @Call() call: PredictionCall): MlflowAnswerDto {
    return this.mlflow.invocations(query.model, body, call);
  }

  /** MLflow's liveness check: 200 once the default model is served. */
  @Get('ping')
  @Header('content-type', 'application/json')
  ping(): string {
    return this.mlflow.ping();
  }

  /** The service's version as plain text (as MLflow's scoring server answers its own). */
  @Get('version')
  version(): string {
    return this.mlflow.version();
  }
}
