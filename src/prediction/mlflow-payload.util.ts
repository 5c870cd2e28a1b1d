import { parse } from 'csv-parse/sync';
import type { ModelDefinition } from '../definitions/model-definition';
import { PayloadFormatError } from './prediction.errors';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
/** MLflow's message for a body without exactly one format (its `REQUIRED_INPUT_FORMAT`). */
const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields {${FORMATS.map((f) => `'${f}'`).join(', ')}}`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{col: [v0, v1, …], …}` → rows. Every column must be an array of the same length. */
function fromColumns(columns: Record<string, unknown>, key: string): Record<string, unknown>[] {
  const names = Object.keys(columns);
  const lengths = names.map((name) => (Array.isArray(columns[name]) ? columns[name].length : -1));
  if (names.length === 0 || lengths.some((n) => n !== lengths[0] || n < 0)) {
    throw new PayloadFormatError(`"${key}" as columns must map each input field to an array of the same length`);
  }
  return Array.from({ length: lengths[0] }, (_, i) =>
    Object.fromEntries(names.map((name) => [name, (columns[name] as unknown[])[i]])),
  );
}

/**
 * Turns an MLflow scoring request into rows of input fields, as MLflow's scoring server reads it
 * (`mlflow/pyfunc/scoring_server`): a JSON object with exactly one of `dataframe_split` ({columns, data, index?}),
 * `dataframe_records` ([{…}]), `instances` and `inputs` ([{…}] or columns). Other members beside it, `params`
 * among them, are ignored, as MLflow ignores them; none or two formats, or a body that is not an object, are
 * refused with MLflow's own wording.
 */
export function mlflowRows(body: unknown): unknown[] {
  if (!isRecord(body)) {
    throw new PayloadFormatError(
      `${REQUIRED_INPUT_FORMAT}. ${Array.isArray(body) ? 'Received a list' : `Received unexpected input type '${body === null ? 'null' : typeof body}'`}.`,
    );
  }
  const present = FORMATS.filter((key) => key in body);
  if (present.length !== 1) {
    const keys = Object.keys(body).slice(0, 10);
    throw new PayloadFormatError(
      `${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}${Object.keys(body).length > 10 ? ', …' : ''}].`,
    );
  }
  const [key] = present;
  const value = body[key];
  switch (key) {
    case 'dataframe_split': {
      const { columns, data } = isRecord(value) ? value : { columns: undefined, data: undefined };
      if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string') || !Array.isArray(data)) {
        throw new PayloadFormatError('"dataframe_split" must be {"columns": [names], "data": [[values], …]}');
      }
      return data.map((row, i) => {
        if (!Array.isArray(row) || row.length !== columns.length) {
          throw new PayloadFormatError(`"dataframe_split".data[${i}] must be an array of ${columns.length} values`);
        }
        return Object.fromEntries(columns.map((c, j) => [c, row[j]]));
      });
    }
    case 'dataframe_records':
      if (!Array.isArray(value)) throw new PayloadFormatError('"dataframe_records" must be an array of row objects');
      return value;
    case 'instances':
    case 'inputs':
      if (Array.isArray(value)) return value;
      if (isRecord(value)) return fromColumns(value, key);
      throw new PayloadFormatError(`"${key}" must be an array of row objects or an object of columns`);
  }
}

/** A `text/csv` body as received (not a JSON string literal, which is a JSON body MLflow refuses). */
export class CsvBody {
  constructor(readonly text: string) {}
}

/**
 * A `text/csv` body (a header, then one line per row, as `pandas.DataFrame.to_csv(index=False)` writes it) as rows
 * of input fields. pandas would infer each column's type; here the model's definition says it: a number or integer
 * field's cell that reads as a number becomes one, an empty cell is missing, anything else stays text for the
 * validator to name. Unparseable CSV is MLflow's 400.
 */
export function csvRows(text: string, definition: ModelDefinition): Record<string, unknown>[] {
  let records: Record<string, string>[];
  try {
    records = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true, bom: true, trim: true });
  } catch (error) {
    throw new PayloadFormatError(
      'Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame ' +
        `produced using the \`pandas.DataFrame.to_csv()\` method. Error: '${(error as Error).message.slice(0, 200)}'`,
    );
  }
  const numeric = new Set(definition.features.filter((f) => f.type !== 'category').map((f) => f.name));
  return records.map((record): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(record).map(([field, cell]): [string, unknown] => {
        if (cell === '') return [field, null];
        if (numeric.has(field) && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) return [field, Number(cell)];
        return [field, cell];
      }),
    ),
  );
}
