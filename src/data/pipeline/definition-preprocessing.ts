import type { Preprocessing } from '../feature-spec';
import type { ImputeStrategy, InputFieldDefinition, ModelDefinition } from '../../definitions/model-definition';
import { checkColumns, InputRow, NumericKernel, numericKernel, numericSlots } from './definition-columns';
import { PipelineDefinitionError } from './pipeline.errors';
import { fitNeighbourTables, regressionTarget } from './neighbour-columns';
import { mean, median, mode, sortedDistinct } from './statistics.util';

/** An imputation whose value is fitted on the training part (a constant needs no fitting). */
type FittedImpute = Exclude<ImputeStrategy, { strategy: 'constant' }>;

const fittedKey = (owner: string, impute: FittedImpute): string => impute.key ?? `${owner}.${impute.strategy}`;

/** Key of a fitted imputation (`impute.key`, else `<field or column>.<strategy>`); none for a constant. */
export function imputeKey(owner: string, impute: ImputeStrategy): string | undefined {
  return impute.strategy === 'constant' ? undefined : fittedKey(owner, impute);
}

/** Key of a category's values learned from the training part (when the definition declares none). */
export const valuesKey = (field: string): string => `values:${field}`;

/** Key of a field of the generated example row (when the definition has no example). */
export const exampleKey = (field: string): string => `example:${field}`;

function statistic(strategy: FittedImpute['strategy'], values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (strategy) {
    case 'median':
      return median(values);
    case 'mean':
      return mean(values);
    case 'mode':
      return mode(values);
  }
}

function present(train: readonly InputRow[], name: string): unknown[] {
  const values: unknown[] = [];
  for (const row of train) {
    const value = row[name];
    if (value !== undefined && value !== null) values.push(value);
  }
  return values;
}

function fitInput(definition: ModelDefinition, field: InputFieldDefinition, train: readonly InputRow[]): Preprocessing {
  const prep: Preprocessing = {};
  const { name, impute } = field;
  const fitted = impute?.strategy === 'constant' ? undefined : impute;
  const unfitted = (key: string): never => {
    throw new PipelineDefinitionError(definition.name, `no training value of ${name} to fit ${key}`);
  };
  if (field.type === 'category') {
    const values = present(train, name).filter((v): v is string => typeof v === 'string');
    const mostFrequent = mode(values);
    if (!field.values) prep[valuesKey(name)] = sortedDistinct(values);
    if (fitted && fitted.strategy !== 'mode') {
      throw new PipelineDefinitionError(definition.name, `category ${name} cannot be imputed with ${fitted.strategy}`);
    }
    if (fitted) prep[fittedKey(name, fitted)] = mostFrequent ?? unfitted(fittedKey(name, fitted));
    if (!definition.example && mostFrequent !== undefined) prep[exampleKey(name)] = mostFrequent;
    return prep;
  }
  const values = present(train, name).filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  if (fitted) prep[fittedKey(name, fitted)] = statistic(fitted.strategy, values) ?? unfitted(fittedKey(name, fitted));
  if (!definition.example && values.length > 0) {
    const middle = median(values);
    prep[exampleKey(name)] = field.type === 'integer' ? Math.round(middle) : middle;
  }
  return prep;
}

/** Fits each numeric column's own imputation over the training rows where all of its inputs are present. */
function fitColumns(definition: ModelDefinition, train: readonly InputRow[]): Preprocessing {
  const fitted = definition.columns.flatMap((column) =>
    column.op !== 'one_hot' && column.impute && column.impute.strategy !== 'constant'
      ? [{ column, impute: column.impute, key: fittedKey(column.name, column.impute) }]
      : [],
  );
  if (fitted.length === 0) return {};
  const slots = numericSlots(definition, () => NaN);
  const kernels: NumericKernel[] = fitted.map(({ column }) => numericKernel(column, slots));
  const values: number[][] = fitted.map(() => []);
  for (const row of train) {
    slots.read(row);
    for (let i = 0; i < kernels.length; i++) {
      if (kernels[i].anyMissing()) continue;
      const value = kernels[i].compute();
      if (Number.isFinite(value)) values[i].push(value);
    }
  }
  const prep: Preprocessing = {};
  fitted.forEach(({ column, impute, key }, i) => {
    const value = statistic(impute.strategy, values[i]);
    if (value === undefined) {
      throw new PipelineDefinitionError(
        definition.name,
        `no training row with the inputs of ${column.name} to fit ${key}`,
      );
    }
    prep[key] = value;
  });
  return prep;
}

/**
 * Fits what a definition's pipeline needs from the training part only: each category's values when the definition
 * declares none (`values:<field>`, sorted), each fitted imputation of an input (its median, mean or mode over the
 * present training values) and of a numeric column (over the training rows where all of its inputs are present),
 * and, when the definition has no example, an example row of training medians (rounded for integer fields) and modes
 * (`example:<field>`), and the training rows `neighbours` columns search (`neighbours:<lat>,<lon>`). Iris fits `{}`.
 */
export function fitPreprocessing(definition: ModelDefinition, train: readonly InputRow[]): Preprocessing {
  checkColumns(definition);
  const inputs = definition.features.map((field) => fitInput(definition, field, train));
  const neighbours = fitNeighbourTables(definition, train, (value) => regressionTarget(definition, value));
  return Object.assign({}, ...inputs, fitColumns(definition, train), neighbours) as Preprocessing;
}

function fittedValue(definition: ModelDefinition, owner: string, impute: ImputeStrategy, prep: Preprocessing) {
  if (impute.strategy === 'constant') return impute.value;
  const key = fittedKey(owner, impute);
  if (!Object.hasOwn(prep, key)) {
    throw new PipelineDefinitionError(
      definition.name,
      `preprocessing lacks ${key}: it was not fitted for this definition`,
    );
  }
  return prep[key];
}

/** The number a missing value takes (from a field's or a column's imputation), undefined when it has none. */
export function numberFill(
  definition: ModelDefinition,
  owner: string,
  impute: ImputeStrategy | undefined,
  prep: Preprocessing,
): number | undefined {
  if (!impute) return undefined;
  const value = fittedValue(definition, owner, impute, prep);
  if (typeof value !== 'number') {
    throw new PipelineDefinitionError(definition.name, `the imputed value of ${owner} is not a number`);
  }
  return value;
}

/** The category value a missing category takes, undefined when it has no imputation. */
export function categoryFill(
  definition: ModelDefinition,
  field: InputFieldDefinition,
  prep: Preprocessing,
): string | undefined {
  if (!field.impute) return undefined;
  const value = fittedValue(definition, field.name, field.impute, prep);
  if (typeof value !== 'string') {
    throw new PipelineDefinitionError(definition.name, `the imputed value of ${field.name} is not a string`);
  }
  return value;
}

/** A category's values in one-hot order: declared by the definition, else learned by `fitPreprocessing`. */
export function categoryValues(
  definition: ModelDefinition,
  field: InputFieldDefinition,
  prep: Preprocessing,
): string[] {
  if (field.values) return field.values;
  const learned = prep[valuesKey(field.name)];
  if (!Array.isArray(learned)) {
    throw new PipelineDefinitionError(definition.name, `preprocessing lacks the learned values of ${field.name}`);
  }
  return learned;
}

/** The generated example row (`example:<field>` of every input that had a training value). */
export function fittedExample(definition: ModelDefinition, prep: Preprocessing): Record<string, number | string> {
  const example: Record<string, number | string> = {};
  for (const { name } of definition.features) {
    const value = prep[exampleKey(name)];
    if (typeof value === 'number' || typeof value === 'string') example[name] = value;
  }
  return example;
}
