import type { FieldProblem } from '../common/errors/domain.error';
import type { FeaturePipeline } from './feature-spec';

/** Every accepted record knows its 0-based data-row index in the raw file (header excluded). */
export interface DataRecord {
  row: number;
}

/** A loaded, validated data file (or package data) before splitting. */
export interface LoadedTable<R extends DataRecord> {
  name: string;
  /** sha256 of the raw bytes, hex: the dataset version. */
  version: string;
  /** File path, URL or package the bytes came from. */
  source: string;
  rowsRead: number;
  rejected: FieldProblem[];
  /** Missing values that the pipeline imputes. */
  valuesImputed: number;
  records: R[];
}

/** What the data module knows of one named data set: how to load it, its features and its target. */
export interface DatasetDefinition<R extends DataRecord = DataRecord> {
  readonly name: string;
  readonly pipeline: FeaturePipeline<R>;
  load(): Promise<LoadedTable<R>>;
  /** Regression target (model units) or class index. */
  target(record: R): number;
}
