import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DefinitionsModule } from '../../definitions/definitions.module';
import { PredictionEntity } from '../../prediction/entities/prediction.entity';
import { RegistryModule } from '../../registry/registry.module';
import { DecisionEntity } from '../entities/decision.entity';
import { FeedbackEntity } from '../entities/feedback.entity';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';
import { DecisionRepository } from './decision.repository';
import { EvaluationController } from './evaluation.controller';
import { EvaluationRepository } from './evaluation.repository';
import { EvaluationService } from './evaluation.service';
import { PreviousChampionScorer } from './previous-champion.scorer';

/**
 * The online evaluation's decisions on live performance: experiments promoted or ended, degraded champions
 * retrained or rolled back, each audited in `decisions` (the retraining itself reacts to `performance.degraded`).
 */
@Module({
  imports: [
    DefinitionsModule,
    RegistryModule,
    TypeOrmModule.forFeature([PredictionOutcomeEntity, DecisionEntity, FeedbackEntity, PredictionEntity]),
  ],
  controllers: [EvaluationController],
  providers: [EvaluationService, EvaluationRepository, DecisionRepository, PreviousChampionScorer],
  exports: [EvaluationService],
})
export class EvaluationModule {}
