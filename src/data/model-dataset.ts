import { definitionFingerprint } from '../definitions/definition-fingerprint.util';
import type { ModelDefinition } from '../definitions/model-definition';
import type { FeaturePipeline, Preprocessing } from './feature-spec';
import { compilePipeline, fitPreprocessing, targetValue } from './pipeline/definition-pipeline';
import { sha256 } from '../common/crypto/sha256.util';
import { parseTable } from './table/csv-table.parser';
import type { LoadedTable, TableRecord } from './table/table';
import { maxRejectedFraction, readSourceBytes, TableSourceOptions } from './table/table-source';

/** An input row as the pipeline reads it: a request row, or the values of a data row. */
export type InputRow = Record<string, unknown>;

/**
 * One model's data, as its definition describes it: where the rows come from and how they are validated, how
 * preprocessing is fitted on a training part, how features and the target are computed. One instance per
 * definition in force; it keeps the last table it parsed while the source bytes stay the same.
 */
export class ModelDataset {
  /** The last table parsed, reused while the bytes (their sha256) and source stay the same. */
  private cached?: LoadedTable;
  /** What the definition says about reading and transforming the data (see definitionFingerprint). */
  readonly fingerprint: string;

  constructor(
    readonly definition: ModelDefinition,
    private readonly options: TableSourceOptions,
  ) {
    this.fingerprint = definitionFingerprint(definition);
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * Reads (or downloads) the source and validates every row. Unchanged bytes (the common case of a scheduled
   * retraining) are not parsed again: parsing 20,640 housing rows takes the serving thread about 0.3 s.
   */
  async load(): Promise<LoadedTable> {
    const { bytes, source, parsed } = await readSourceBytes(this.definition, this.options);
    const version = sha256(bytes);
    if (this.cached?.version === version && this.cached.source === source) return this.cached;
    const table =
      parsed ?? parseTable(bytes, source, this.definition, maxRejectedFraction(this.definition, this.options));
    this.cached = {
      name: this.name,
      version,
      source,
      rowsRead: table.rowsRead,
      rejected: table.rejected,
      valuesImputed: table.missingValues,
      records: table.records,
      classes: table.classes,
    };
    return this.cached;
  }

  /** Imputation values and learned category values, from the training part only. */
  fit(train: readonly TableRecord[]): Preprocessing {
    return fitPreprocessing(
      this.definition,
      train.map((r) => r.values),
    );
  }

  /** The feature pipeline of a trained version: this definition with that version's fitted values and classes. */
  pipeline(preprocessing: Preprocessing, classes?: readonly string[]): FeaturePipeline<InputRow> {
    return compilePipeline(this.definition, preprocessing, classes ? [...classes] : undefined);
  }

  /** The model's target of a data row: the value in the model's unit, or the class index. */
  target(record: TableRecord, classes?: readonly string[]): number {
    return targetValue(
      this.definition,
      record.values[this.definition.target.name] as number | string,
      classes ? [...classes] : undefined,
    );
  }
}
