import { Controller, Get, Res } from '@nestjs/common';
import { PublicRoute } from '../common/auth/auth.decorators';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { ServiceMetrics } from './service-metrics';

/** `GET /metrics` in the Prometheus text format (the path is set by PrometheusModule). */
@ApiTags('monitoring')
@PublicRoute()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly metrics: ServiceMetrics) {
    super();
  }

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics: HTTP, predictions, models, retraining, drift, prediction log, process',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4' })
  override index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    this.metrics.beforeScrape();
    return super.index(response);
  }
}
