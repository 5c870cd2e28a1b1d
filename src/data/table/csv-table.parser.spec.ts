import { readFileSync } from 'node:fs';
import { adHocDefinition, builtinDefinition } from '../../../test/support/builtin-models';
import { fixture, realHousingCsvPath } from '../../../test/support/housing-data';
import { HOUSING_DATASET } from '../../../test/support/housing-dataset';
import { sha256 } from '../../common/crypto/sha256.util';
import type { InputFieldDefinition, ModelDefinition, TargetDefinition } from '../../definitions/model-definition';
import { DataFileError } from '../data.errors';
import { parseHousingCsv } from '../../../test/support/legacy/housing-csv.parser';
import { parseTable } from './csv-table.parser';

/** The built-in California Housing definition, parsed from its YAML file as the service parses it. */
const HOUSING = builtinDefinition('california-housing');

/** A small definition for the generic cases: the given fields and target, defaults elsewhere. */
function tableDefinition(
  task: ModelDefinition['task'],
  features: InputFieldDefinition[],
  target: Partial<TargetDefinition> & { name: string },
): ModelDefinition {
  return adHocDefinition({
    name: 'table',
    task,
    features,
    columns: [],
    candidates: [],
    target: { divideBy: 1, unit: '', output: target.name, also: {}, ...target },
  });
}

const csv = (...lines: string[]) => Buffer.from(`${lines.join('\n')}\n`);
const parse = (name: string, maxRejected = 0.01) => parseTable(fixture(name), name, HOUSING, maxRejected);

function rejection(run: () => unknown): DataFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof DataFileError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

/** The fixture valid.csv with its columns reordered by `order` (header names), as text lines. */
function reordered(order: (header: string[]) => string[], delimiter = ','): Buffer {
  const [header, ...rows] = fixture('valid.csv').toString().trim().split('\n');
  const names = header.split(',');
  const target = order(names);
  const pick = (cells: string[]) => target.map((name) => (names.includes(name) ? cells[names.indexOf(name)] : 'x'));
  return csv(target.join(delimiter), ...rows.map((row) => pick(row.split(',')).join(delimiter)));
}

describe('parseTable with the housing definition (the housing CSV cases)', () => {
  it('reads valid rows, keeps their data-row index and counts empty optional values', () => {
    const parsed = parse('valid.csv');
    expect(parsed.rowsRead).toBe(5);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.missingValues).toBe(1);
    expect(parsed.classes).toBeUndefined();
    expect(parsed.records.map((r) => r.row)).toEqual([0, 1, 2, 3, 4]);
    expect(parsed.records[0]).toEqual({
      row: 0,
      values: {
        ...{ longitude: -122.23, latitude: 37.88, housing_median_age: 41, total_rooms: 880, total_bedrooms: 129 },
        ...{ population: 322, households: 126, median_income: 8.3252, ocean_proximity: 'NEAR BAY' },
        median_house_value: 452600,
      },
    });
    expect(Object.keys(parsed.records[0].values)).toEqual([
      ...HOUSING.features.map((f) => f.name),
      'median_house_value',
    ]);
    expect(parsed.records[2].values.total_bedrooms).toBeNull();
  });

  it('rejects a header lacking a column, naming the file, the column and the header found', () => {
    const error = rejection(() => parse('wrong-header.csv'));
    expect(error.code).toBe('DATA.INVALID_FILE');
    expect(error.message).toBe(
      'wrong-header.csv: header lacks column(s) housing_median_age (found: "longitude,latitude,age,total_rooms,' +
        'total_bedrooms,population,households,median_income,median_house_value,ocean_proximity")',
    );
  });

  it('rejects an empty file and a file without data rows with their own messages', () => {
    expect(rejection(() => parse('empty.csv')).message).toBe(
      'empty.csv: file is empty: expected a header and data rows',
    );
    expect(rejection(() => parse('header-only.csv')).message).toBe(
      'header-only.csv: file has a header but no data rows',
    );
  });

  it('reports a non-numeric cell with its line number and rule', () => {
    const parsed = parse('non-numeric.csv', 1);
    expect(parsed.records).toHaveLength(1);
    expect(parsed.rejected).toEqual([
      { line: 3, field: 'total_rooms', rule: 'number', message: 'line 3: total_rooms is not a number' },
    ]);
  });

  it('reports an out-of-range value (latitude outside California)', () => {
    expect(parse('out-of-range.csv', 1).rejected).toEqual([
      { line: 3, field: 'latitude', rule: 'max', message: 'line 3: latitude must not be greater than 42.1' },
    ]);
  });

  it('reports a truncated last line as a row with too few fields', () => {
    const parsed = parse('truncated-last-line.csv', 1);
    expect(parsed.records).toHaveLength(1);
    expect(parsed.rejected).toEqual([
      { line: 3, field: '*', rule: 'field_count', message: 'line 3: row has 4 fields, expected 10' },
    ]);
  });

  it('reads a file with a UTF-8 BOM and CRLF line endings', () => {
    const parsed = parse('bom-crlf.csv');
    expect(parsed.rowsRead).toBe(2);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.records[0].values.longitude).toBe(-122.23);
    expect(parsed.records[1].values.ocean_proximity).toBe('NEAR BAY');
    expect(parsed.missingValues).toBe(1);
  });

  it('reports each broken cross-field, range and category rule', () => {
    expect(parse('bad-rows.csv', 1).rejected).toEqual([
      {
        ...{ line: 3, field: 'total_bedrooms', rule: 'not_greater_than' },
        message: 'line 3: total_bedrooms must not be greater than total_rooms',
      },
      { line: 4, field: 'households', rule: 'gt', message: 'line 4: households must be greater than 0' },
      {
        ...{ line: 5, field: 'ocean_proximity', rule: 'category' },
        message: 'line 5: ocean_proximity must be one of <1H OCEAN, INLAND, ISLAND, NEAR BAY, NEAR OCEAN',
      },
    ]);
  });

  it('rejects a file with more bad rows than allowed, with the row report', () => {
    const error = rejection(() => parse('bad-rows.csv', 0.5));
    expect(error.message).toContain('bad-rows.csv: 3 of 4 data rows (75.0%) are invalid, more than the allowed 50%');
    expect(error.message).toContain('; first: line 3: total_bedrooms must not be greater than total_rooms');
    expect(error.errors?.map((e) => e.line)).toEqual([3, 4, 5]);
  });

  it('rejects malformed CSV (an unclosed quote) naming the file and where parsing stopped', () => {
    const header = fixture('header-only.csv').toString().trim();
    const text = `${header}\n-122.23,37.88,41.0,880.0,129.0,322.0,126.0,8.3252,452600.0,"NEAR BAY\n`;
    expect(() => parseTable(Buffer.from(text), 'quotes.csv', HOUSING, 1)).toThrow(
      /^quotes\.csv: malformed CSV: Quote Not Closed: .* at line 2/,
    );
  });

  it.each([
    'valid.csv',
    'bom-crlf.csv',
    'non-numeric.csv',
    'out-of-range.csv',
    'truncated-last-line.csv',
    'bad-rows.csv',
  ])('gives the records and problems of parseHousingCsv on %s', (name) => {
    const today = parseHousingCsv(fixture(name), name, 1);
    const parsed = parseTable(fixture(name), name, HOUSING, 1);
    expect(parsed.records).toEqual(today.records.map(({ row, ...values }) => ({ row, values })));
    const rule = (r: string) => (r === 'bedrooms_le_rooms' ? 'not_greater_than' : r);
    expect(parsed.rejected).toEqual(today.rejected.map((p) => ({ ...p, rule: rule(p.rule) })));
    expect(parsed.missingValues).toBe(today.missingBedrooms);
  });
});

describe('parseTable header', () => {
  it('ignores extra columns and reads the columns in any order', () => {
    const order = (names: string[]) => ['id', ...[...names].reverse(), 'comment'];
    const parsed = parseTable(reordered(order), 'reordered.csv', HOUSING, 0);
    expect(parsed.records).toEqual(parse('valid.csv').records);
  });

  it('names every missing column, inputs first then the target', () => {
    const order = (names: string[]) => names.filter((n) => n !== 'ocean_proximity' && n !== 'median_house_value');
    expect(rejection(() => parseTable(reordered(order), 'short.csv', HOUSING, 1)).message).toMatch(
      /^short\.csv: header lacks column\(s\) ocean_proximity, median_house_value \(found: "longitude,.*,median_income"\)$/,
    );
  });

  it('refuses a column named twice', () => {
    const order = (names: string[]) => [...names, 'latitude'];
    expect(rejection(() => parseTable(reordered(order), 'twice.csv', HOUSING, 1)).message).toMatch(
      /^twice\.csv: header has column\(s\) latitude more than once \(found: "longitude,latitude,.*,ocean_proximity,latitude"\)$/,
    );
  });

  it('reads cells separated by the definition delimiter (;)', () => {
    const semicolons: ModelDefinition = { ...HOUSING, delimiter: ';' };
    const parsed = parseTable(
      reordered((names) => names, ';'),
      'semicolons.csv',
      semicolons,
      0,
    );
    expect(parsed.records).toEqual(parse('valid.csv').records);
    expect(rejection(() => parseTable(fixture('valid.csv'), 'commas.csv', semicolons, 1)).message).toContain(
      'commas.csv: header lacks column(s) longitude, latitude,',
    );
  });
});

describe('parseTable fields', () => {
  const counts = tableDefinition(
    'regression',
    [
      { name: 'count', type: 'integer', required: true, min: 1, lt: 10 },
      { name: 'colour', type: 'category', required: true },
      { name: 'shape', type: 'category', required: false },
    ],
    { name: 'y', gt: 0, lt: 5 },
  );

  it('checks integers: finite, integer, then the bounds', () => {
    const bytes = csv('count,colour,shape,y', '3,red,round,1', '3.0,red,,1', '2.5,red,,1', '1e999,red,,1', '0,red,,1');
    const parsed = parseTable(bytes, 'counts.csv', counts, 1);
    expect(parsed.records.map((r) => r.values.count)).toEqual([3, 3]);
    expect(parsed.rejected).toEqual([
      { line: 4, field: 'count', rule: 'integer', message: 'line 4: count must be an integer' },
      { line: 5, field: 'count', rule: 'finite', message: 'line 5: count must be a finite number' },
      { line: 6, field: 'count', rule: 'min', message: 'line 6: count must not be less than 1' },
    ]);
  });

  it('reports the exclusive upper bound (lt) of an input and of the target', () => {
    const parsed = parseTable(csv('count,colour,shape,y', '10,red,,1', '9,red,,5', '9,red,,0'), 'lt.csv', counts, 1);
    expect(parsed.rejected.map(({ field, rule, message }) => ({ field, rule, message }))).toEqual([
      { field: 'count', rule: 'lt', message: 'line 2: count must be less than 10' },
      { field: 'y', rule: 'lt', message: 'line 3: y must be less than 5' },
      { field: 'y', rule: 'gt', message: 'line 4: y must be greater than 0' },
    ]);
  });

  it('accepts any non-empty trimmed value of a category without declared values; empty is missing or refused', () => {
    const bytes = csv('count,colour,shape,y', '1, dark blue ,  ,1', '2,Vermilion,square,2', '3,  ,round,3');
    const parsed = parseTable(bytes, 'colours.csv', counts, 1);
    expect(parsed.records).toEqual([
      { row: 0, values: { count: 1, colour: 'dark blue', shape: null, y: 1 } },
      { row: 1, values: { count: 2, colour: 'Vermilion', shape: 'square', y: 2 } },
    ]);
    expect(parsed.missingValues).toBe(1);
    expect(parsed.rejected).toEqual([
      { line: 4, field: 'colour', rule: 'required', message: 'line 4: colour is empty' },
    ]);
  });
});

describe('parseTable classification', () => {
  const petal: InputFieldDefinition = { name: 'petal', type: 'number', required: true, gt: 0 };
  const flowers = (classes?: string[]) => tableDefinition('classification', [petal], { name: 'species', classes });
  const bytes = csv('species,petal', ' virginica ,1.5', 'setosa,0.2', 'versicolor,1.3', 'setosa,0.3');

  it('reads string labels and learns the sorted distinct classes of the accepted rows', () => {
    const parsed = parseTable(bytes, 'flowers.csv', flowers(), 0);
    expect(parsed.records[0]).toEqual({ row: 0, values: { petal: 1.5, species: 'virginica' } });
    expect(parsed.classes).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('keeps the declared classes in their order, even one absent from the data', () => {
    const declared = ['virginica', 'setosa', 'versicolor', 'hybrid'];
    expect(parseTable(bytes, 'flowers.csv', flowers(declared), 0).classes).toEqual(declared);
  });

  it('refuses a label outside the declared classes and an empty label', () => {
    const parsed = parseTable(csv('species,petal', 'rosa,1', ',1', 'setosa,1'), 'f.csv', flowers(['setosa']), 1);
    expect(parsed.rejected).toEqual([
      { line: 2, field: 'species', rule: 'class', message: 'line 2: species must be one of setosa' },
      { line: 3, field: 'species', rule: 'required', message: 'line 3: species is empty' },
    ]);
    expect(parsed.records).toEqual([{ row: 2, values: { petal: 1, species: 'setosa' } }]);
  });
});

const realCsv = ((): { path: string } | { skipped: string } => {
  try {
    return { path: realHousingCsvPath() };
  } catch (error) {
    return { skipped: (error as Error).message };
  }
})();
const withRealCsv = 'path' in realCsv ? it : it.skip;

describe('parseTable on the real California Housing file', () => {
  withRealCsv(
    `gives the records of parseHousingCsv: ${HOUSING_DATASET.rows} rows, ${HOUSING_DATASET.valuesImputed} missing${'skipped' in realCsv ? ` (SKIPPED: ${realCsv.skipped})` : ''}`,
    () => {
      const bytes = readFileSync('path' in realCsv ? realCsv.path : '');
      // The file the shared facts describe (test/support/housing-dataset.ts).
      expect(sha256(bytes)).toBe(HOUSING_DATASET.sha256);
      const today = parseHousingCsv(bytes, 'california_housing.csv', 0);
      const parsed = parseTable(bytes, 'california_housing.csv', HOUSING, 0);
      expect(parsed.rowsRead).toBe(HOUSING_DATASET.rows);
      expect(parsed.rowsRead).toBe(today.rowsRead);
      expect(parsed.rejected).toEqual(today.rejected);
      expect(parsed.missingValues).toBe(HOUSING_DATASET.valuesImputed);
      expect(parsed.missingValues).toBe(today.missingBedrooms);
      expect(parsed.records).toEqual(today.records.map(({ row, ...values }) => ({ row, values })));
    },
  );
});
