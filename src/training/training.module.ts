import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataModule } from '../data/data.module';
import { ArtifactLock } from './artifact-lock.service';
import { ArtifactStore } from './artifact-store.service';
import { ExperimentEntity } from './entities/experiment.entity';
import { ImportedRunService } from './imported-run.service';
import { RunEntity } from './entities/run.entity';
import { RunRepository } from './run.repository';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { TrainingService } from './training.service';
import { compiledTrainingWorker, TRAINING_WORKER_SCRIPT, TrainingWorkerClient } from './worker/training-worker.client';

/** Fits linear, random-forest and gradient-boosted-tree candidates in a child process; tracks every run. */
@Module({
  imports: [DataModule, TypeOrmModule.forFeature([ExperimentEntity, RunEntity])],
  controllers: [RunsController],
  providers: [
    TrainingService,
    ImportedRunService,
    ArtifactStore,
    ArtifactLock,
    RunsService,
    RunRepository,
    TrainingWorkerClient,
    { provide: TRAINING_WORKER_SCRIPT, useFactory: compiledTrainingWorker },
  ],
  exports: [TrainingService, ImportedRunService, RunRepository, ArtifactStore, ArtifactLock],
})
export class TrainingModule {}
