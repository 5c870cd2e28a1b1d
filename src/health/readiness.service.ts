import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { DiskHealthIndicator } from './disk.health';
import { ModelsHealthIndicator } from './models.health';

/**
 * What "ready" means, in one place for /health/ready, /health and the Open Inference /v2/health/ready: the
 * database answers, every model is served (a worker serves none, so not for it), and the data and models folders
 * have room.
 */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly models: ModelsHealthIndicator,
    private readonly disk: DiskHealthIndicator,
  ) {}

  /**
   * The terminus result. When a check is down, throws a 503 whose message names each failing check and whose
   * details carry every check's result.
   */
  async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 1000 }),
        ...(this.config.serves ? [() => this.models.check('models')] : []),
        () => this.disk.check('disk'),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      throw new ServiceUnavailableException({ ...result, message: `Not ready: ${failing(result).join('; ')}` });
    }
  }

  /** The names and messages of the failing checks; empty when ready. */
  async problems(): Promise<string[]> {
    try {
      await this.check();
      return [];
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return failing(error.getResponse() as HealthCheckResult);
    }
  }
}

function failing(result: HealthCheckResult): string[] {
  return Object.entries(result.error ?? {}).map(([key, value]) => {
    const message = (value as { message?: unknown }).message;
    return `${key} (${typeof message === 'string' ? message : 'down'})`;
  });
}
