import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataModule } from '../data/data.module';
import { DefinitionsModule } from '../definitions/definitions.module';
import { RegistryModule } from '../registry/registry.module';
import { TrainingModule } from '../training/training.module';
import { RetrainJobEntity } from './entities/retrain-job.entity';
import { ModelBootstrapService } from './model-bootstrap.service';
import { RetrainScheduler } from './retrain.scheduler';
import { RetrainJobRepository } from './retrain-job.repository';
import { RetrainingController } from './retraining.controller';
import { RetrainingService } from './retraining.service';

/** The retraining pipeline, its triggers (cron, HTTP, drift, new definitions), its queue of jobs shared by every process,
 * and the first training of models without a champion. */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    TypeOrmModule.forFeature([RetrainJobEntity]),
    DataModule,
    DefinitionsModule,
    TrainingModule,
    RegistryModule,
  ],
  controllers: [RetrainingController],
  providers: [RetrainingService, RetrainScheduler, RetrainJobRepository, ModelBootstrapService],
  exports: [RetrainingService, RetrainScheduler, ModelBootstrapService],
})
export class RetrainingModule {}
