import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { ModelDefinition } from '../definitions/model-definition';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { DatasetNotFoundError } from './data.errors';
import { DatasetRepository } from './dataset.repository';
import { DatasetSplitEntity } from './entities/dataset-split.entity';
import { DatasetEntity } from './entities/dataset.entity';
import { DatasetDetailDto, DatasetSummaryDto } from './dto/dataset.dto';
import { FeaturePipeline, transformAll } from './feature-spec';
import { InputRow, ModelDataset } from './model-dataset';
import { FeatureProfile, profileFeatures } from './profile.util';
import { seededSplit, stratifiedSplit } from './split.util';
import type { LoadedTable, TableRecord } from './table/table';

/** A dataset version and one of its splits, ready for training: the records of each part, in row order. */
export interface PreparedDataset {
  model: ModelDataset;
  dataset: DatasetEntity;
  split: DatasetSplitEntity;
  table: LoadedTable;
  /** The pipeline with the split's fitted preprocessing and the table's classes. */
  pipeline: FeaturePipeline<InputRow>;
  train: TableRecord[];
  test: TableRecord[];
}

export interface SplitOptions {
  seed?: number;
  testFraction?: number;
}

/** Definitions of one model whose data (and parsed table) stay cached: the one in force and recent ones served. */
const DATASETS_PER_MODEL = 3;

/** Rejected rows kept with a dataset version for inspection. */
const REJECTED_SAMPLE = 100;

/**
 * Loads, validates and versions a model's data as its definition says, makes (or reuses) its seeded split —
 * stratified by class for classification — and stores the training-part profile of every feature. Preparing the
 * same bytes with the same split settings again changes nothing.
 */
@Injectable()
export class DataService {
  private readonly logger = new Logger(DataService.name);
  /**
   * One ModelDataset (and so one parsed table) per distinct definition, by its JSON: the catalog's definition and
   * the same definition read back from a served version's artifact share it, so the holdout of a promotion does
   * not parse the file again. The newest few per model are kept.
   */
  private readonly datasets = new Map<string, ModelDataset>();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: DatasetRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  /** Names of the models (and their data sets) in force. */
  get names(): string[] {
    return this.catalog.names;
  }

  /** The data of a model in force (ModelNotFoundError for an unknown name). */
  dataset(name: string): ModelDataset {
    return this.forDefinition(this.catalog.require(name));
  }

  /** The data of a given definition (a served version keeps the definition it was trained with). */
  forDefinition(definition: ModelDefinition): ModelDataset {
    const key = JSON.stringify(definition);
    let dataset = this.datasets.get(key);
    if (!dataset) {
      dataset = new ModelDataset(definition, {
        rawDir: this.config.rawDataDir,
        timeoutMs: this.config.DOWNLOAD_TIMEOUT_MS,
        maxRejectedFraction: this.config.DATA_MAX_REJECTED_FRACTION,
        logger: this.logger,
      });
      this.datasets.set(key, dataset);
      const same = [...this.datasets].filter(([, d]) => d.name === definition.name);
      for (const [old] of same.slice(0, -DATASETS_PER_MODEL)) this.datasets.delete(old);
    }
    return dataset;
  }

  /** Prepares a model's data as its definition in force says, or as `definition` (a trained version's) says. */
  async prepare(name: string, options: SplitOptions = {}, definition?: ModelDefinition): Promise<PreparedDataset> {
    const model = definition ? this.forDefinition(definition) : this.dataset(name);
    const seed = options.seed ?? model.definition.split.seed ?? this.config.SPLIT_SEED;
    const testFraction = options.testFraction ?? model.definition.split.testFraction ?? this.config.TEST_FRACTION;
    const table = await model.load();
    const dataset = await this.repository.findOrCreateDataset({
      name,
      version: table.version,
      definitionSha256: model.fingerprint,
      source: table.source,
      rowsRead: table.rowsRead,
      rowsRejected: table.rejected.length,
      valuesImputed: table.valuesImputed,
      rejectedSample: table.rejected.slice(0, REJECTED_SAMPLE),
    });
    const split =
      (await this.repository.findSplit(dataset.id, seed, testFraction)) ??
      (await this.repository.createSplit(this.makeSplit(model, table, dataset.id, seed, testFraction)));
    const byRow = new Map(table.records.map((record) => [record.row, record]));
    const pick = (rows: number[]): TableRecord[] => rows.map((row) => byRow.get(row) as TableRecord);
    this.logger.log(
      `Prepared ${name} ${table.version.slice(0, 12)}: ${table.rowsRead} rows read, ${table.rejected.length} rejected, ` +
        `${table.valuesImputed} imputed; split seed ${seed}: ${split.trainRows} train / ${split.testRows} test`,
    );
    return {
      model,
      dataset,
      split,
      table,
      pipeline: model.pipeline(split.preprocessing, table.classes),
      train: pick(split.trainIndices),
      test: pick(split.testIndices),
    };
  }

  private makeSplit(
    model: ModelDataset,
    table: LoadedTable,
    datasetId: number,
    seed: number,
    testFraction: number,
  ): Omit<DatasetSplitEntity, 'id' | 'createdAt' | 'dataset'> {
    const { train, test } =
      model.definition.task === 'classification'
        ? stratifiedSplit(
            table.records.map((r) => String(r.values[model.definition.target.name])),
            testFraction,
            seed,
          )
        : seededSplit(table.records.length, testFraction, seed);
    const trainRecords = train.map((i) => table.records[i]);
    const preprocessing = model.fit(trainRecords);
    const pipeline = model.pipeline(preprocessing, table.classes);
    // The drift reference: the training rows as the served pipeline sees them (neighbours columns search every
    // training row, as for a request), so that replaying training rows shows no drift.
    const matrix = transformAll(
      pipeline,
      trainRecords.map((r) => r.values),
      preprocessing,
    );
    return {
      datasetId,
      seed,
      testFraction,
      trainRows: train.length,
      testRows: test.length,
      trainIndices: trainRecords.map((r) => r.row),
      testIndices: test.map((i) => table.records[i].row),
      preprocessing,
      profile: profileFeatures(matrix, pipeline.spec.features, this.config.PROFILE_BINS),
    };
  }

  async listSummaries(name?: string): Promise<DatasetSummaryDto[]> {
    const datasets = await this.repository.list(name);
    return datasets.map((dataset) => DatasetSummaryDto.from(dataset));
  }

  /**
   * The stored training profile of a split (the drift reference) with its training rows, or null when that split
   * was never stored (e.g. a run trained on a split file): the split of this model's dataset version read with this
   * definition (rows from before definitions have no fingerprint and stand for any).
   */
  async trainingProfile(
    model: string,
    version: string,
    definition: ModelDefinition,
    seed: number,
    testFraction: number,
  ): Promise<{ profile: FeatureProfile[]; trainRows: number } | null> {
    const fingerprint = this.forDefinition(definition).fingerprint;
    const datasets = await this.repository.findVersions(model, version);
    const dataset =
      datasets.find((d) => d.definitionSha256 === fingerprint) ?? datasets.find((d) => d.definitionSha256 === '');
    const split = dataset?.splits?.find((s) => s.seed === seed && s.testFraction === testFraction);
    return split ? { profile: split.profile, trainRows: split.trainRows } : null;
  }

  async detail(version: string): Promise<DatasetDetailDto> {
    const dataset = await this.repository.findByVersion(version);
    if (!dataset) throw new DatasetNotFoundError(version);
    return DatasetDetailDto.from(dataset);
  }
}
