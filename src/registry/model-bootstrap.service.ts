import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { TrainingService } from '../training/training.service';
import { ActiveModels } from './active-models.service';
import { bestRun } from './best-run.util';
import { ModelRegistryRepository } from './model-registry.repository';
import { RegistryService } from './registry.service';

/**
 * At start, serves each model's champion. A model with no champion (a fresh clone) is trained with the default
 * candidates when AUTO_TRAIN_ON_START is on, and the best run is registered and promoted. Runs after the server
 * listens, so liveness answers at once while readiness waits for the models.
 */
@Injectable()
export class ModelBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ModelBootstrapService.name);
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly data: DataService,
    private readonly repository: ModelRegistryRepository,
    private readonly registry: RegistryService,
    private readonly training: TrainingService,
    private readonly active: ActiveModels,
  ) {}

  onApplicationBootstrap(): void {
    this.done = this.bootstrapAll();
  }

  /** Resolves when every model has been loaded or trained (or has failed, which is logged). */
  settled(): Promise<void> {
    return this.done;
  }

  private async bootstrapAll(): Promise<void> {
    for (const name of this.data.names) {
      try {
        await this.bootstrap(name);
      } catch (error) {
        this.logger.error(`Could not serve ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private async bootstrap(name: string): Promise<void> {
    const champion = await this.repository.findAlias(name, 'champion');
    if (champion !== undefined) {
      this.active.activate(await this.active.load(await this.registry.version(name, champion)));
      return;
    }
    if (!this.config.AUTO_TRAIN_ON_START) {
      this.logger.warn(`${name} has no champion and AUTO_TRAIN_ON_START is off: it is not served`);
      return;
    }
    this.logger.log(`${name} has no champion: training the default candidates`);
    const runs = await this.training.train(name);
    const best = bestRun(this.data.dataset(name).definition.gate.metric, runs);
    const version = await this.registry.register(name, best.id);
    await this.registry.promote(name, version.version, {
      actor: 'system',
      reason: `best of ${runs.length} candidates at first start`,
    });
  }
}
