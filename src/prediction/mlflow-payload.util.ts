import { PayloadFormatError } from './prediction.errors';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

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
 * Turns an MLflow scoring request into rows of input fields, accepting the four formats of MLflow's scoring
 * server: `dataframe_split` ({columns, data, index?}), `dataframe_records` ([{…}]), `instances` ([{…}] or
 * columns) and `inputs` ([{…}] or columns). `params` may accompany them and is ignored.
 */
export function mlflowRows(body: unknown): unknown[] {
  if (!isRecord(body)) throw new PayloadFormatError('The body must be a JSON object');
  const present = FORMATS.filter((key) => key in body);
  const extra = Object.keys(body).filter((key) => !(FORMATS as readonly string[]).includes(key) && key !== 'params');
  if (present.length !== 1 || extra.length > 0) {
    throw new PayloadFormatError(
      `The body must have exactly one of the keys ${FORMATS.join(', ')}` +
        (extra.length > 0 ? `; unknown key(s): ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}` : ''),
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
