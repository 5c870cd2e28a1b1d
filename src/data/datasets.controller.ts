import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DataService } from './data.service';
import { DatasetDetailDto, DatasetSummaryDto, DatasetVersionParamDto, ListDatasetsQueryDto } from './dto/dataset.dto';

@ApiTags('datasets')
@Controller('datasets')
export class DatasetsController {
  constructor(private readonly data: DataService) {}

  /** Dataset versions, newest first, with their splits. */
  @Get()
  @ApiOkResponse({ type: [DatasetSummaryDto] })
  list(@Query() query: ListDatasetsQueryDto): Promise<DatasetSummaryDto[]> {
    return this.data.listSummaries(query.name);
  }

  /** One dataset version with its splits, imputation values and the profile of every feature. */
  @Get(':version')
  @ApiOkResponse({ type: DatasetDetailDto })
  @ApiNotFoundResponse({ description: 'No dataset with that version (code DATA.DATASET_NOT_FOUND)' })
  get(@Param() params: DatasetVersionParamDto): Promise<DatasetDetailDto> {
    return this.data.detail(params.version);
  }
}
