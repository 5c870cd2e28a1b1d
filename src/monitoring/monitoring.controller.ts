import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DriftService } from './drift.service';
import {
  DriftQueryDto,
  DriftReportDto,
  SummaryDto,
  SummaryQueryDto,
  TimeseriesQueryDto,
  TrafficPointDto,
} from './dto/monitoring.dto';
import { ServiceMetrics } from '../metrics/service-metrics';

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

  @Get('timeseries')
  @ApiOperation({ summary: 'Prediction traffic per step over a window: requests/s, error ratio, p99 latency' })
  @ApiOkResponse({ type: [TrafficPointDto] })
  timeseries(@Query() query: TimeseriesQueryDto): TrafficPointDto[] {
    return this.metrics.stats.series(query.windowSeconds ?? 600, query.stepSeconds ?? 10);
  }

  @Get('summary')
  @ApiOperation({ summary: 'Prediction traffic over a window: volume, error rate, latency percentiles, per version' })
  @ApiOkResponse({ type: SummaryDto })
  summary(@Query() query: SummaryQueryDto): SummaryDto {
    return this.metrics.stats.summary(query.windowSeconds ?? 300);
  }
}
