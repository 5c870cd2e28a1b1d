import { Controller, Get } from '@nestjs/common';
import { PublicRoute } from '../common/auth/auth.decorators';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ReadinessService } from './readiness.service';

/** Liveness never depends on the database or the models; readiness checks everything serving needs. */
@ApiTags('health')
@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessService,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'The process answers (no dependency is checked)' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Database ping, every model served and warmed, free disk for data and models; 503 naming the failing check',
  })
  ready(): Promise<HealthCheckResult> {
    return this.readiness.check();
  }

  /** The older API's health route: answers like /health/ready. */
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Same as /health/ready (compatibility with the older API)' })
  index(): Promise<HealthCheckResult> {
    return this.readiness.check();
  }
}
