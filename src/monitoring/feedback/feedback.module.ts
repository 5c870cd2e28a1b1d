import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PredictionEntity } from '../../prediction/entities/prediction.entity';
import { PredictionModule } from '../../prediction/prediction.module';
import { FeedbackEntity } from '../entities/feedback.entity';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';
import { PerformanceModule } from '../performance/performance.module';
import { FeedbackController } from './feedback.controller';
import { FeedbackRepository } from './feedback.repository';
import { FeedbackService } from './feedback.service';
import { LogJoinService } from './log-join.service';

/**
 * Ground truth joined to the prediction log (`POST /feedback`), and the live performance computed from it
 * (PerformanceModule, imported here so that one entry in AppModule brings both; other modules import it directly).
 */
@Module({
  imports: [
    PredictionModule,
    PerformanceModule,
    TypeOrmModule.forFeature([PredictionEntity, FeedbackEntity, PredictionOutcomeEntity]),
  ],
  controllers: [FeedbackController],
  providers: [FeedbackService, FeedbackRepository, LogJoinService],
  exports: [PerformanceModule],
})
export class FeedbackModule {}
