import { DEFAULT_GBDT_PARAMS, resolveGbdtParams } from '../ml/gbdt.params';
import { checkNumber } from '../ml/params.util';
import { DEFAULT_RANDOM_FOREST_PARAMS, resolveRandomForestParams } from '../ml/random-forest.params';
import type { MlTask } from './model-definition';
import type { Problems } from './definition-document.problems';

/** ml-random-forest's classifier takes these (see src/training/models/forest-classifier.model.ts). */
const FOREST_CLASSIFIER_KEYS = ['nEstimators', 'maxFeatures', 'seed'];

const keysOf = (defaults: object): string[] => Object.keys(defaults).filter((key) => key !== 'task');

/**
 * Checks a candidate's parameters as its learner will: every key must be one of the learner's (a snake_case
 * `n_estimators` would otherwise be ignored in silence) and every value in its range. The learners' own checks run
 * here, so a definition that would fail at its first training is refused when it is sent.
 */
export function addCandidateParamProblems(
  task: MlTask,
  name: string,
  params: Record<string, unknown>,
  path: string,
  problems: Problems,
): void {
  const classifierForest = name === 'random_forest' && task === 'classification';
  const known =
    name === 'gbdt'
      ? keysOf(DEFAULT_GBDT_PARAMS)
      : name === 'random_forest'
        ? classifierForest
          ? FOREST_CLASSIFIER_KEYS
          : keysOf(DEFAULT_RANDOM_FOREST_PARAMS)
        : [];
  const unknown = Object.keys(params).filter((key) => !known.includes(key));
  for (const key of unknown) {
    const hint = known.length > 0 ? `one of ${known.join(', ')}` : 'none: this candidate has no parameters';
    problems.add(`${path}.${key}`, 'unknown_param', `is not a parameter of ${name} (${hint})`);
  }
  if (unknown.length > 0) return;
  try {
    if (name === 'gbdt') resolveGbdtParams({ ...params, task });
    else if (classifierForest) {
      if (params.nEstimators !== undefined) checkNumber('nEstimators', params.nEstimators, 1, 10_000, true);
      if (params.maxFeatures !== undefined) checkNumber('maxFeatures', params.maxFeatures, 1e-9, 1);
      if (params.seed !== undefined) checkNumber('seed', params.seed, 0, Number.MAX_SAFE_INTEGER, true);
    } else if (name === 'random_forest') resolveRandomForestParams({ ...params, task });
  } catch (error) {
    problems.add(path, 'param', error instanceof Error ? error.message : String(error));
  }
}
