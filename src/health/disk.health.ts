import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { mkdir, statfs } from 'node:fs/promises';
import { AppConfig } from '../config/app-config';

/**
 * Free space where the service writes: the data folder (database, raw data) and the models folder. Down when
 * either has less than MIN_FREE_DISK_MB free for unprivileged writers. Terminus's own disk indicator thresholds
 * used space, not free space, so this reads statfs directly.
 */
@Injectable()
export class DiskHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly config: AppConfig,
  ) {}

  async check(key: string): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    const minFreeMb = this.config.MIN_FREE_DISK_MB;
    const folders = { data: this.config.DATA_DIR, models: this.config.MODELS_DIR };
    const details: Record<string, { path: string; freeMb: number }> = {};
    const short: string[] = [];
    for (const [name, path] of Object.entries(folders)) {
      try {
        await mkdir(path, { recursive: true });
        const stats = await statfs(path);
        const freeMb = Math.floor((Number(stats.bavail) * Number(stats.bsize)) / 2 ** 20);
        details[name] = { path, freeMb };
        if (freeMb < minFreeMb) short.push(`${name} folder ${path} has ${freeMb} MB free (needs ${minFreeMb})`);
      } catch (error) {
        short.push(
          `${name} folder ${path} cannot be checked (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
      }
    }
    if (short.length > 0) return session.down({ message: short.join('; '), minFreeMb, ...details });
    return session.up({ minFreeMb, ...details });
  }
}
