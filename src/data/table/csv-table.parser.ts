import { CsvError, parse } from 'csv-parse/sync';
import type { FieldProblem } from '../../common/errors/domain.error';
import type { ModelDefinition } from '../../definitions/model-definition';
import { DataFileError } from '../data.errors';
import type { CellValue, TableRecord } from './table';

/** A model's data file, parsed and validated against its definition. */
export interface ParsedTable {
  /** Accepted rows, in file order. */
  records: TableRecord[];
  /** Data rows read (header excluded), accepted or not. */
  rowsRead: number;
  /** One entry per rejected row: its first broken rule, with its 1-based line number. */
  rejected: FieldProblem[];
  /** Empty cells of optional inputs in accepted rows (imputed later). */
  missingValues: number;
  /** Classification: the declared classes, or else the sorted distinct labels of the accepted rows. */
  classes?: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type Problem = Omit<FieldProblem, 'line'>;

/** How one column of the file is read and checked: an input field or the target. */
interface ColumnRule {
  name: string;
  /** Position of the column in the file's header. */
  index: number;
  /** `text` is a category or a class label: a trimmed string. */
  type: 'number' | 'integer' | 'text';
  required: boolean;
  gt?: number;
  min?: number;
  lt?: number;
  max?: number;
  /** Allowed values of a category (rule 'category') or of a class label (rule 'class'), when declared. */
  allowed?: { values: ReadonlySet<string>; list: readonly string[]; rule: 'category' | 'class' };
}

/** Everything a data row is checked against, compiled once per file from the definition and the header. */
interface TablePlan {
  /** Fields a data row must have (the header's). */
  width: number;
  /** Inputs in definition order, then the target. */
  rules: ColumnRule[];
  notGreaterThan: { field: string; other: string }[];
}

type RowResult = { record: TableRecord; missing: number } | { problem: Problem };

const broken = (field: string, rule: string, message: string): Problem => ({ field, rule, message });

/** Checks a number against its column's rules in the order finite, integer, gt, min, lt, max. */
function numericProblem(column: ColumnRule, value: number): Problem | undefined {
  const { name, gt, min, lt, max } = column;
  if (!Number.isFinite(value)) return broken(name, 'finite', `${name} must be a finite number`);
  if (column.type === 'integer' && !Number.isInteger(value)) {
    return broken(name, 'integer', `${name} must be an integer`);
  }
  if (gt !== undefined && value <= gt) return broken(name, 'gt', `${name} must be greater than ${gt}`);
  if (min !== undefined && value < min) return broken(name, 'min', `${name} must not be less than ${min}`);
  if (lt !== undefined && value >= lt) return broken(name, 'lt', `${name} must be less than ${lt}`);
  if (max !== undefined && value > max) return broken(name, 'max', `${name} must not be greater than ${max}`);
  return undefined;
}

function readCell(column: ColumnRule, raw: string): { value: CellValue } | { problem: Problem } {
  const { name } = column;
  const cell = raw.trim();
  if (cell === '') {
    return column.required ? { problem: broken(name, 'required', `${name} is empty`) } : { value: null };
  }
  if (column.type === 'text') {
    const allowed = column.allowed;
    if (allowed && !allowed.values.has(cell)) {
      return { problem: broken(name, allowed.rule, `${name} must be one of ${allowed.list.join(', ')}`) };
    }
    return { value: cell };
  }
  if (!NUMBER.test(cell)) return { problem: broken(name, 'number', `${name} is not a number`) };
  const value = Number(cell);
  const problem = numericProblem(column, value);
  return problem ? { problem } : { value };
}

function parseRow(cells: string[], row: number, plan: TablePlan): RowResult {
  if (cells.length !== plan.width) {
    return { problem: broken('*', 'field_count', `row has ${cells.length} fields, expected ${plan.width}`) };
  }
  const values: Record<string, CellValue> = {};
  let missing = 0;
  for (const column of plan.rules) {
    const read = readCell(column, cells[column.index]);
    if ('problem' in read) return read;
    if (read.value === null) missing++;
    values[column.name] = read.value;
  }
  for (const { field, other } of plan.notGreaterThan) {
    const [value, limit] = [values[field], values[other]];
    if (typeof value === 'number' && typeof limit === 'number' && value > limit) {
      return { problem: broken(field, 'not_greater_than', `${field} must not be greater than ${other}`) };
    }
  }
  return { record: { row, values }, missing };
}

/** Checks the header (every input and the target present, no name twice) and compiles the row rules. */
function compilePlan(header: string[], definition: ModelDefinition, file: string): TablePlan {
  const names = header.map((cell) => cell.trim());
  const found = names.join(',');
  const needed = [...definition.features.map((f) => f.name), definition.target.name];
  const lacking = needed.filter((name) => !names.includes(name));
  if (lacking.length > 0) {
    throw new DataFileError(file, `header lacks column(s) ${lacking.join(', ')} (found: "${found}")`);
  }
  const twice = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (twice.length > 0) {
    throw new DataFileError(file, `header has column(s) ${twice.join(', ')} more than once (found: "${found}")`);
  }
  const index = (name: string): number => names.indexOf(name);
  const rules: ColumnRule[] = definition.features.map((field) => {
    const { name, required, gt, min, lt, max, values } = field;
    if (field.type !== 'category') return { name, index: index(name), type: field.type, required, gt, min, lt, max };
    const allowed = values && { values: new Set(values), list: values, rule: 'category' as const };
    return { name, index: index(name), type: 'text', required, allowed };
  });
  const { target } = definition;
  if (definition.task === 'regression') {
    const { name, gt, min, lt, max } = target;
    rules.push({ name, index: index(name), type: 'number', required: true, gt, min, lt, max });
  } else {
    const classes = target.classes;
    const allowed = classes && { values: new Set(classes), list: classes, rule: 'class' as const };
    rules.push({ name: target.name, index: index(target.name), type: 'text', required: true, allowed });
  }
  const notGreaterThan = definition.features.flatMap(({ name, notGreaterThan: other }) =>
    other === undefined ? [] : [{ field: name, other }],
  );
  return { width: names.length, rules, notGreaterThan };
}

function readRows(text: string, file: string, delimiter: string): { cells: string[]; line: number }[] {
  try {
    const rows = parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, info: true });
    return (rows as unknown as { record: string[]; info: { lines: number } }[]).map((r) => ({
      cells: r.record,
      line: r.info.lines,
    }));
  } catch (error) {
    if (error instanceof CsvError) throw new DataFileError(file, `malformed CSV: ${error.message}`);
    throw error;
  }
}

/**
 * Parses and validates a model's CSV data file against its definition: the header must hold every input field and
 * the target (in any order; other columns are ignored), cells must respect their field's type and bounds, categories
 * and classes their declared values, and `notGreaterThan` pairs their order. Accepts a UTF-8 BOM and CRLF line
 * endings. Bad rows are reported with their 1-based line number and first broken rule; the file is refused whole
 * when its header lacks a column, it has no data rows, or more than `maxRejectedFraction` of its rows are bad.
 */
export function parseTable(
  bytes: Buffer,
  file: string,
  definition: ModelDefinition,
  maxRejectedFraction: number,
): ParsedTable {
  const rows = readRows(bytes.toString('utf8'), file, definition.delimiter);
  if (rows.length === 0) throw new DataFileError(file, 'file is empty: expected a header and data rows');
  const [header, ...data] = rows;
  const plan = compilePlan(header.cells, definition, file);
  if (data.length === 0) throw new DataFileError(file, 'file has a header but no data rows');

  const records: TableRecord[] = [];
  const rejected: FieldProblem[] = [];
  let missingValues = 0;
  data.forEach(({ cells, line }, row) => {
    const result = parseRow(cells, row, plan);
    if ('problem' in result) {
      rejected.push({ ...result.problem, line, message: `line ${line}: ${result.problem.message}` });
      return;
    }
    missingValues += result.missing;
    records.push(result.record);
  });
  if (rejected.length > maxRejectedFraction * data.length) {
    const share = ((100 * rejected.length) / data.length).toFixed(1);
    const reason = `${rejected.length} of ${data.length} data rows (${share}%) are invalid, more than the allowed ${
      100 * maxRejectedFraction
    }%; first: ${rejected[0].message}`;
    throw new DataFileError(file, reason, rejected.slice(0, 20));
  }
  const parsed: ParsedTable = { records, rowsRead: data.length, rejected, missingValues };
  if (definition.task === 'classification') parsed.classes = tableClasses(definition, records);
  return parsed;
}

/** The declared classes, or else the sorted distinct labels of the accepted rows. */
function tableClasses(definition: ModelDefinition, records: readonly TableRecord[]): string[] {
  const declared = definition.target.classes;
  if (declared) return [...declared];
  const labels = new Set(records.map((r) => r.values[definition.target.name] as string));
  return [...labels].sort();
}
