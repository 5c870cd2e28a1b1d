import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/auth/auth.decorators';
import { ModelNameParamDto } from './dto/model-name.dto';
import {
  BrokenDefinitionDto,
  DefinitionChangeQueryDto,
  DefinitionRevisionDto,
  ModelDefinitionDto,
} from './dto/definition.dto';
import { DefinitionsService } from './definitions.service';
import { MODEL_DEFINITION_SCHEMA } from './definition-document.schema';

@ApiTags('definitions')
@Controller()
export class DefinitionsController {
  constructor(private readonly definitions: DefinitionsService) {}

  /** The definition in force: the document as written and with every default applied. */
  @Get('models/:name/definition')
  @ApiOkResponse({ type: ModelDefinitionDto })
  get(@Param() params: ModelNameParamDto): ModelDefinitionDto {
    return this.definitions.get(params.name);
  }

  /**
   * Creates or replaces a model's definition (JSON, or YAML with content-type application/yaml). Every problem is
   * listed with its path (400). The model is then prepared and trained like at a first start, while every model
   * keeps serving; a replaced model keeps its champion until the new version wins the gate.
   */
  @Put('models/:name/definition')
  @AdminOnly()
  @HttpCode(200)
  @ApiConsumes('application/json', 'application/yaml')
  @ApiBody({ schema: MODEL_DEFINITION_SCHEMA as object })
  @ApiOkResponse({ type: ModelDefinitionDto })
  @ApiBadRequestResponse({ description: 'The definition breaks rules (DEFINITION.INVALID, every problem listed)' })
  put(
    @Param() params: ModelNameParamDto,
    @Query() query: DefinitionChangeQueryDto,
    @Body() body: unknown,
  ): Promise<ModelDefinitionDto> {
    return this.definitions.put(params.name, body, query.reason);
  }

  /** Retires a model: it is no longer served or retrained; versions, runs and audit trail stay. */
  @Delete('models/:name/definition')
  @AdminOnly()
  @HttpCode(200)
  @ApiOkResponse({ type: DefinitionRevisionDto })
  retire(@Param() params: ModelNameParamDto, @Query() query: DefinitionChangeQueryDto): Promise<DefinitionRevisionDto> {
    return this.definitions.retire(params.name, query.reason);
  }

  /** Every revision set through the API (and retirements), oldest first. */
  @Get('models/:name/definition/history')
  @ApiOkResponse({ type: [DefinitionRevisionDto] })
  history(@Param() params: ModelNameParamDto): Promise<DefinitionRevisionDto[]> {
    return this.definitions.history(params.name);
  }

  /** Definitions refused at load (files), each with every problem. */
  @Get('definitions/broken')
  @ApiOkResponse({ type: [BrokenDefinitionDto] })
  broken(): BrokenDefinitionDto[] {
    return this.definitions.broken();
  }

  /** The JSON Schema of a definition document. */
  @Get('definitions/schema')
  @ApiOkResponse({ schema: { type: 'object' } })
  schema(): object {
    return MODEL_DEFINITION_SCHEMA;
  }
}
