import { InvalidInputError } from './invalid-input.error';
import { checkLimit, checkNumber, checkOneOf, withDefaults } from './params.util';
import { MAX_BINS } from './quantile-binner';
import { ML_TASKS, MlTask } from './training-data';

/** Features tried per split: a fraction of all features in (0, 1], or 'sqrt' / 'log2' of their number. */
export type MaxFeatures = number | 'sqrt' | 'log2';

/** Hyper-parameters of a random forest (JSON-serialisable; stored with the model). */
export interface RandomForestParams {
  task: MlTask;
  nEstimators: number;
  /** -1 = no limit. */
  maxDepth: number;
  /** -1 = no limit (leaf-limited trees grow best-first). */
  maxLeaves: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  /** Draw rows with replacement for each tree (otherwise every tree sees all rows). */
  bootstrap: boolean;
  /** Bootstrap sample size as a fraction of the rows. */
  maxSamples: number;
  maxBins: number;
  seed: number;
}

export const DEFAULT_RANDOM_FOREST_PARAMS: RandomForestParams = {
  task: 'regression',
  nEstimators: 100,
  maxDepth: -1,
  maxLeaves: -1,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt',
  bootstrap: true,
  maxSamples: 1,
  maxBins: MAX_BINS,
  seed: 42,
};

export function resolveRandomForestParams(overrides: Partial<RandomForestParams> = {}): RandomForestParams {
  const p = withDefaults(DEFAULT_RANDOM_FOREST_PARAMS, overrides);
  const big = Number.MAX_SAFE_INTEGER;
  if (typeof p.bootstrap !== 'boolean') throw new InvalidInputError('bootstrap must be a boolean');
  return {
    task: checkOneOf('task', p.task, ML_TASKS),
    nEstimators: checkNumber('nEstimators', p.nEstimators, 1, 100_000, true),
    maxDepth: checkLimit('maxDepth', p.maxDepth, 1),
    maxLeaves: checkLimit('maxLeaves', p.maxLeaves, 2),
    minSamplesLeaf: checkNumber('minSamplesLeaf', p.minSamplesLeaf, 1, big, true),
    maxFeatures:
      typeof p.maxFeatures === 'string'
        ? checkOneOf('maxFeatures', p.maxFeatures, ['sqrt', 'log2'] as const)
        : checkNumber('maxFeatures', p.maxFeatures, 1e-6, 1),
    bootstrap: p.bootstrap,
    maxSamples: checkNumber('maxSamples', p.maxSamples, 1e-6, 1),
    maxBins: checkNumber('maxBins', p.maxBins, 2, MAX_BINS, true),
    seed: checkNumber('seed', p.seed, 0, 0xffffffff, true),
  };
}

/** Number of features to try per split. */
export function featuresPerSplit(maxFeatures: MaxFeatures, nFeatures: number): number {
  const m =
    maxFeatures === 'sqrt'
      ? Math.sqrt(nFeatures)
      : maxFeatures === 'log2'
        ? Math.log2(nFeatures)
        : maxFeatures * nFeatures;
  return Math.min(nFeatures, Math.max(1, Math.round(m)));
}
