import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataModule } from '../data/data.module';
import { PredictionModule } from '../prediction/prediction.module';
import { RegistryModule } from '../registry/registry.module';
import { TrainingModule } from '../training/training.module';
import { DriftService } from './drift.service';
import { DecisionEntity } from './entities/decision.entity';
import { FeedbackEntity } from './entities/feedback.entity';
import { PredictionOutcomeEntity } from './entities/prediction-outcome.entity';
import { MonitoringController } from './monitoring.controller';

/** Drift detection and the traffic summary (the metrics themselves live in the global MetricsModule). */
@Module({
  imports: [
    DataModule,
    TrainingModule,
    RegistryModule,
    PredictionModule,
    TypeOrmModule.forFeature([FeedbackEntity, PredictionOutcomeEntity, DecisionEntity]),
  ],
  controllers: [MonitoringController],
  providers: [DriftService],
  exports: [DriftService],
})
export class MonitoringModule {}
