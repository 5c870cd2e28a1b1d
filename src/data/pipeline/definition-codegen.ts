import type { ModelDefinition } from '../../definitions/model-definition';
import type { Preprocessing } from '../feature-spec';
import { columnFields, InputRow, NumericColumn } from './definition-columns';
import { categoryFill, categoryValues, numberFill } from './definition-preprocessing';
import { NeighbourColumn, neighbourIndexes, neighbourTableKey } from './neighbour-columns';

/** Writes a row's features at `out[offset ..]`. */
export type RowTransform = (row: InputRow, out: Float64Array, offset: number) => void;

const EARTH_RADIUS_KM = 6371;
const RADIANS = Math.PI / 180;

/** The great-circle (haversine) distance in km, in the operation order of the hand-written housing pipeline. */
function haversineKm(lat: number, lon: number, toLat: number, toLon: number, cosTo: number): number {
  const dLat = (toLat - lat) * RADIANS;
  const dLon = (toLon - lon) * RADIANS;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat * RADIANS) * cosTo * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}

/** Constants of the generated code: numbers in a Float64Array (exact), category values and their index maps. */
class Constants {
  readonly numbers: number[] = [];
  readonly values: unknown[] = [];

  number(value: number): string {
    this.numbers.push(value);
    return `c[${this.numbers.length - 1}]`;
  }

  value(value: unknown): string {
    this.values.push(value);
    return `k[${this.values.length - 1}]`;
  }
}

/**
 * Generates one straight-line function per definition and fitted values: each numeric input read once (a missing
 * one takes its imputed value and is flagged), then one assignment per column. The generated text holds only
 * variable names, operators and `Math` calls from the closed vocabulary of column operations; field names enter as
 * JSON string literals and every number and category value as an element of an array passed in, so nothing from a
 * definition is evaluated as code. It computes what the column closures of the preprocessing fit compute, with the
 * same operations in the same order (a spec compares them bit for bit), about four times faster.
 */
export function generateTransform(definition: ModelDefinition, preprocessing: Preprocessing): RowTransform {
  const constants = new Constants();
  const lines: string[] = [];
  const numeric = definition.columns.filter((c): c is NumericColumn => c.op !== 'one_hot');
  const read = new Set(numeric.flatMap(columnFields));
  const slot = new Map<string, number>();
  for (const field of definition.features.filter((f) => read.has(f.name))) {
    const i = slot.size;
    slot.set(field.name, i);
    const fill = numberFill(definition, field.name, field.impute, preprocessing) ?? NaN;
    lines.push(
      `let x${i} = row[${JSON.stringify(field.name)}];`,
      `const m${i} = x${i} === undefined || x${i} === null;`,
      `if (m${i}) x${i} = ${constants.number(fill)};`,
    );
  }
  const x = (name: string): string => `x${slot.get(name) ?? -1}`;
  // One k-d tree per location pair, built once here; the columns of a row share its search.
  const indexes = neighbourIndexes(definition, preprocessing);
  const groups = new Map<string, { columns: NeighbourColumn[]; at: number[] }>();
  let at = 0;
  for (const column of definition.columns) {
    if (column.op === 'one_hot') {
      const field = definition.features.find((f) => f.name === column.field);
      if (!field) throw new Error(`unknown field ${column.field}`); // checkColumns refused it before
      const values = categoryValues(definition, field, preprocessing);
      const index = constants.value(new Map(values.map((value, i) => [value, i])));
      const fill = constants.value(categoryFill(definition, field, preprocessing));
      for (let i = 0; i < values.length; i++) lines.push(`out[o + ${at + i}] = 0;`);
      lines.push(
        `{ const v = row[${JSON.stringify(field.name)}];`,
        `  const h = ${index}.get(v === undefined || v === null ? ${fill} : v);`,
        `  if (h !== undefined) out[o + ${at} + h] = 1; }`,
      );
      at += values.length;
      continue;
    }
    const fill = numberFill(definition, column.name, column.impute, preprocessing);
    const missing = [...new Set(columnFields(column))].map((name) => `m${slot.get(name) ?? -1}`).join(' || ');
    if (column.op === 'neighbours') {
      // The first column of a location pair writes every column of the pair (one call, see NeighbourIndex.write);
      // a column with an imputed value then takes it where the location is missing.
      const key = neighbourTableKey(column.lat, column.lon);
      let group = groups.get(key);
      if (!group) {
        const index = indexes.get(key);
        if (!index) throw new Error(`no neighbour index for ${column.name}`); // neighbourIndexes built one per pair
        const members = { columns: [] as NeighbourColumn[], at: [] as number[] };
        const write = (lat: number, lon: number, out: Float64Array, o: number): void =>
          index.write(members.columns, members.at, lat, lon, out, o);
        groups.set(key, (group = members));
        lines.push(`${constants.value(write)}(${x(column.lat)}, ${x(column.lon)}, out, o);`);
      }
      group.columns.push(column);
      group.at.push(at);
      if (fill !== undefined) lines.push(`if (${missing}) out[o + ${at}] = ${constants.number(fill)};`);
      at += 1;
      continue;
    }
    const value = expression(column, x, constants);
    lines.push(
      `out[o + ${at}] = ${fill === undefined ? value : `(${missing}) ? ${constants.number(fill)} : ${value}`};`,
    );
    at += 1;
  }
  const source = `'use strict';\nreturn function transform(row, out, o) {\n${lines.join('\n')}\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a closed vocabulary, see above
  const factory = new Function('c', 'k', 'haversineKm', source) as (
    c: Float64Array,
    k: unknown[],
    haversine: typeof haversineKm,
  ) => RowTransform;
  return factory(Float64Array.from(constants.numbers), constants.values, haversineKm);
}

function expression(column: NumericColumn, x: (name: string) => string, constants: Constants): string {
  switch (column.op) {
    case 'input':
      return x(column.field);
    case 'ratio':
      return `${x(column.numerator)} / ${x(column.denominator)}`;
    case 'product':
      return column.fields.map(x).join(' * ');
    case 'sum':
      return column.fields.map(x).join(' + ');
    case 'difference':
      return `${x(column.minuend)} - ${x(column.subtrahend)}`;
    case 'log1p':
      return `Math.log1p(${x(column.field)})`;
    case 'sqrt':
      return `Math.sqrt(${x(column.field)})`;
    case 'haversine_km': {
      const { toLat, toLon } = column;
      const args = [toLat, toLon, Math.cos(toLat * RADIANS)].map((n) => constants.number(n)).join(', ');
      return `haversineKm(${x(column.lat)}, ${x(column.lon)}, ${args})`;
    }
    case 'rotate': {
      const cos = constants.number(Math.cos(column.degrees * RADIANS));
      const sin = constants.number(Math.sin(column.degrees * RADIANS));
      return `${x(column.x)} * ${cos} + ${x(column.y)} * ${sin}`;
    }
    case 'neighbours':
      throw new Error('neighbours columns call their index (see generateTransform)');
  }
}
