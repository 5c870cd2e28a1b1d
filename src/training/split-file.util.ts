import type { LoadedTable, TableRecord } from '../data/table/table';
import { TrainingInputError } from './training.errors';

/**
 * Reads a split file `{"train": [...], "test": [...]}` of 0-based data-row indices (the header is not a row), as
 * scikit-learn's train_test_split would give them, and returns the records of each part. Every index must name an
 * accepted row of the data file, and no row may be in both parts.
 */
export function readSplitFile(
  text: string,
  file: string,
  table: LoadedTable,
): { train: TableRecord[]; test: TableRecord[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TrainingInputError(`${file}: not a readable JSON file`);
  }
  const { train, test } = (json ?? {}) as { train?: unknown; test?: unknown };
  const byRow = new Map(table.records.map((r) => [r.row, r]));
  const pick = (name: string, value: unknown): TableRecord[] => {
    if (!Array.isArray(value) || value.length === 0) {
      throw new TrainingInputError(`${file}: "${name}" must be a non-empty array of row indices`);
    }
    return value.map((index: unknown, i) => {
      const record = Number.isInteger(index) ? byRow.get(index as number) : undefined;
      if (!record) {
        throw new TrainingInputError(
          `${file}: ${name}[${i}] is not the index of an accepted data row (0..${table.rowsRead - 1})`,
        );
      }
      return record;
    });
  };
  const trainRecords = pick('train', train);
  const testRecords = pick('test', test);
  const inTrain = new Set(trainRecords.map((r) => r.row));
  const shared = testRecords.find((r) => inTrain.has(r.row));
  if (shared) throw new TrainingInputError(`${file}: row ${shared.row} is in both train and test`);
  return { train: trainRecords, test: testRecords };
}
