import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { ActiveModels } from '../registry/active-models.service';
import { ModelRegistryRepository } from '../registry/model-registry.repository';
import { RegistryService } from '../registry/registry.service';
import { RetrainInProgressError } from './retraining.errors';
import { RetrainingService } from './retraining.service';

/**
 * At start, serves each model's champion (a process that serves). A model with no champion (a fresh clone, or a
 * new database) gets a `bootstrap` retraining job when AUTO_TRAIN_ON_START is on: the first process to ask queues
 * it, a process that trains runs it (this one when its role is `all`), and the best candidate is registered and
 * promoted; replicas then serve it like any promotion. Runs after the server listens, so liveness answers at once
 * while readiness waits for the models.
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
    private readonly active: ActiveModels,
    private readonly retraining: RetrainingService,
  ) {}

  onApplicationBootstrap(): void {
    this.done = this.bootstrapAll();
  }

  /** Resolves when every model has been loaded or trained (or has failed, which is logged). */
  settled(): Promise<void> {
    return this.done;
  }

  private async bootstrapAll(): Promise<void> {
    const champions = new Map((await this.repository.championStates()).map((s) => [s.model, s]));
    // One model after another, as a first start always trained them (the training thread and the memory are one).
    for (const name of this.data.names) {
      try {
        const champion = champions.get(name);
        if (champion) {
          if (!this.config.serves) continue; // a worker loads versions only to gate them
          const model = await this.active.load(await this.registry.version(name, champion.version));
          this.active.activate(model, champion.sequence);
        } else {
          await this.train(name);
        }
      } catch (error) {
        this.logger.error(`Could not serve ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private async train(name: string): Promise<void> {
    if (!this.config.AUTO_TRAIN_ON_START) {
      this.logger.warn(`${name} has no champion and AUTO_TRAIN_ON_START is off: it is not served`);
      return;
    }
    let id: string;
    try {
      id = (await this.retraining.start(name, { trigger: 'bootstrap', reason: 'no champion at first start' })).id;
      this.logger.log(`${name} has no champion: training the default candidates (job ${id})`);
    } catch (error) {
      if (!(error instanceof RetrainInProgressError)) throw error;
      const [job] = await this.retraining.list(name, 1);
      this.logger.log(`${name} has no champion: waiting for retraining job ${job?.id ?? '?'} (queued elsewhere)`);
      if (!job) return;
      id = job.id;
    }
    const job = await this.retraining.wait(id);
    if (job.status !== 'succeeded')
      this.logger.error(`The first training of ${name} ended ${job.status}: ${job.error}`);
  }
}
