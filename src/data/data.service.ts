import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatasetNotFoundError, UnknownDatasetError } from './data.errors';
import { DatasetRepository } from './dataset.repository';
import type { DataRecord, DatasetDefinition, LoadedTable } from './dataset-definition';
import { DatasetSplitEntity } from './entities/dataset-split.entity';
import { DatasetEntity } from './entities/dataset.entity';
import { DatasetDetailDto, DatasetSummaryDto } from './dto/dataset.dto';
import { transformAll } from './feature-spec';
import { HousingDataset } from './housing/housing.dataset';
import { IrisDataset } from './iris/iris.dataset';
import { FeatureProfile, profileFeatures } from './profile.util';
import { seededSplit } from './split.util';

/** A dataset version and one of its splits, ready for training: the records of each part, in row order. */
export interface PreparedDataset<R extends DataRecord = DataRecord> {
  definition: DatasetDefinition<R>;
  dataset: DatasetEntity;
  split: DatasetSplitEntity;
  table: LoadedTable<R>;
  train: R[];
  test: R[];
}

export interface SplitOptions {
  seed?: number;
  testFraction?: number;
}

/** Rejected rows kept with a dataset version for inspection. */
const REJECTED_SAMPLE = 100;

/**
 * Loads, validates and versions a data set, makes (or reuses) its seeded split, and stores the training-part
 * profile of every feature. Preparing the same bytes with the same split settings again changes nothing.
 */
@Injectable()
export class DataService {
  private readonly logger = new Logger(DataService.name);
  private readonly definitions: ReadonlyMap<string, DatasetDefinition>;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: DatasetRepository,
    housing: HousingDataset,
    iris: IrisDataset,
  ) {
    this.definitions = new Map<string, DatasetDefinition>([
      [housing.name, housing],
      [iris.name, iris],
    ]);
  }

  /** Names of the data sets (and models) the service knows. */
  get names(): string[] {
    return [...this.definitions.keys()];
  }

  definition(name: string): DatasetDefinition {
    const definition = this.definitions.get(name);
    if (!definition) throw new UnknownDatasetError(name, this.names);
    return definition;
  }

  async prepare(name: string, options: SplitOptions = {}): Promise<PreparedDataset> {
    const definition = this.definition(name);
    const seed = options.seed ?? this.config.SPLIT_SEED;
    const testFraction = options.testFraction ?? this.config.TEST_FRACTION;
    const table = await definition.load();
    const dataset = await this.repository.findOrCreateDataset({
      name,
      version: table.version,
      source: table.source,
      rowsRead: table.rowsRead,
      rowsRejected: table.rejected.length,
      valuesImputed: table.valuesImputed,
      rejectedSample: table.rejected.slice(0, REJECTED_SAMPLE),
    });
    const split =
      (await this.repository.findSplit(dataset.id, seed, testFraction)) ??
      (await this.repository.createSplit(this.makeSplit(definition, table, dataset.id, seed, testFraction)));
    const byRow = new Map(table.records.map((record) => [record.row, record]));
    const pick = (rows: number[]): DataRecord[] => rows.map((row) => byRow.get(row) as DataRecord);
    this.logger.log(
      `Prepared ${name} ${table.version.slice(0, 12)}: ${table.rowsRead} rows read, ${table.rejected.length} rejected, ` +
        `${table.valuesImputed} imputed; split seed ${seed}: ${split.trainRows} train / ${split.testRows} test`,
    );
    return { definition, dataset, split, table, train: pick(split.trainIndices), test: pick(split.testIndices) };
  }

  private makeSplit(
    definition: DatasetDefinition,
    table: LoadedTable<DataRecord>,
    datasetId: number,
    seed: number,
    testFraction: number,
  ): Omit<DatasetSplitEntity, 'id' | 'createdAt' | 'dataset'> {
    const { train, test } = seededSplit(table.records.length, testFraction, seed);
    const trainRecords = train.map((i) => table.records[i]);
    const preprocessing = definition.pipeline.fit(trainRecords);
    const matrix = transformAll(definition.pipeline, trainRecords, preprocessing);
    return {
      datasetId,
      seed,
      testFraction,
      trainRows: train.length,
      testRows: test.length,
      trainIndices: trainRecords.map((r) => r.row),
      testIndices: test.map((i) => table.records[i].row),
      preprocessing,
      profile: profileFeatures(matrix, definition.pipeline.spec.features, this.config.PROFILE_BINS),
    };
  }

  async listSummaries(name?: string): Promise<DatasetSummaryDto[]> {
    const datasets = await this.repository.list(name);
    return datasets.map((dataset) => DatasetSummaryDto.from(dataset));
  }

  /**
   * The stored training profile of a split (the drift reference) with its training rows, or null when that split
   * was never stored (e.g. a run trained on a split file).
   */
  async trainingProfile(
    version: string,
    seed: number,
    testFraction: number,
  ): Promise<{ profile: FeatureProfile[]; trainRows: number } | null> {
    const dataset = await this.repository.findByVersion(version);
    const split = dataset?.splits?.find((s) => s.seed === seed && s.testFraction === testFraction);
    return split ? { profile: split.profile, trainRows: split.trainRows } : null;
  }

  async detail(version: string): Promise<DatasetDetailDto> {
    const dataset = await this.repository.findByVersion(version);
    if (!dataset) throw new DatasetNotFoundError(version);
    return DatasetDetailDto.from(dataset);
  }
}
