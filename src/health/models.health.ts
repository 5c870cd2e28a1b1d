import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DataService } from '../data/data.service';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ActiveModels } from '../registry/active-models.service';

/**
 * Every model defined at start is served: its champion loaded, sha256-checked and warmed up. Down names the models
 * that are not (models added through the API at run time are listed without counting);
 * each entry also reports the last version refused at load, if any. Definitions refused at load are listed under
 * `brokenDefinitions` with their problems; they do not make the service unready (the other models serve).
 */
@Injectable()
export class ModelsHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly data: DataService,
    private readonly active: ActiveModels,
    private readonly catalog: ModelCatalog,
  ) {}

  check(key: string): HealthIndicatorResult {
    const session = this.indicators.check(key);
    const models: Record<string, object> = {};
    const missing: string[] = [];
    for (const name of this.data.names) {
      const served = this.active.get(name);
      const lastLoadFailure = this.active.lastLoadFailure(name);
      // A model added through the API at run time is reported, but does not make the service unready while
      // its first training runs or if it fails: the other models serve.
      const required = this.catalog.entry(name)?.atStart ?? true;
      if (!served && required) missing.push(name);
      models[name] = {
        served: served !== undefined,
        ...(required ? {} : { addedAtRunTime: true }),
        ...(served ? { version: served.version, candidate: served.candidate, loadedAt: served.loadedAt } : {}),
        ...(lastLoadFailure ? { lastLoadFailure } : {}),
      };
    }
    const broken = this.catalog.brokenDefinitions();
    const details = broken.length > 0 ? { ...models, brokenDefinitions: broken } : models;
    if (missing.length > 0) return session.down({ message: `not served yet: ${missing.join(', ')}`, ...details });
    return session.up(details);
  }
}
