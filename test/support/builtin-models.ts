import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureSpec } from '../../src/data/feature-spec';
import { resolveSpec } from '../../src/data/pipeline/definition-pipeline';
import { parseDefinitionText } from '../../src/definitions/definition-document';
import type { ModelDefinition } from '../../src/definitions/model-definition';
import { REPO_ROOT } from './housing-data';

/** A built-in definition, parsed from its file as the service parses it (a new object on every call). */
export function builtinDefinition(name: string): ModelDefinition {
  const file = join(REPO_ROOT, 'src', 'definitions', 'builtin', `${name}.yaml`);
  const parsed = parseDefinitionText(readFileSync(file, 'utf8'), 'yaml', file);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.problems.map((p) => p.message).join('; ')}`);
  return parsed.definition;
}

/**
 * A definition without its `neighbours` columns: what the hand-written pipelines of the first releases computed
 * (the neighbours columns have their own tests).
 */
export function withoutNeighbours(definition: ModelDefinition): ModelDefinition {
  return { ...definition, columns: definition.columns.filter((c) => c.op !== 'neighbours') };
}

/** California Housing's inputs, features and example row, from its built-in definition. */
export const HOUSING_SPEC: FeatureSpec = resolveSpec(builtinDefinition('california-housing'), {});

/** Iris's inputs, features, classes and example row, from its built-in definition. */
export const IRIS_SPEC: FeatureSpec = resolveSpec(builtinDefinition('iris'), {});

/**
 * A small normalized definition for one spec: the given fields and columns, a regression of `y` with one linear
 * candidate and the documented defaults elsewhere; no example unless given.
 */
export function adHocDefinition(
  parts: Pick<ModelDefinition, 'features' | 'columns'> & Partial<ModelDefinition>,
): ModelDefinition {
  return {
    name: 'ad-hoc',
    task: 'regression',
    aliases: [],
    source: { kind: 'file', path: 'ad-hoc.csv' },
    delimiter: ',',
    target: { name: 'y', divideBy: 1, unit: '', output: 'y', also: {} },
    candidates: [{ name: 'linear', params: {} }],
    gate: { metric: 'rmse' },
    split: {},
    drift: {},
    retrain: {},
    ...parts,
  };
}
