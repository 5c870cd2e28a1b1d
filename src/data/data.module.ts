import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataService } from './data.service';
import { DatasetRepository } from './dataset.repository';
import { DatasetsController } from './datasets.controller';
import { DatasetSplitEntity } from './entities/dataset-split.entity';
import { DatasetEntity } from './entities/dataset.entity';
import { HousingDataset } from './housing/housing.dataset';
import { IrisDataset } from './iris/iris.dataset';

/** Loads, validates, versions and splits the data; keeps a profile of every feature. */
@Module({
  imports: [TypeOrmModule.forFeature([DatasetEntity, DatasetSplitEntity])],
  controllers: [DatasetsController],
  providers: [DataService, DatasetRepository, HousingDataset, IrisDataset],
  exports: [DataService],
})
export class DataModule {}
