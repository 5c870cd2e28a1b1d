import type { FeaturePipeline, Preprocessing } from '../feature-spec';
import type { ModelDefinition } from '../../definitions/model-definition';
import { checkColumns } from './definition-columns';
import { generateTransform, RowTransform } from './definition-codegen';
import { resolveSpec } from './definition-feature-spec';
import { categoryValues, fitPreprocessing } from './definition-preprocessing';
import { PipelineDefinitionError } from './pipeline.errors';

export { fitPreprocessing } from './definition-preprocessing';
export { definitionInputs, resolveSpec } from './definition-feature-spec';

interface CompiledColumns {
  preprocessing: Preprocessing;
  width: number;
  write: RowTransform;
}

/** Compiles the columns once for one preprocessing into one generated function (see generateTransform). */
function compileColumns(definition: ModelDefinition, preprocessing: Preprocessing): CompiledColumns {
  checkColumns(definition);
  let width = 0;
  for (const column of definition.columns) {
    if (column.op !== 'one_hot') width += 1;
    else {
      const field = definition.features.find((f) => f.name === column.field);
      if (!field) throw new PipelineDefinitionError(definition.name, `unknown field ${column.field}`);
      width += categoryValues(definition, field, preprocessing).length;
    }
  }
  return { preprocessing, width, write: generateTransform(definition, preprocessing) };
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
