import type { FeaturePipeline, Preprocessing } from '../feature-spec';
import type { ModelDefinition } from '../../definitions/model-definition';
import { checkColumns, InputRow, NumericKernel, numericKernel, numericSlots, OneHotColumn } from './definition-columns';
import { resolveSpec } from './definition-feature-spec';
import { categoryFill, categoryValues, fitPreprocessing, numberFill } from './definition-preprocessing';
import { PipelineDefinitionError } from './pipeline.errors';

export { fitPreprocessing } from './definition-preprocessing';
export { definitionInputs, resolveSpec } from './definition-feature-spec';

/** Writes one column's features of a row at `out[offset + its position ..]`. */
type ColumnWriter = (row: InputRow, out: Float64Array, offset: number) => void;

interface CompiledColumns {
  preprocessing: Preprocessing;
  width: number;
  write(row: InputRow, out: Float64Array, offset: number): void;
}

function numericWriter(kernel: NumericKernel, fill: number | undefined, at: number): ColumnWriter {
  const { compute, anyMissing } = kernel;
  if (fill === undefined) {
    return (_row, out, offset) => {
      out[offset + at] = compute();
    };
  }
  return (_row, out, offset) => {
    out[offset + at] = anyMissing() ? fill : compute();
  };
}

/** 0 for every value and 1 at the row's value (imputed when missing); an unknown value writes all zeros. */
function oneHotWriter(field: string, values: readonly string[], fill: string | undefined, at: number): ColumnWriter {
  const index = new Map<unknown, number>(values.map((value, i) => [value, i]));
  const n = values.length;
  return (row, out, offset) => {
    const start = offset + at;
    for (let i = 0; i < n; i++) out[start + i] = 0;
    const value = row[field];
    const hit = index.get(value === undefined || value === null ? fill : value);
    if (hit !== undefined) out[start + hit] = 1;
  };
}

function oneHot(definition: ModelDefinition, column: OneHotColumn, prep: Preprocessing, at: number) {
  const field = definition.features.find((f) => f.name === column.field);
  if (!field) throw new PipelineDefinitionError(definition.name, `unknown field ${column.field}`);
  const values = categoryValues(definition, field, prep);
  return { writer: oneHotWriter(field.name, values, categoryFill(definition, field, prep), at), width: values.length };
}

/** Compiles the columns once for one preprocessing: per row, one read of each input and one closure per column. */
function compileColumns(definition: ModelDefinition, preprocessing: Preprocessing): CompiledColumns {
  checkColumns(definition);
  const slots = numericSlots(definition, (f) => numberFill(definition, f.name, f.impute, preprocessing) ?? NaN);
  const writers: ColumnWriter[] = [];
  let width = 0;
  for (const column of definition.columns) {
    if (column.op === 'one_hot') {
      const compiled = oneHot(definition, column, preprocessing, width);
      writers.push(compiled.writer);
      width += compiled.width;
    } else {
      const fill = numberFill(definition, column.name, column.impute, preprocessing);
      writers.push(numericWriter(numericKernel(column, slots), fill, width));
      width += 1;
    }
  }
  return {
    preprocessing,
    width,
    write(row, out, offset) {
      slots.read(row);
      for (let i = 0; i < writers.length; i++) writers[i](row, out, offset);
    },
  };
}

/**
 * The feature pipeline of one trained version of a definition, compiled once. A missing input (undefined or null)
 * takes its field's imputed value when it has one; a numeric column with its own imputation takes its fitted or
 * constant value when one of its inputs is missing; anything else missing gives NaN. `transformInto` uses the
 * preprocessing it is given (compiled again only when that is another object than the last one).
 */
export function compilePipeline(
  definition: ModelDefinition,
  preprocessing: Preprocessing,
  classes?: readonly string[],
): FeaturePipeline<Record<string, unknown>> {
  const spec = resolveSpec(definition, preprocessing, classes);
  const compile = (prep: Preprocessing): CompiledColumns => {
    const compiled = compileColumns(definition, prep);
    if (compiled.width !== spec.features.length) {
      const reason = `preprocessing gives ${compiled.width} features, the spec of this version ${spec.features.length}`;
      throw new PipelineDefinitionError(definition.name, reason);
    }
    return compiled;
  };
  let columns = compile(preprocessing);
  return {
    spec,
    fit: (train) => fitPreprocessing(definition, train),
    transformInto(input, prep, out, offset) {
      if (prep !== columns.preprocessing) columns = compile(prep);
      columns.write(input, out, offset);
    },
  };
}

/**
 * What the model learns for a target value: regression, the value divided by `divideBy` (a division, as
 * `median_house_value / 100_000`; NaN for a non-number); classification, the label's index in `classes` (the
 * declared classes when not given), -1 for an unknown label.
 */
export function targetValue(definition: ModelDefinition, value: number | string, classes?: readonly string[]): number {
  if (definition.task === 'regression') return typeof value === 'number' ? value / definition.target.divideBy : NaN;
  return (classes ?? definition.target.classes ?? []).indexOf(String(value));
}
