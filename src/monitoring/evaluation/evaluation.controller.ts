import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../../common/auth/auth.decorators';
import {
  DecisionDto,
  DecisionsQueryDto,
  EvaluateQueryDto,
  EvaluationRunDto,
  ExperimentQueryDto,
  ExperimentReportDto,
} from './dto/evaluation.dto';
import { EvaluationService } from './evaluation.service';

@ApiTags('monitoring')
@Controller('monitoring')
export class EvaluationController {
  constructor(private readonly evaluation: EvaluationService) {}

  @Get('experiments')
  @ApiOperation({
    summary:
      "The experiment of a model's traffic policy: per arm n and live metric, each challenger's difference with " +
      'the champion (always-valid confidence sequence and fixed-sample interval), and the decision rule',
  })
  @ApiOkResponse({ type: ExperimentReportDto })
  experiment(@Query() query: ExperimentQueryDto): Promise<ExperimentReportDto> {
    return this.evaluation.experiment(query.model);
  }

  @Get('decisions')
  @ApiOperation({ summary: 'Decisions of the online evaluation with their evidence, newest first (the audit trail)' })
  @ApiOkResponse({ type: [DecisionDto] })
  decisions(@Query() query: DecisionsQueryDto): Promise<DecisionDto[]> {
    return this.evaluation.decisions(query.model, query.limit);
  }

  @Post('evaluate')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run an evaluation round now (every model, or one): experiments and live degradation, and decide',
  })
  @ApiOkResponse({ type: EvaluationRunDto })
  evaluate(@Query() query: EvaluateQueryDto): Promise<EvaluationRunDto> {
    return this.evaluation.evaluate(query.model);
  }
}
