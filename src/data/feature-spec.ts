/** A numeric input field: what a client sends and what a data row holds, with its physically sensible range. */
export interface NumericInputField {
  name: string;
  type: 'number';
  /** False when the value may be missing (it is then imputed). */
  required: boolean;
  /** Lower bound (inclusive unless `minExclusive`); no lower bound when absent. */
  min?: number;
  /** Upper bound (inclusive unless `maxExclusive`); no upper bound when absent. */
  max?: number;
  /** When true the value must be strictly greater than `min` (a definition's `gt`). */
  minExclusive?: boolean;
  /** When true the value must be strictly less than `max` (a definition's `lt`). */
  maxExclusive?: boolean;
  integer?: boolean;
  /** Another numeric field this one may not exceed when both are present (total_bedrooms ≤ total_rooms). */
  notGreaterThan?: string;
  unit: string;
  description: string;
}

/** A categorical input field with its known set of values. */
export interface CategoryInputField {
  name: string;
  type: 'category';
  /** False when the value may be missing (it is then imputed). */
  required: boolean;
  categories: readonly string[];
  /**
   * True while the values are not known (a category learned from the training data, before any version is
   * trained): any non-empty string is accepted.
   */
  open?: boolean;
  description: string;
}

export type InputField = NumericInputField | CategoryInputField;

/** One column of the model's feature matrix. */
export interface FeatureDefinition {
  name: string;
  /** `indicator` features are 0/1 one-hot columns of a category. */
  kind: 'numeric' | 'indicator';
  description: string;
}

/**
 * Describes a model's input once — names, types, allowed ranges, units, an example — for data-file validation,
 * request validation, API examples and drift checks alike.
 */
export interface FeatureSpec {
  model: string;
  task: 'regression' | 'classification';
  inputs: readonly InputField[];
  features: readonly FeatureDefinition[];
  target: { name: string; unit: string; description: string };
  /** Class labels, in model output order (classification only). */
  classes?: readonly string[];
  example: Readonly<Record<string, number | string>>;
}

/**
 * The training rows a definition's `neighbours` columns search, by location: each row's coordinates and the values
 * those columns summarise (the model's target, numeric input fields), NaN where a row has none.
 */
export interface NeighbourTable {
  lat: number[];
  lon: number[];
  /** The model's target (after `divide_by`), when a column summarises it. */
  target?: number[];
  /** Numeric input fields that columns summarise. */
  fields: Record<string, number[]>;
}

/**
 * Values fitted on the training part and needed again at serving time: imputation statistics (numbers, or a
 * category's mode), learned category values (string lists), a generated example row, and the training rows of
 * `neighbours` columns.
 */
export type Preprocessing = Record<string, number | string | string[] | NeighbourTable>;

/**
 * The one code path from an input record to model features, used by training and serving alike.
 * `fit` sees the training part only.
 */
export interface FeaturePipeline<I> {
  readonly spec: FeatureSpec;
  fit(train: readonly I[]): Preprocessing;
  /** Writes the features of one input at `out[offset .. offset + spec.features.length)`. */
  transformInto(input: I, preprocessing: Preprocessing, out: Float64Array, offset: number): void;
}

/** Row-major feature matrix of the given inputs. */
export function transformAll<I>(pipeline: FeaturePipeline<I>, inputs: readonly I[], prep: Preprocessing): Float64Array {
  const width = pipeline.spec.features.length;
  const out = new Float64Array(inputs.length * width);
  for (let i = 0; i < inputs.length; i++) pipeline.transformInto(inputs[i], prep, out, i * width);
  return out;
}

/** Checks a numeric value against its field's rules (absent bounds are not checked); returns the broken rule if any. */
export function numericRuleBroken(field: NumericInputField, value: number): string | undefined {
  if (!Number.isFinite(value)) return 'finite';
  if (field.integer && !Number.isInteger(value)) return 'integer';
  const { min, max } = field;
  if (min !== undefined && (field.minExclusive ? value <= min : value < min)) return field.minExclusive ? 'gt' : 'min';
  if (max !== undefined && (field.maxExclusive ? value >= max : value > max)) return field.maxExclusive ? 'lt' : 'max';
  return undefined;
}

/** Human wording of a numeric rule, e.g. "households must be greater than 0". */
export function numericRuleMessage(field: NumericInputField, rule: string): string {
  switch (rule) {
    case 'finite':
      return `${field.name} must be a finite number`;
    case 'integer':
      return `${field.name} must be an integer`;
    case 'gt':
      return `${field.name} must be greater than ${field.min}`;
    case 'min':
      return `${field.name} must not be less than ${field.min}`;
    case 'max':
      return `${field.name} must not be greater than ${field.max}`;
    case 'lt':
      return `${field.name} must be less than ${field.max}`;
    default:
      return `${field.name} breaks rule ${rule}`;
  }
}
