import { Controller, Get, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PerformanceQueryDto, PerformanceReportDto } from './dto/performance.dto';
import { PerformanceService } from './performance.service';

@ApiTags('monitoring')
@Controller('monitoring')
export class PerformanceController {
  constructor(private readonly performance: PerformanceService) {}

  @Get('performance')
  @ApiOperation({
    summary:
      'Live performance against ground truth (POST /feedback) per version, traffic policy and role, over a window ' +
      'of prediction times, with a series and the holdout scores of the versions present',
  })
  @ApiOkResponse({ type: PerformanceReportDto })
  @ApiNotFoundResponse({ description: 'Unknown model (REGISTRY.MODEL_NOT_FOUND)' })
  report(@Query() query: PerformanceQueryDto): Promise<PerformanceReportDto> {
    return this.performance.report(query.model, query.windowSeconds, query);
  }
}
