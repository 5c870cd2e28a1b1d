import type { LoadedTable } from '../data/table/table';
import { readSplitFile } from './split-file.util';
import { TrainingInputError } from './training.errors';

describe('readSplitFile', () => {
  // Row 2 of the file was rejected, so it is not a valid index.
  const table: LoadedTable = {
    name: 't',
    version: 'v',
    source: 's',
    rowsRead: 5,
    rejected: [],
    valuesImputed: 0,
    records: [0, 1, 3, 4].map((row) => ({ row, values: {} })),
  };
  const read = (json: unknown) => readSplitFile(JSON.stringify(json), 'split.json', table);

  it('returns the records of each part, by data-row index', () => {
    const { train, test } = read({ train: [0, 3, 4], test: [1] });
    expect(train.map((r) => r.row)).toEqual([0, 3, 4]);
    expect(test.map((r) => r.row)).toEqual([1]);
  });

  it.each([
    ['not JSON', '{', 'split.json: not a readable JSON file'],
    ['a missing part', { train: [0] }, 'split.json: "test" must be a non-empty array of row indices'],
    [
      'a rejected row',
      { train: [0, 2], test: [1] },
      'split.json: train[1] is not the index of an accepted data row (0..4)',
    ],
    [
      'an index out of range',
      { train: [0], test: [9] },
      'split.json: test[0] is not the index of an accepted data row',
    ],
    ['a non-integer', { train: [0.5], test: [1] }, 'split.json: train[0] is not the index'],
    ['a row in both parts', { train: [0, 1], test: [1] }, 'split.json: row 1 is in both train and test'],
  ])('refuses %s', (_, json, message) => {
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    expect(() => readSplitFile(text, 'split.json', table)).toThrow(TrainingInputError);
    expect(() => readSplitFile(text, 'split.json', table)).toThrow(message);
  });
});
