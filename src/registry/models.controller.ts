import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AdminOnly } from '../common/auth/auth.decorators';
import { LargeBody } from '../common/http/large-body.decorator';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ExportQueryDto, ImportModelDto, ImportResultDto } from './dto/model-import.dto';
import { ModelExportService } from './interop/model-export.service';
import { ModelImportService } from './interop/model-import.service';
import {
  AliasEventDto,
  AliasMoveDto,
  ModelDetailDto,
  ModelSummaryDto,
  ModelVersionDto,
  ModelVersionParamDto,
  PromoteDto,
  RegisterVersionDto,
  RollbackDto,
} from './dto/model.dto';
import { ModelsService } from './models.service';
import { ModelNameParamDto } from '../definitions/dto/model-name.dto';

@ApiTags('registry')
@Controller('models')
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly imports: ModelImportService,
    private readonly exports: ModelExportService,
  ) {}

  /** Every model with its champion, challenger and served version. */
  @Get()
  @ApiOkResponse({ type: [ModelSummaryDto] })
  list(): Promise<ModelSummaryDto[]> {
    return this.models.list();
  }

  /** One model with all its versions (newest first) and their aliases. */
  @Get(':name')
  @ApiOkResponse({ type: ModelDetailDto })
  @ApiNotFoundResponse({ description: 'Unknown model (REGISTRY.MODEL_NOT_FOUND)' })
  get(@Param() params: ModelNameParamDto): Promise<ModelDetailDto> {
    return this.models.get(params.name);
  }

  /** The alias audit trail of a model, oldest first. */
  @Get(':name/history')
  @ApiOkResponse({ type: [AliasEventDto] })
  history(@Param() params: ModelNameParamDto): Promise<AliasEventDto[]> {
    return this.models.history(params.name);
  }

  /** Registers a succeeded training run as the next version of the model. */
  @Post(':name/versions')
  @AdminOnly()
  @ApiOkResponse({ type: ModelVersionDto })
  @ApiConflictResponse({ description: 'The run failed, belongs to another model, or is already registered' })
  register(@Param() params: ModelNameParamDto, @Body() body: RegisterVersionDto): Promise<ModelVersionDto> {
    return this.models.register(params.name, body.runId);
  }

  /**
   * Imports a model trained elsewhere (XGBoost JSON or UBJSON) as the next version: its features mapped onto the
   * model's, its trees converted to the service's kernel, scored on the holdout, registered with its lineage
   * (source import, the file's sha256); with `promote`, judged by the gate. Bodies up to IMPORT_BODY_LIMIT_BYTES.
   */
  @Post(':name/versions/import')
  @AdminOnly()
  @LargeBody()
  @ApiCreatedResponse({ type: ImportResultDto })
  @ApiBadRequestResponse({ description: 'A malformed file (REGISTRY.IMPORT_INVALID, the JSON path named) or body' })
  @ApiUnprocessableEntityResponse({ description: 'Unsupported (objective, categorical splits) or another task' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than IMPORT_BODY_LIMIT_BYTES' })
  importVersion(@Param() params: ModelNameParamDto, @Body() body: ImportModelDto): Promise<ImportResultDto> {
    return this.imports.import(params.name, body);
  }

  /** The version as an XGBoost model file (gbdt, regression forest or imported trees) that Python's xgboost loads. */
  @Get(':name/versions/:version/export')
  @ApiOkResponse({ description: 'The XGBoost JSON model document (as `save_model("model.json")` writes it)' })
  @ApiUnprocessableEntityResponse({ description: 'A model that is not a tree ensemble (REGISTRY.EXPORT_UNSUPPORTED)' })
  @ApiGoneResponse({ description: "The version's artifact was removed by retention (REGISTRY.ARTIFACT_PRUNED)" })
  async exportVersion(
    @Param() params: ModelVersionParamDto,
    @Query() _query: ExportQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const exported = await this.exports.export(params.name, params.version);
    void reply.type('application/json').header('content-disposition', `attachment; filename="${exported.filename}"`);
    return exported.text;
  }

  /** The version's predictions on its run's holdout rows beside the true values (the dashboard's plots). */
  @Get(':name/versions/:version/holdout')
  @ApiOkResponse({
    description: 'regression: {task, actual[], predicted[]}; classification: {task, classes[], actual[], predicted[]}',
  })
  @ApiNotFoundResponse({ description: 'Unknown model or version' })
  @ApiGoneResponse({ description: "The version's artifact was removed by retention (REGISTRY.ARTIFACT_PRUNED)" })
  holdout(@Param() params: ModelVersionParamDto): Promise<object> {
    return this.models.holdout(params.name, params.version);
  }

  /** One version: its run and candidate, dataset version, holdout metrics, input signature, aliases and lineage. */
  @Get(':name/versions/:version')
  @ApiOkResponse({ type: ModelVersionDto })
  @ApiNotFoundResponse({ description: 'Unknown model or version' })
  version(@Param() params: ModelVersionParamDto): Promise<ModelVersionDto> {
    return this.models.version(params.name, params.version);
  }

  /**
   * Moves the champion (or challenger) alias to this version and serves it. Refused with 409, both scores in the
   * message, unless the version beats the champion on the same holdout rows by PROMOTION_MARGIN; `force` overrides.
   */
  @Post(':name/versions/:version/promote')
  @AdminOnly()
  @HttpCode(200)
  @ApiOkResponse({ type: AliasMoveDto })
  @ApiConflictResponse({ description: 'The version loses the gate (REGISTRY.PROMOTION_REFUSED)' })
  @ApiGoneResponse({ description: "The version's artifact was removed by retention (REGISTRY.ARTIFACT_PRUNED)" })
  promote(@Param() params: ModelVersionParamDto, @Body() body: PromoteDto): Promise<AliasMoveDto> {
    return this.models.promote(params.name, params.version, body);
  }

  /** Moves the champion back to the previous champion and serves it. */
  @Post(':name/rollback')
  @AdminOnly()
  @HttpCode(200)
  @ApiOkResponse({ type: AliasMoveDto })
  @ApiConflictResponse({ description: 'There is no previous champion' })
  @ApiGoneResponse({ description: "The version's artifact was removed by retention (REGISTRY.ARTIFACT_PRUNED)" })
  rollback(@Param() params: ModelNameParamDto, @Body() body: RollbackDto): Promise<AliasMoveDto> {
    return this.models.rollback(params.name, body.reason);
  }
}
