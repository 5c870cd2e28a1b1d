import type { ColumnDefinition, InputFieldDefinition, ModelDefinition } from '../../definitions/model-definition';
import { PipelineDefinitionError } from './pipeline.errors';

/** One input row: a request row or the `values` of a data row (a missing value is undefined or null). */
export type InputRow = Readonly<Record<string, unknown>>;

export type NumericColumn = Exclude<ColumnDefinition, { op: 'one_hot' }>;
export type OneHotColumn = Extract<ColumnDefinition, { op: 'one_hot' }>;

const EARTH_RADIUS_KM = 6371;
const RADIANS = Math.PI / 180;

/**
 * The fields of the row a column reads, in operand order (a neighbours column's `of` is read from the training
 * rows it searches, not from the row).
 */
export function columnFields(column: ColumnDefinition): string[] {
  switch (column.op) {
    case 'input':
    case 'log1p':
    case 'sqrt':
    case 'one_hot':
      return [column.field];
    case 'ratio':
      return [column.numerator, column.denominator];
    case 'product':
    case 'sum':
      return column.fields;
    case 'difference':
      return [column.minuend, column.subtrahend];
    case 'haversine_km':
      return [column.lat, column.lon];
    case 'rotate':
      return [column.x, column.y];
    case 'neighbours':
      // `of` is read from the training rows the column searches, not from the row: the row gives its location.
      return [column.lat, column.lon];
  }
}

/** Every column reads known fields of the right type: numeric operations read numbers, one_hot reads a category. */
export function checkColumns(definition: ModelDefinition): void {
  const fields = new Map(definition.features.map((f) => [f.name, f]));
  const fail = (column: ColumnDefinition, reason: string): never => {
    throw new PipelineDefinitionError(definition.name, `column ${column.name} (${column.op}) ${reason}`);
  };
  for (const column of definition.columns) {
    const names = columnFields(column);
    if (names.length === 0) fail(column, 'reads no field');
    for (const name of names) {
      const field = fields.get(name);
      if (!field) fail(column, `reads the unknown field ${name}`);
      else if ((field.type === 'category') !== (column.op === 'one_hot')) {
        fail(column, `cannot read the ${field.type} field ${name}`);
      }
    }
    if (column.op === 'one_hot' && column.impute) fail(column, 'cannot impute: impute its input field instead');
    if (column.op === 'neighbours') {
      const of = column.of === undefined ? undefined : fields.get(column.of);
      if (column.of !== undefined && of?.type !== 'number' && of?.type !== 'integer') {
        fail(column, `summarises ${column.of}, which is not a numeric input field`);
      }
      if (column.impute && column.impute.strategy !== 'constant') fail(column, 'can only impute a constant');
      if (column.of === undefined && definition.task !== 'regression')
        fail(column, 'needs `of`: the target is a class');
    }
  }
}

/**
 * The numeric inputs a definition's columns read. Each row's values are read once into fixed slots (a missing value
 * is replaced by its fill, NaN when it has none, and flagged), so compiled columns only read typed arrays.
 */
export class NumericSlots {
  readonly values: Float64Array;
  readonly missing: Uint8Array;

  constructor(
    private readonly names: readonly string[],
    private readonly fills: Float64Array,
  ) {
    this.values = new Float64Array(names.length);
    this.missing = new Uint8Array(names.length);
  }

  slot(name: string): number {
    return this.names.indexOf(name);
  }

  read(row: InputRow): void {
    const { names, fills, values, missing } = this;
    for (let s = 0; s < names.length; s++) {
      const value = row[names[s]];
      if (value === undefined || value === null) {
        values[s] = fills[s];
        missing[s] = 1;
      } else {
        values[s] = value as number;
        missing[s] = 0;
      }
    }
  }
}

/** Slots for every numeric field a numeric column reads (after `checkColumns`), with each field's fill. */
export function numericSlots(definition: ModelDefinition, fill: (field: InputFieldDefinition) => number): NumericSlots {
  const read = new Set(definition.columns.filter((c) => c.op !== 'one_hot').flatMap(columnFields));
  const fields = definition.features.filter((f) => read.has(f.name));
  return new NumericSlots(
    fields.map((f) => f.name),
    Float64Array.from(fields.map(fill)),
  );
}

/** A numeric column compiled against the slots of the current row. */
export interface NumericKernel {
  /** The column's value (inputs imputed where they have an imputation, NaN where they have none). */
  compute: () => number;
  /** True when one of the column's inputs is missing from the row (before imputation). */
  anyMissing: () => boolean;
}

function compute(column: NumericColumn, slots: NumericSlots): () => number {
  const v = slots.values;
  const at = (name: string): number => slots.slot(name);
  switch (column.op) {
    case 'input': {
      const a = at(column.field);
      return () => v[a];
    }
    case 'ratio': {
      const [a, b] = [at(column.numerator), at(column.denominator)];
      return () => v[a] / v[b];
    }
    case 'product': {
      const s = Int32Array.from(column.fields.map(at));
      return () => {
        let product = v[s[0]];
        for (let i = 1; i < s.length; i++) product *= v[s[i]];
        return product;
      };
    }
    case 'sum': {
      const s = Int32Array.from(column.fields.map(at));
      return () => {
        let sum = v[s[0]];
        for (let i = 1; i < s.length; i++) sum += v[s[i]];
        return sum;
      };
    }
    case 'difference': {
      const [a, b] = [at(column.minuend), at(column.subtrahend)];
      return () => v[a] - v[b];
    }
    case 'log1p': {
      const a = at(column.field);
      return () => Math.log1p(v[a]);
    }
    case 'sqrt': {
      const a = at(column.field);
      return () => Math.sqrt(v[a]);
    }
    case 'haversine_km': {
      // The great-circle (haversine) distance, in the operation order of the hand-written housing pipeline.
      const [a, b] = [at(column.lat), at(column.lon)];
      const { toLat, toLon } = column;
      const cosTo = Math.cos(toLat * RADIANS);
      return () => {
        const lat = v[a];
        const dLat = (toLat - lat) * RADIANS;
        const dLon = (toLon - v[b]) * RADIANS;
        const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat * RADIANS) * cosTo * Math.sin(dLon / 2) ** 2;
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
      };
    }
    case 'rotate': {
      const [a, b] = [at(column.x), at(column.y)];
      const cos = Math.cos(column.degrees * RADIANS);
      const sin = Math.sin(column.degrees * RADIANS);
      return () => v[a] * cos + v[b] * sin;
    }
    case 'neighbours':
      // Its value needs the fitted training rows: only the generated transform computes it (checkColumns refuses
      // the fitted imputation that would need it here).
      throw new Error(`column ${column.name}: neighbours columns are computed by the generated transform only`);
  }
}

function anyMissing(column: NumericColumn, slots: NumericSlots): () => boolean {
  const m = slots.missing;
  const s = Int32Array.from(new Set(columnFields(column)), (name) => slots.slot(name));
  if (s.length === 1) return () => m[s[0]] === 1;
  if (s.length === 2) return () => m[s[0]] === 1 || m[s[1]] === 1;
  return () => {
    for (let i = 0; i < s.length; i++) if (m[s[i]] === 1) return true;
    return false;
  };
}

/** Compiles a numeric column once against the slots (after `checkColumns`). */
export function numericKernel(column: NumericColumn, slots: NumericSlots): NumericKernel {
  return { compute: compute(column, slots), anyMissing: anyMissing(column, slots) };
}
