import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { AdminOnly } from '../common/auth/auth.decorators';
import { ApiAcceptedResponse, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListRetrainJobsQueryDto, RetrainJobDto, RetrainJobParamsDto, RetrainRequestDto } from './dto/retrain.dto';
import { RetrainingService } from './retraining.service';

@ApiTags('retraining')
@Controller('retrain')
export class RetrainingController {
  constructor(private readonly retraining: RetrainingService) {}

  @Post()
  @AdminOnly()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a retraining (data → train → gate → register → promote → hot-swap); 202 with the job',
  })
  @ApiAcceptedResponse({ type: RetrainJobDto })
  @ApiConflictResponse({ description: 'A retraining of this model is already running' })
  async start(@Body() body: RetrainRequestDto): Promise<RetrainJobDto> {
    const job = await this.retraining.start(body.model, {
      trigger: 'api',
      reason: `api: ${body.reason ?? 'requested'}`,
      candidates: body.candidates,
      force: body.force,
    });
    return RetrainJobDto.from(job);
  }

  @Get('jobs')
  @ApiOperation({ summary: 'Retraining jobs, newest first' })
  @ApiOkResponse({ type: [RetrainJobDto] })
  async list(@Query() query: ListRetrainJobsQueryDto): Promise<RetrainJobDto[]> {
    return (await this.retraining.list(query.model, query.limit ?? 50)).map((job) => RetrainJobDto.from(job));
  }

  @Get('jobs/:id')
  @ApiOperation({ summary: 'One retraining job: status, stages, outcome, versions, gate comparison, error' })
  @ApiOkResponse({ type: RetrainJobDto })
  async get(@Param() params: RetrainJobParamsDto): Promise<RetrainJobDto> {
    return RetrainJobDto.from(await this.retraining.job(params.id));
  }
}
