import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DefinitionRepository } from './definition.repository';
import { DefinitionsController } from './definitions.controller';
import { DefinitionsService } from './definitions.service';
import { ModelDefinitionEntity } from './entities/model-definition.entity';
import { ModelCatalog } from './model-catalog.service';

/** Models as data: the definitions in force (built-in, MODEL_DEFINITIONS_DIR, admin API) and their history. */
@Module({
  imports: [TypeOrmModule.forFeature([ModelDefinitionEntity])],
  controllers: [DefinitionsController],
  providers: [ModelCatalog, DefinitionRepository, DefinitionsService],
  exports: [ModelCatalog],
})
export class DefinitionsModule {}
