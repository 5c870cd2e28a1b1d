import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataService } from './data.service';
import { DatasetRepository } from './dataset.repository';
import { DatasetsController } from './datasets.controller';
import { DatasetSplitEntity } from './entities/dataset-split.entity';
import { DatasetEntity } from './entities/dataset.entity';
import { DefinitionsModule } from '../definitions/definitions.module';

/** Loads, validates, versions and splits each model's data as its definition says; keeps a profile of every feature. */
@Module({
  imports: [DefinitionsModule, TypeOrmModule.forFeature([DatasetEntity, DatasetSplitEntity])],
  controllers: [DatasetsController],
  providers: [DataService, DatasetRepository],
  exports: [DataService],
})
export class DataModule {}
