import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DefinitionsModule } from '../../definitions/definitions.module';
import { RegistryModule } from '../../registry/registry.module';
import { PredictionOutcomeEntity } from '../entities/prediction-outcome.entity';
import { PerformanceController } from './performance.controller';
import { PerformanceRepository } from './performance.repository';
import { PerformanceService } from './performance.service';

/** Live performance from the prediction outcomes: `GET /monitoring/performance` and the live_* gauges. */
@Module({
  imports: [DefinitionsModule, RegistryModule, TypeOrmModule.forFeature([PredictionOutcomeEntity])],
  controllers: [PerformanceController],
  providers: [PerformanceService, PerformanceRepository],
  exports: [PerformanceService],
})
export class PerformanceModule {}
