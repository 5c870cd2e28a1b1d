import type {
  CategoryInputField,
  FeatureDefinition,
  FeatureSpec,
  InputField,
  NumericInputField,
  Preprocessing,
} from '../feature-spec';
import type { ColumnDefinition, InputFieldDefinition, ModelDefinition } from '../../definitions/model-definition';
import { checkColumns, NumericColumn } from './definition-columns';
import { categoryValues, fittedExample } from './definition-preprocessing';
import { PipelineDefinitionError } from './pipeline.errors';

/** A numeric field's rules: the stricter of `min`/`gt` and of `max`/`lt` (an exclusive bound is flagged). */
function numericInput(field: InputFieldDefinition): NumericInputField {
  const input: NumericInputField = {
    name: field.name,
    type: 'number',
    required: field.required,
    unit: field.unit ?? '',
    description: field.description ?? '',
  };
  const { min, max, gt, lt } = field;
  if (gt !== undefined && (min === undefined || gt >= min)) Object.assign(input, { min: gt, minExclusive: true });
  else if (min !== undefined) input.min = min;
  if (lt !== undefined && (max === undefined || lt <= max)) Object.assign(input, { max: lt, maxExclusive: true });
  else if (max !== undefined) input.max = max;
  if (field.type === 'integer') input.integer = true;
  if (field.notGreaterThan !== undefined) input.notGreaterThan = field.notGreaterThan;
  return input;
}

function resolveInput(definition: ModelDefinition, field: InputFieldDefinition, prep: Preprocessing): InputField {
  if (field.type !== 'category') return numericInput(field);
  const category: CategoryInputField = {
    name: field.name,
    type: 'category',
    required: field.required,
    categories: categoryValues(definition, field, prep),
    description: field.description ?? '',
  };
  return category;
}

/**
 * The input fields of a definition before any version is trained: its rules, with a category whose values are
 * learned from the data left open (any non-empty string). Requests to a model not served yet are checked with these.
 */
export function definitionInputs(definition: ModelDefinition): InputField[] {
  return definition.features.map((field) =>
    field.type !== 'category' || field.values
      ? resolveInput(definition, field, {})
      : {
          name: field.name,
          type: 'category',
          required: field.required,
          categories: [],
          open: true,
          description: field.description ?? '',
        },
  );
}

/** `the 5 nearest training rows`, `the 5th nearest training row` (`ordinal`), `the nearest training row` for 1. */
function nearest(k: number, ordinal = false): string {
  if (k === 1) return 'the nearest training row';
  if (!ordinal) return `the ${k} nearest training rows`;
  const suffix = k % 100 >= 11 && k % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `the ${k}${suffix} nearest training row`;
}

const NEIGHBOUR_STAT_WORDS = { mean: 'mean', std: 'std', weighted_mean: 'inverse-distance weighted mean' } as const;

/** What a numeric column computes, in words, when the definition does not describe it (`target`: its name). */
function describe(column: NumericColumn, target: string): string {
  switch (column.op) {
    case 'input':
      return column.field;
    case 'ratio':
      return `${column.numerator} / ${column.denominator}`;
    case 'product':
      return column.fields.join(' × ');
    case 'sum':
      return column.fields.join(' + ');
    case 'difference':
      return `${column.minuend} - ${column.subtrahend}`;
    case 'log1p':
      return `log(1 + ${column.field})`;
    case 'sqrt':
      return `sqrt(${column.field})`;
    case 'haversine_km':
      return `Great-circle distance in km from (${column.lat}, ${column.lon}) to (${column.toLat}, ${column.toLon})`;
    case 'rotate': {
      const { x, y, degrees } = column;
      return `${x}·cos ${degrees}° + ${y}·sin ${degrees}° (coordinates rotated by ${degrees}°)`;
    }
    case 'neighbours': {
      const { k, stat, of, log } = column;
      if (stat === 'max_km') return `km to ${nearest(k, true)}`;
      const value = of ?? target;
      return `${NEIGHBOUR_STAT_WORDS[stat]} of ${log ? `log(${value})` : value} of ${nearest(k)}`;
    }
  }
}

function columnFeatures(
  definition: ModelDefinition,
  column: ColumnDefinition,
  prep: Preprocessing,
): FeatureDefinition[] {
  if (column.op !== 'one_hot') {
    const generated =
      describe(column, definition.target.name) + (column.impute ? ' (imputed when an input is missing)' : '');
    return [{ name: column.name, kind: 'numeric', description: column.description ?? generated }];
  }
  const field = definition.features.find((f) => f.name === column.field) as InputFieldDefinition;
  const prefix = column.description ? `${column.description}: ` : '';
  return categoryValues(definition, field, prep).map((value): FeatureDefinition => ({
    name: `${column.name}=${value}`,
    kind: 'indicator',
    description: `${prefix}1 when ${column.field} is ${value}`,
  }));
}

/**
 * The concrete feature spec of one trained version of a definition: its input fields with their rules (a category
 * with its declared or learned values), its model columns (a one_hot column expanded to one indicator per value,
 * named `<column>=<value>`), its target, its classes (classification: `classes` when given, else the declared ones)
 * and its example (the definition's, else the one fitted from the training part).
 */
export function resolveSpec(
  definition: ModelDefinition,
  preprocessing: Preprocessing,
  classes?: readonly string[],
): FeatureSpec {
  checkColumns(definition);
  const { target, task } = definition;
  const spec: FeatureSpec = {
    model: definition.name,
    task,
    inputs: definition.features.map((field) => resolveInput(definition, field, preprocessing)),
    features: definition.columns.flatMap((column) => columnFeatures(definition, column, preprocessing)),
    target: {
      name: target.output,
      unit: target.unit || (task === 'classification' ? 'class' : ''),
      description: target.description ?? '',
    },
    example: definition.example ?? fittedExample(definition, preprocessing),
  };
  if (task === 'classification') {
    const labels = classes ?? target.classes;
    if (!labels)
      throw new PipelineDefinitionError(definition.name, 'the class labels are unknown: pass those of the data');
    spec.classes = labels;
  }
  return spec;
}
