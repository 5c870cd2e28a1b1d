import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataModule } from '../data/data.module';
import { DefinitionsModule } from '../definitions/definitions.module';
import { TrainingModule } from '../training/training.module';
import { ActiveModels } from './active-models.service';
import { AliasEventEntity } from './entities/alias-event.entity';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { TrafficEventEntity } from './entities/traffic-event.entity';
import { TrafficPolicyEntity } from './entities/traffic-policy.entity';
import { HoldoutEvaluator } from './holdout-evaluator.service';
import { ModelExportService } from './interop/model-export.service';
import { ModelImportService } from './interop/model-import.service';
import { ChampionSync } from './champion-sync.service';
import { ModelRegistryRepository } from './model-registry.repository';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';
import { RegistryService } from './registry.service';
import { TrafficController } from './traffic/traffic.controller';
import { TrafficPolicyRepository } from './traffic/traffic-policy.repository';
import { TrafficRouter } from './traffic/traffic-router.service';
import { TrafficService } from './traffic/traffic.service';

/**
 * Model versions with lineage, champion/challenger aliases, gated promotion, rollback, audit trail, ActiveModels,
 * and the sync that keeps every replica on the champion the database names.
 */
@Module({
  imports: [
    DataModule,
    DefinitionsModule,
    TrainingModule,
    TypeOrmModule.forFeature([
      ModelVersionEntity,
      ModelAliasEntity,
      AliasEventEntity,
      TrafficPolicyEntity,
      TrafficEventEntity,
    ]),
  ],
  controllers: [ModelsController, TrafficController],
  providers: [
    RegistryService,
    ModelsService,
    ModelImportService,
    ModelExportService,
    ModelRegistryRepository,
    ActiveModels,
    HoldoutEvaluator,
    ChampionSync,
    TrafficPolicyRepository,
    TrafficRouter,
    TrafficService,
  ],
  exports: [RegistryService, ActiveModels, ModelRegistryRepository, ChampionSync, TrafficRouter, TrafficService],
})
export class RegistryModule {}
