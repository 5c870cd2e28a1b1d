import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { AdminOnly } from '../common/auth/auth.decorators';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  constructor(private readonly models: ModelsService) {}

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

  /** The version's predictions on its run's holdout rows beside the true values (the dashboard's plots). */
  @Get(':name/versions/:version/holdout')
  @ApiOkResponse({
    description: 'regression: {task, actual[], predicted[]}; classification: {task, classes[], actual[], predicted[]}',
  })
  @ApiNotFoundResponse({ description: 'Unknown model or version' })
  holdout(@Param() params: ModelVersionParamDto): Promise<object> {
    return this.models.holdout(params.name, params.version);
  }

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
  promote(@Param() params: ModelVersionParamDto, @Body() body: PromoteDto): Promise<AliasMoveDto> {
    return this.models.promote(params.name, params.version, body);
  }

  /** Moves the champion back to the previous champion and serves it. */
  @Post(':name/rollback')
  @AdminOnly()
  @HttpCode(200)
  @ApiOkResponse({ type: AliasMoveDto })
  @ApiConflictResponse({ description: 'There is no previous champion' })
  rollback(@Param() params: ModelNameParamDto, @Body() body: RollbackDto): Promise<AliasMoveDto> {
    return this.models.rollback(params.name, body.reason);
  }
}
