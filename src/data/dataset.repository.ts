import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isUniqueViolation } from '../database/unique-violation.util';
import { DatasetSplitEntity } from './entities/dataset-split.entity';
import { DatasetEntity } from './entities/dataset.entity';

type NewDataset = Omit<DatasetEntity, 'id' | 'createdAt' | 'splits'>;
type NewSplit = Omit<DatasetSplitEntity, 'id' | 'createdAt' | 'dataset'>;

/** Dataset versions and their splits. Creation is idempotent, also when two processes race to create a row. */
@Injectable()
export class DatasetRepository {
  constructor(
    @InjectRepository(DatasetEntity) private readonly datasets: Repository<DatasetEntity>,
    @InjectRepository(DatasetSplitEntity) private readonly splits: Repository<DatasetSplitEntity>,
  ) {}

  async findOrCreateDataset(values: NewDataset): Promise<DatasetEntity> {
    const where = { name: values.name, version: values.version, definitionSha256: values.definitionSha256 };
    const existing = await this.datasets.findOneBy(where);
    if (existing) return existing;
    try {
      return await this.datasets.save(this.datasets.create(values));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.datasets.findOneByOrFail(where);
    }
  }

  /** The split with its row indices, or null. */
  findSplit(datasetId: number, seed: number, testFraction: number): Promise<DatasetSplitEntity | null> {
    return this.splits
      .createQueryBuilder('split')
      .addSelect(['split.trainIndices', 'split.testIndices'])
      .where({ datasetId, seed, testFraction })
      .getOne();
  }

  /** Stores a new split; when another process stored the same split first, returns that one. */
  async createSplit(values: NewSplit): Promise<DatasetSplitEntity> {
    try {
      return await this.splits.save(this.splits.create(values));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.findSplit(values.datasetId, values.seed, values.testFraction);
      if (!raced) throw error;
      return raced;
    }
  }

  /** Every dataset version, newest first, with split summaries (no indices, no profiles). */
  list(name?: string): Promise<DatasetEntity[]> {
    const query = this.datasets
      .createQueryBuilder('dataset')
      .leftJoin('dataset.splits', 'split')
      .addSelect([
        'split.id',
        'split.seed',
        'split.testFraction',
        'split.trainRows',
        'split.testRows',
        'split.createdAt',
      ])
      .orderBy('dataset.id', 'DESC')
      .addOrderBy('split.id', 'ASC');
    if (name) query.where('dataset.name = :name', { name });
    return query.getMany();
  }

  /** One dataset version with its splits and their profiles (the newest row when several models or definitions read it). */
  findByVersion(version: string): Promise<DatasetEntity | null> {
    return this.datasets.findOne({
      where: { version },
      relations: { splits: true },
      order: { id: 'DESC', splits: { id: 'ASC' } },
    });
  }

  /** A model's rows of a dataset version (one per definition it was read with), newest first, with their splits. */
  findVersions(name: string, version: string): Promise<DatasetEntity[]> {
    return this.datasets.find({
      where: { name, version },
      relations: { splits: true },
      order: { id: 'DESC', splits: { id: 'ASC' } },
    });
  }
}
