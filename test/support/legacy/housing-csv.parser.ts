/**
 * Frozen copy of the hand-written code this model had before models were definitions. Specs compare the
 * definition-driven loader and pipeline with it, row for row and bit for bit; nothing in src/ uses it.
 */
import { CsvError, parse } from 'csv-parse/sync';
import type { FieldProblem } from '../../../src/common/errors/domain.error';
import { NumericInputField, numericRuleBroken, numericRuleMessage } from '../../../src/data/feature-spec';
import { DataFileError } from '../../../src/data/data.errors';
import {
  HOUSING_COLUMNS,
  HOUSING_SPEC,
  HousingRecord,
  MEDIAN_HOUSE_VALUE_FIELD,
  OCEAN_PROXIMITY,
} from './housing.feature-spec';

export interface ParsedHousingFile {
  records: HousingRecord[];
  /** Data rows read (header excluded), accepted or not. */
  rowsRead: number;
  /** One entry per rejected row: its first broken rule, with its 1-based line number. */
  rejected: FieldProblem[];
  /** Accepted rows whose total_bedrooms is empty (imputed later). */
  missingBedrooms: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const OCEAN = new Set<string>(OCEAN_PROXIMITY);
const FIELDS = new Map<string, NumericInputField>(
  [...HOUSING_SPEC.inputs, MEDIAN_HOUSE_VALUE_FIELD]
    .filter((f): f is NumericInputField => f.type === 'number')
    .map((f) => [f.name, f]),
);

type RowResult = { record: HousingRecord } | { problem: Omit<FieldProblem, 'line'> };

function parseRow(cells: string[], row: number): RowResult {
  if (cells.length !== HOUSING_COLUMNS.length) {
    const message = `row has ${cells.length} fields, expected ${HOUSING_COLUMNS.length}`;
    return { problem: { field: '*', rule: 'field_count', message } };
  }
  const values: Record<string, number | null> = {};
  for (const [i, name] of HOUSING_COLUMNS.entries()) {
    const field = FIELDS.get(name);
    if (!field) continue;
    const cell = cells[i].trim();
    if (cell === '') {
      if (field.required) return { problem: { field: name, rule: 'required', message: `${name} is empty` } };
      values[name] = null;
      continue;
    }
    if (!NUMBER.test(cell)) return { problem: { field: name, rule: 'number', message: `${name} is not a number` } };
    const value = Number(cell);
    const broken = numericRuleBroken(field, value);
    if (broken) return { problem: { field: name, rule: broken, message: numericRuleMessage(field, broken) } };
    values[name] = value;
  }
  const ocean = cells[HOUSING_COLUMNS.indexOf('ocean_proximity')].trim();
  if (!OCEAN.has(ocean)) {
    const message = `ocean_proximity must be one of ${OCEAN_PROXIMITY.join(', ')}`;
    return { problem: { field: 'ocean_proximity', rule: 'category', message } };
  }
  const bedrooms = values.total_bedrooms;
  const rooms = values.total_rooms as number;
  if (bedrooms !== null && bedrooms > rooms) {
    const message = 'total_bedrooms must not be greater than total_rooms';
    return { problem: { field: 'total_bedrooms', rule: 'bedrooms_le_rooms', message } };
  }
  const record = { ...(values as Omit<HousingRecord, 'row' | 'ocean_proximity'>), row, ocean_proximity: ocean };
  return { record: record as HousingRecord };
}

function readRows(text: string, file: string): { cells: string[]; line: number }[] {
  try {
    const rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true });
    return (rows as unknown as { record: string[]; info: { lines: number } }[]).map((r) => ({
      cells: r.record,
      line: r.info.lines,
    }));
  } catch (error) {
    if (error instanceof CsvError) {
      throw new DataFileError(file, `malformed CSV: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Parses and validates the California Housing CSV: exact header, numeric cells, physically sensible ranges,
 * known ocean_proximity values, total_bedrooms ≤ total_rooms. Accepts a UTF-8 BOM and CRLF line endings.
 * Bad rows are reported with their 1-based line number and rule; the file is rejected whole when it has the wrong
 * header, no data rows, or more than `maxRejectedFraction` bad rows.
 */
export function parseHousingCsv(bytes: Buffer, file: string, maxRejectedFraction: number): ParsedHousingFile {
  const rows = readRows(bytes.toString('utf8'), file);
  if (rows.length === 0) throw new DataFileError(file, 'file is empty: expected a header and data rows');
  const [header, ...data] = rows;
  const found = header.cells.map((c) => c.trim()).join(',');
  if (found !== HOUSING_COLUMNS.join(',')) {
    throw new DataFileError(file, `header must be exactly "${HOUSING_COLUMNS.join(',')}" but is "${found}"`);
  }
  if (data.length === 0) throw new DataFileError(file, 'file has a header but no data rows');

  const records: HousingRecord[] = [];
  const rejected: FieldProblem[] = [];
  let missingBedrooms = 0;
  data.forEach(({ cells, line }, row) => {
    const result = parseRow(cells, row);
    if ('problem' in result) {
      rejected.push({ ...result.problem, line, message: `line ${line}: ${result.problem.message}` });
      return;
    }
    if (result.record.total_bedrooms === null) missingBedrooms++;
    records.push(result.record);
  });
  if (rejected.length > maxRejectedFraction * data.length) {
    const share = ((100 * rejected.length) / data.length).toFixed(1);
    const reason = `${rejected.length} of ${data.length} data rows (${share}%) are invalid, more than the allowed ${
      100 * maxRejectedFraction
    }%; first: ${rejected[0].message}`;
    throw new DataFileError(file, reason, rejected.slice(0, 20));
  }
  return { records, rowsRead: data.length, rejected, missingBedrooms };
}
