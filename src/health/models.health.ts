import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DataService } from '../data/data.service';
import { ActiveModels } from '../registry/active-models.service';

/**
 * Every model is served: its champion loaded, sha256-checked and warmed up. Down names the models that are not;
 * each entry also reports the last version refused at load, if any.
 */
@Injectable()
export class ModelsHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly data: DataService,
    private readonly active: ActiveModels,
  ) {}

  check(key: string): HealthIndicatorResult {
    const session = this.indicators.check(key);
    const models: Record<string, object> = {};
    const missing: string[] = [];
    for (const name of this.data.names) {
      const served = this.active.get(name);
      const lastLoadFailure = this.active.lastLoadFailure(name);
      if (!served) missing.push(name);
      models[name] = {
        served: served !== undefined,
        ...(served ? { version: served.version, candidate: served.candidate, loadedAt: served.loadedAt } : {}),
        ...(lastLoadFailure ? { lastLoadFailure } : {}),
      };
    }
    if (missing.length > 0) return session.down({ message: `not served yet: ${missing.join(', ')}`, ...models });
    return session.up(models);
  }
}
