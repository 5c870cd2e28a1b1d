import type { SchemaObject } from 'ajv';
import { NEIGHBOUR_STATS } from './model-definition';

/**
 * The JSON Schema (draft-07) of a model definition document, as users write it (snake_case keys). It checks the
 * shape of the document; the rules that relate two places (a column naming an input, a key allowed for one task
 * only, `min` against `gt`, a cron expression) are checked in code by `parseDefinition`, which reports both kinds
 * of problem together. Union-shaped values use `if`/`then` rather than `oneOf`, so a mistake gives one problem.
 */

export const DEFINITION_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const FIELD_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
export const OUTPUT_FIELD_PATTERN = '^[a-z][a-z0-9_]{0,31}$';
export const URL_PATTERN = '^https?://[^\\s/?#]+\\S*$';

/** What each pattern means, for problem messages. */
export const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [DEFINITION_NAME_PATTERN]: 'lowercase letters, digits and hyphens, at most 63, not starting with a hyphen',
  [FIELD_NAME_PATTERN]: 'letters, digits and underscores, at most 64, not starting with a digit',
  [OUTPUT_FIELD_PATTERN]: 'lowercase letters, digits and underscores, at most 32, starting with a letter',
  [URL_PATTERN]: 'an http:// or https:// URL',
};

export const TASKS = ['regression', 'classification'] as const;
export const FIELD_TYPES = ['number', 'integer', 'category'] as const;
export const CANDIDATES_BY_TASK = {
  regression: ['linear', 'random_forest', 'gbdt'],
  classification: ['gbdt', 'random_forest'],
} as const;
export const METRICS_BY_TASK = {
  regression: ['rmse', 'mae', 'r2'],
  classification: ['accuracy', 'macro_f1', 'log_loss'],
} as const;
export const DEGRADATION_ACTIONS = ['retrain', 'rollback_or_retrain', 'none'] as const;
export const COLUMN_OPERATIONS = [
  'input',
  'ratio',
  'product',
  'sum',
  'difference',
  'log1p',
  'sqrt',
  'haversine_km',
  'rotate',
  'neighbours',
  'one_hot',
] as const;
/** The most training rows a neighbours column may summarize. */
export const MAX_NEIGHBOURS = 1000;

const text = (maxLength: number, description?: string) =>
  description ? { type: 'string', maxLength, description } : { type: 'string', maxLength };
const fieldName = { type: 'string', pattern: FIELD_NAME_PATTERN };
const fieldList = (count: number | [number], description: string) =>
  typeof count === 'number'
    ? { type: 'array', items: fieldName, minItems: count, maxItems: count, description }
    : { type: 'array', items: fieldName, minItems: count[0], description };
const bounds = {
  min: { type: 'number', description: 'Inclusive lower bound.' },
  max: { type: 'number', description: 'Inclusive upper bound.' },
  gt: { type: 'number', description: 'Exclusive lower bound.' },
  lt: { type: 'number', description: 'Exclusive upper bound.' },
};
const labels = (description: string) => ({
  type: 'array',
  items: { type: ['string', 'number'] },
  minItems: 1,
  uniqueItems: true,
  description,
});

/** `median`, `{strategy, key}` or `{constant}`; `strings` are the allowed one-word forms. */
const impute = (strings: readonly string[], strategies: readonly string[], constant: readonly string[]) => ({
  type: ['string', 'object'],
  description: `How a missing value is filled in: ${strings.join(' | ')}, {strategy, key} or {constant}.`,
  if: { type: 'string' },
  then: { enum: strings },
  else: {
    if: { required: ['constant'] },
    then: { properties: { constant: { type: constant } }, additionalProperties: false },
    else: {
      properties: {
        strategy: { enum: strategies },
        key: { type: 'string', minLength: 1, maxLength: 64, description: 'Name of the fitted statistic.' },
      },
      required: ['strategy'],
      additionalProperties: false,
    },
  },
});

const feature = {
  type: 'object',
  properties: {
    name: fieldName,
    type: { enum: FIELD_TYPES },
    required: { type: 'boolean', description: 'Default true, or false when impute is set.' },
    impute: impute(['median', 'mean', 'mode', 'reject'], ['median', 'mean', 'mode'], ['number', 'string']),
    ...bounds,
    positive: { type: 'boolean', description: 'true is shorthand for gt: 0.' },
    not_greater_than: { ...fieldName, description: 'Another numeric input this one may not exceed.' },
    values: labels('Category only: the known values, in one-hot order.'),
    unit: text(64),
    description: text(500),
  },
  required: ['name', 'type'],
  additionalProperties: false,
};

const column = {
  type: ['string', 'object'],
  description: 'An input name, or {name, description, impute} with exactly one operation key.',
  if: { type: 'object' },
  then: {
    properties: {
      name: fieldName,
      description: text(500),
      impute: impute(['median', 'mean'], ['median', 'mean'], ['number']),
      input: fieldName,
      ratio: fieldList(2, '[numerator, denominator]'),
      product: fieldList([2], 'Fields multiplied together.'),
      sum: fieldList([2], 'Fields added together.'),
      difference: fieldList(2, '[minuend, subtrahend]'),
      log1p: fieldName,
      sqrt: fieldName,
      haversine_km: {
        type: 'object',
        properties: {
          lat: fieldName,
          lon: fieldName,
          to: {
            type: 'array',
            items: [
              { type: 'number', minimum: -90, maximum: 90 },
              { type: 'number', minimum: -180, maximum: 180 },
            ],
            minItems: 2,
            maxItems: 2,
            description: '[latitude, longitude] of the fixed point.',
          },
        },
        required: ['lat', 'lon', 'to'],
        additionalProperties: false,
      },
      rotate: {
        type: 'object',
        properties: { x: fieldName, y: fieldName, degrees: { type: 'number' } },
        required: ['x', 'y', 'degrees'],
        additionalProperties: false,
      },
      neighbours: {
        type: 'object',
        description: 'A statistic of the k training rows nearest to (lat, lon).',
        properties: {
          lat: fieldName,
          lon: fieldName,
          k: {
            type: 'integer',
            minimum: 1,
            maximum: MAX_NEIGHBOURS,
            description: `How many nearest training rows (1 to ${MAX_NEIGHBOURS}).`,
          },
          stat: {
            enum: NEIGHBOUR_STATS,
            description: 'mean, std or weighted_mean (inverse distance) of the value, or max_km: km to the k-th row.',
          },
          of: { ...fieldName, description: 'A numeric input (default: the target, regression only).' },
          log: { type: 'boolean', description: 'Of the natural log of the value (not with max_km).' },
        },
        required: ['lat', 'lon', 'k', 'stat'],
        additionalProperties: false,
      },
      one_hot: fieldName,
    },
    additionalProperties: false,
    // The name of a one_hot column defaults to its field.
    if: { required: ['one_hot'] },
    else: { required: ['name'] },
  },
};

const targetObject = {
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: text(500),
    divide_by: { type: 'number', exclusiveMinimum: 0, description: 'Regression: the model learns value / divide_by.' },
    unit: text(64, 'Regression: unit of the output.'),
    output: { ...fieldName, description: 'Name of the model output (default: the target name).' },
    ...bounds,
    also: {
      type: 'object',
      propertyNames: { pattern: OUTPUT_FIELD_PATTERN },
      additionalProperties: { type: 'number', exclusiveMinimum: 0 },
      description: 'Regression: extra answer fields, output × factor rounded (dollars: 100000).',
    },
    classes: labels('Classification: class labels in model output order.'),
  },
  required: ['name'],
  additionalProperties: false,
};

const candidateNames = { enum: CANDIDATES_BY_TASK.regression };
const paramValue = { type: ['string', 'number', 'boolean', 'null'] };

export const MODEL_DEFINITION_SCHEMA: SchemaObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Model definition',
  description: 'A tabular model served by nest-mlops: its data, target, inputs, columns, candidates and policies.',
  type: 'object',
  properties: {
    name: { type: 'string', pattern: DEFINITION_NAME_PATTERN },
    task: { enum: TASKS },
    description: text(500),
    aliases: {
      type: 'array',
      items: { type: 'string', pattern: DEFINITION_NAME_PATTERN },
      uniqueItems: true,
      description: 'Short route names (/predict/<alias>).',
    },
    source: {
      type: 'object',
      description: 'path and/or url, or package (a bundled data set).',
      properties: {
        path: { type: 'string', minLength: 1, maxLength: 1024, description: 'Relative to DATA_DIR/raw, or absolute.' },
        url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048, description: 'Downloaded and stored at path.' },
        package: { type: 'string', minLength: 1, maxLength: 214, description: 'A bundled data package.' },
      },
      additionalProperties: false,
    },
    delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'CSV cell delimiter (default ,).' },
    target: {
      type: ['string', 'object'],
      description: 'The target column name, or {name, ...}.',
      if: { type: 'string' },
      then: { minLength: 1, maxLength: 128 },
      else: targetObject,
    },
    features: {
      type: 'array',
      items: feature,
      minItems: 1,
      maxItems: 1000,
      description: 'The input fields, in order (at most 1000).',
    },
    columns: {
      type: 'array',
      items: column,
      minItems: 1,
      maxItems: 2000,
      description: "The model's columns, in order (at most 2000).",
    },
    candidates: {
      type: ['array', 'object'],
      description: 'Candidate names, or a map name → hyper-parameters (camelCase).',
      if: { type: 'array' },
      then: { items: candidateNames, minItems: 1, uniqueItems: true },
      else: {
        minProperties: 1,
        propertyNames: candidateNames,
        additionalProperties: {
          type: ['object', 'null'],
          additionalProperties: { type: [...paramValue.type, 'array'], items: paramValue },
        },
      },
    },
    gate: {
      type: 'object',
      properties: {
        metric: { enum: [...METRICS_BY_TASK.regression, ...METRICS_BY_TASK.classification] },
        margin: { type: 'number', minimum: 0 },
      },
      additionalProperties: false,
    },
    split: {
      type: 'object',
      properties: {
        test_fraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        seed: { type: 'integer', minimum: 0 },
      },
      additionalProperties: false,
    },
    max_rejected_fraction: { type: 'number', minimum: 0, maximum: 1 },
    drift: {
      type: 'object',
      properties: {
        psi_warn: { type: 'number', exclusiveMinimum: 0 },
        psi_drift: { type: 'number', exclusiveMinimum: 0 },
        ks_p_value: { type: 'number', minimum: 0, maximum: 1 },
        ks_min_statistic: { type: 'number', minimum: 0, maximum: 1 },
        min_rows: { type: 'integer', minimum: 1 },
      },
      additionalProperties: false,
    },
    retrain: {
      type: 'object',
      properties: {
        schedule: { type: 'string', minLength: 1, maxLength: 128, description: 'A cron expression, or "off".' },
        on_drift: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    evaluation: {
      type: 'object',
      description: 'Decisions on live performance: experiments (auto-promotion) and degradation.',
      properties: {
        auto_promote: { type: 'boolean', description: "Promote an experiment's challenger once it is better." },
        confidence: { type: 'number', exclusiveMinimum: 0.5, exclusiveMaximum: 1, description: 'Default 0.95.' },
        min_samples: { type: 'integer', minimum: 2, maximum: 10000000, description: 'Rows per arm (default 200).' },
        max_days: { type: 'number', exclusiveMinimum: 0, maximum: 3650, description: 'Deadline (default 14).' },
        degradation: {
          type: 'object',
          properties: {
            margin: { type: 'number', minimum: 0, description: 'Relative excess over the holdout (default 0.25).' },
            min_samples: { type: 'integer', minimum: 2, maximum: 10000000 },
            window_hours: { type: 'number', exclusiveMinimum: 0, maximum: 8760 },
            action: { enum: DEGRADATION_ACTIONS },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    example: {
      type: 'object',
      additionalProperties: { type: ['number', 'string'] },
      description: 'An input row (keys are input names).',
    },
  },
  required: ['name', 'task', 'source', 'target', 'features'],
  additionalProperties: false,
};
