import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ExperimentDto, ListRunsQueryDto, RunDto, RunIdParamDto } from './dto/run.dto';
import { RunsService } from './runs.service';

@ApiTags('training')
@Controller()
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  /** One experiment per model, with its number of runs. */
  @Get('experiments')
  @ApiOkResponse({ type: [ExperimentDto] })
  experiments(): Promise<ExperimentDto[]> {
    return this.runs.experiments();
  }

  /** Runs, newest first, optionally of one model, candidate or status. */
  @Get('runs')
  @ApiOkResponse({ type: [RunDto] })
  list(@Query() query: ListRunsQueryDto): Promise<RunDto[]> {
    return this.runs.list(query);
  }

  /** One run: parameters, holdout metrics, cross-validation, timing, lineage, artifact. */
  @Get('runs/:id')
  @ApiOkResponse({ type: RunDto })
  @ApiNotFoundResponse({ description: 'No run with that id (code TRAINING.RUN_NOT_FOUND)' })
  get(@Param() params: RunIdParamDto): Promise<RunDto> {
    return this.runs.get(params.id);
  }
}
