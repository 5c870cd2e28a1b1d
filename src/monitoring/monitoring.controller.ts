import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DriftService } from './drift.service';
import { DriftQueryDto, DriftReportDto, SummaryDto, SummaryQueryDto } from './dto/monitoring.dto';
import { ServiceMetrics } from './service-metrics';

@ApiTags('monitoring')
@Controller('monitoring')
export class MonitoringController {
  constructor(
    private readonly drift: DriftService,
    private readonly metrics: ServiceMetrics,
  ) {}

  @Get('drift')
  @ApiOperation({
    summary: "Per-feature drift of the served version's recent inputs against its training profile (PSI and KS)",
  })
  @ApiOkResponse({ type: DriftReportDto })
  report(@Query() query: DriftQueryDto): Promise<DriftReportDto> {
    return this.drift.report(query.model);
  }

  @Get('summary')
  @ApiOperation({ summary: 'Prediction traffic over a window: volume, error rate, latency percentiles, per version' })
  @ApiOkResponse({ type: SummaryDto })
  summary(@Query() query: SummaryQueryDto): SummaryDto {
    return this.metrics.stats.summary(query.windowSeconds ?? 300);
  }
}
