import { readFileSync } from 'node:fs';
import { fixture, realHousingCsvPath } from '../../../test/support/housing-data';
import { DataFileError } from '../data.errors';
import { parseHousingCsv } from './housing-csv.parser';

const parse = (name: string, maxRejected = 0.01) => parseHousingCsv(fixture(name), name, maxRejected);

function rejection(name: string, maxRejected = 0.01): DataFileError {
  try {
    parse(name, maxRejected);
  } catch (error) {
    if (error instanceof DataFileError) return error;
    throw error;
  }
  throw new Error(`${name} was accepted`);
}

describe('parseHousingCsv', () => {
  it('reads valid rows, keeps their data-row index and counts empty total_bedrooms', () => {
    const parsed = parse('valid.csv');
    expect(parsed.rowsRead).toBe(5);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.missingBedrooms).toBe(1);
    expect(parsed.records.map((r) => r.row)).toEqual([0, 1, 2, 3, 4]);
    expect(parsed.records[0]).toEqual({
      row: 0,
      longitude: -122.23,
      latitude: 37.88,
      housing_median_age: 41,
      total_rooms: 880,
      total_bedrooms: 129,
      population: 322,
      households: 126,
      median_income: 8.3252,
      median_house_value: 452600,
      ocean_proximity: 'NEAR BAY',
    });
    expect(parsed.records[2].total_bedrooms).toBeNull();
  });

  it('rejects a wrong header, naming the file and the expected header', () => {
    const error = rejection('wrong-header.csv');
    expect(error.code).toBe('DATA.INVALID_FILE');
    expect(error.message).toMatch(/^wrong-header\.csv: header must be exactly "longitude,latitude,housing_median_age,/);
    expect(error.message).toContain('but is "longitude,latitude,age,');
  });

  it('rejects an empty file and a file without data rows with their own messages', () => {
    expect(rejection('empty.csv').message).toBe('empty.csv: file is empty: expected a header and data rows');
    expect(rejection('header-only.csv').message).toBe('header-only.csv: file has a header but no data rows');
  });

  it('reports a non-numeric cell with its line number and rule', () => {
    const parsed = parse('non-numeric.csv', 1);
    expect(parsed.records).toHaveLength(1);
    expect(parsed.rejected).toEqual([
      { line: 3, field: 'total_rooms', rule: 'number', message: 'line 3: total_rooms is not a number' },
    ]);
  });

  it('reports an out-of-range value (latitude outside California)', () => {
    const parsed = parse('out-of-range.csv', 1);
    expect(parsed.rejected).toEqual([
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
    expect(parsed.records[0].longitude).toBe(-122.23);
    expect(parsed.records[1].ocean_proximity).toBe('NEAR BAY');
    expect(parsed.missingBedrooms).toBe(1);
  });

  it('reports each broken cross-field, range and category rule', () => {
    const parsed = parse('bad-rows.csv', 1);
    expect(parsed.rejected.map(({ line, field, rule }) => ({ line, field, rule }))).toEqual([
      { line: 3, field: 'total_bedrooms', rule: 'bedrooms_le_rooms' },
      { line: 4, field: 'households', rule: 'gt' },
      { line: 5, field: 'ocean_proximity', rule: 'category' },
    ]);
  });

  it('rejects a file with more bad rows than allowed, with the row report', () => {
    const error = rejection('bad-rows.csv', 0.5);
    expect(error.message).toContain('bad-rows.csv: 3 of 4 data rows (75.0%) are invalid, more than the allowed 50%');
    expect(error.errors?.map((e) => e.line)).toEqual([3, 4, 5]);
  });

  it('rejects malformed CSV (an unclosed quote) naming the file and where parsing stopped', () => {
    const header = fixture('header-only.csv').toString().trim();
    const text = `${header}\n-122.23,37.88,41.0,880.0,129.0,322.0,126.0,8.3252,452600.0,"NEAR BAY\n`;
    expect(() => parseHousingCsv(Buffer.from(text), 'quotes.csv', 1)).toThrow(
      /^quotes\.csv: malformed CSV: Quote Not Closed: .* at line 2/,
    );
  });

  it('accepts the real file: 20,640 rows, none rejected, 207 empty total_bedrooms', () => {
    const parsed = parseHousingCsv(readFileSync(realHousingCsvPath()), 'california_housing.csv', 0);
    expect(parsed.rowsRead).toBe(20640);
    expect(parsed.records).toHaveLength(20640);
    expect(parsed.rejected).toEqual([]);
    expect(parsed.missingBedrooms).toBe(207);
  });
});
