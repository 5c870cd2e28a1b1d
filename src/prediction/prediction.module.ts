import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataModule } from '../data/data.module';
import { DefinitionsModule } from '../definitions/definitions.module';
import { HealthModule } from '../health/health.module';
import { RegistryModule } from '../registry/registry.module';
import { PredictionEntity } from './entities/prediction.entity';
import { MlflowController } from './mlflow.controller';
import { MlflowService } from './mlflow.service';
import { InputValidators } from './model-input.validator';
import { PredictionApiService } from './prediction-api.service';
import { PredictionLogRepository } from './prediction-log.repository';
import { PredictionLogService } from './prediction-log.service';
import {
  compiledPredictionLogWorker,
  PREDICTION_LOG_WORKER_SCRIPT,
  PredictionLogWriter,
} from './prediction-log.writer';
import { PredictionService } from './prediction.service';
import { PredictionsController } from './predictions.controller';
import { ShadowScorer } from './shadow-scorer.service';
import { V2Controller } from './v2.controller';
import { V2Service } from './v2.service';

/** Single and batch predictions, MLflow and Open Inference protocols, strict validation, the prediction log. */
@Module({
  imports: [DataModule, DefinitionsModule, RegistryModule, HealthModule, TypeOrmModule.forFeature([PredictionEntity])],
  controllers: [PredictionsController, MlflowController, V2Controller],
  providers: [
    PredictionService,
    PredictionApiService,
    InputValidators,
    PredictionLogService,
    PredictionLogRepository,
    PredictionLogWriter,
    { provide: PREDICTION_LOG_WORKER_SCRIPT, useFactory: compiledPredictionLogWorker },
    MlflowService,
    V2Service,
    ShadowScorer,
  ],
  exports: [PredictionLogService],
})
export class PredictionModule {}
