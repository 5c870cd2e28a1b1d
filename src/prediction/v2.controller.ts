import { Body, Controller, Get, HttpCode, Param, Post, UseFilters, UseInterceptors } from '@nestjs/common';
import { PublicRoute } from '../common/auth/auth.decorators';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Call, type PredictionCall } from './prediction-call.decorator';
import { V2InferenceResponseDto, V2ModelParamDto, V2ModelVersionParamDto } from './dto/v2.dto';
import { ModelVersionHeaderInterceptor } from './model-version-header.interceptor';
import { V2ExceptionFilter } from './v2-exception.filter';
import { V2Service } from './v2.service';

// Each model's own example request is added to the OpenAPI document from its definition.
const inferBody = { schema: { type: 'object' } };

/** The Open Inference Protocol (KServe V2 REST; also MLServer and Triton). Errors are `{"error": "…"}`. */
@ApiTags('open-inference (v2)')
@UseFilters(V2ExceptionFilter)
@Controller('v2')
export class V2Controller {
  constructor(private readonly v2: V2Service) {}

  /** Server metadata. */
  @Get()
  server(): object {
    return this.v2.server();
  }

  /** 200 while the process answers. */
  @Get('health/live')
  @PublicRoute()
  live(): { live: boolean } {
    return { live: true };
  }

  /** 200 exactly when /health/ready is (database, every model served, disk); 503 otherwise. */
  @Get('health/ready')
  @PublicRoute()
  ready(): Promise<{ ready: boolean }> {
    return this.v2.ready();
  }

  /**
   * Model metadata: the served version, platform, input tensors (one per field) and outputs (from the definition
   * alone while no version is served).
   */
  @Get('models/:name')
  metadata(@Param() params: V2ModelParamDto): Promise<object> {
    return this.v2.metadata(params.name);
  }

  /** The metadata of one registered version (loaded on demand). */
  @Get('models/:name/versions/:version')
  versionMetadata(@Param() params: V2ModelVersionParamDto): Promise<object> {
    return this.v2.metadata(params.name, this.v2.versionNamed(params.name, params.version));
  }

  /** 200 while the model has a served version; 503 before. */
  @Get('models/:name/ready')
  modelReady(@Param() params: V2ModelParamDto): Promise<{ name: string; ready: boolean }> {
    return this.v2.modelReady(params.name);
  }

  /** 200 when the model has that registered version (loaded on its first inference); 404 otherwise. */
  @Get('models/:name/versions/:version/ready')
  versionReady(@Param() params: V2ModelVersionParamDto): Promise<{ name: string; ready: boolean }> {
    return this.v2.modelReady(params.name, this.v2.versionNamed(params.name, params.version));
  }

  /** Inference with the served version. */
  @Post('models/:name/infer')
  @HttpCode(200)
  @UseInterceptors(ModelVersionHeaderInterceptor)
  @ApiBody(inferBody)
  @ApiOkResponse({ type: V2InferenceResponseDto })
  infer(@Param() params: V2ModelParamDto, @Body() body: unknown, @Call() call: PredictionCall): Promise<object> {
    return this.v2.infer(params.name, body, call);
  }

  /** Inference with a given registered version (loaded on demand). */
  @Post('models/:name/versions/:version/infer')
  @HttpCode(200)
  @UseInterceptors(ModelVersionHeaderInterceptor)
  @ApiBody(inferBody)
  @ApiOkResponse({ type: V2InferenceResponseDto })
  inferVersion(
    @Param() params: V2ModelVersionParamDto,
    @Body() body: unknown,
    @Call() call: PredictionCall,
  ): Promise<object> {
    return this.v2.infer(params.name, body, call, this.v2.versionNamed(params.name, params.version));
  }
}
