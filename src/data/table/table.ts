import type { FieldProblem } from '../../common/errors/domain.error';

/** One cell value of an accepted data row: a number, a category or label (string), or missing (null). */
export type CellValue = number | string | null;

/**
 * An accepted row of a model's data file: its 0-based data-row index in the file (header excluded), and in
 * `values` every input field of the definition by name plus the target column (a number for regression, the label
 * for classification). `values` has the shape of a request row, so training and serving share one pipeline.
 */
export interface TableRecord {
  row: number;
  values: Record<string, CellValue>;
}

/** A loaded, validated data file before splitting. */
export interface LoadedTable {
  name: string;
  /** sha256 of the raw bytes, hex: the dataset version. */
  version: string;
  /** File path, URL or package the bytes came from. */
  source: string;
  rowsRead: number;
  /** One entry per rejected row: its first broken rule, with its 1-based line number. */
  rejected: FieldProblem[];
  /** Missing input values in accepted rows (imputed by the feature pipeline). */
  valuesImputed: number;
  records: TableRecord[];
  /** Classification: the class labels, in model output order (declared, or the sorted distinct labels). */
  classes?: string[];
}
