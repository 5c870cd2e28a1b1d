import { checkLimit, checkNumber, checkOneOf, withDefaults } from './params.util';
import { MAX_BINS } from './quantile-binner';
import { ML_TASKS, MlTask } from './training-data';

/** Hyper-parameters of gradient-boosted trees (JSON-serialisable; stored with the model). */
export interface GbdtParams {
  /** 'regression' (squared error) or 'classification' (softmax, one tree per class per round). */
  task: MlTask;
  /** Boosting rounds (upper bound when early stopping is on). */
  nEstimators: number;
  learningRate: number;
  /** -1 = no limit; leaves are also capped by maxLeaves. */
  maxDepth: number;
  /** Leaves per tree, grown best-first; -1 = no limit. */
  maxLeaves: number;
  minSamplesLeaf: number;
  /** Minimum hessian sum per leaf (XGBoost's min_child_weight). */
  minHessianLeaf: number;
  /** L2 regularisation of leaf values. */
  lambda: number;
  minGainToSplit: number;
  /** Fraction of rows drawn (without replacement) for each round. */
  subsample: number;
  /** Fraction of features drawn for each round. */
  colsampleByTree: number;
  maxBins: number;
  /** Early stopping: stop after this many rounds without improvement on the validation part; 0 = off. */
  nIterNoChange: number;
  /** Share of training rows held out for early stopping when no explicit validation set is given. */
  validationFraction: number;
  /** Minimum validation-loss improvement that counts. */
  tol: number;
  seed: number;
}

export const DEFAULT_GBDT_PARAMS: GbdtParams = {
  task: 'regression',
  nEstimators: 100,
  learningRate: 0.1,
  maxDepth: -1,
  maxLeaves: 31,
  minSamplesLeaf: 20,
  minHessianLeaf: 1e-3,
  lambda: 0,
  minGainToSplit: 0,
  subsample: 1,
  colsampleByTree: 1,
  maxBins: MAX_BINS,
  nIterNoChange: 0,
  validationFraction: 0.1,
  tol: 1e-7,
  seed: 42,
};

/** Defaults merged with `overrides`, each value checked; throws InvalidInputError naming the bad parameter. */
export function resolveGbdtParams(overrides: Partial<GbdtParams> = {}): GbdtParams {
  const p = withDefaults(DEFAULT_GBDT_PARAMS, overrides);
  const big = Number.MAX_SAFE_INTEGER;
  return {
    task: checkOneOf('task', p.task, ML_TASKS),
    nEstimators: checkNumber('nEstimators', p.nEstimators, 1, 100_000, true),
    learningRate: checkNumber('learningRate', p.learningRate, 1e-6, 10),
    maxDepth: checkLimit('maxDepth', p.maxDepth, 1),
    maxLeaves: checkLimit('maxLeaves', p.maxLeaves, 2),
    minSamplesLeaf: checkNumber('minSamplesLeaf', p.minSamplesLeaf, 1, big, true),
    minHessianLeaf: checkNumber('minHessianLeaf', p.minHessianLeaf, 0, big),
    lambda: checkNumber('lambda', p.lambda, 0, big),
    minGainToSplit: checkNumber('minGainToSplit', p.minGainToSplit, 0, big),
    subsample: checkNumber('subsample', p.subsample, 1e-6, 1),
    colsampleByTree: checkNumber('colsampleByTree', p.colsampleByTree, 1e-6, 1),
    maxBins: checkNumber('maxBins', p.maxBins, 2, MAX_BINS, true),
    nIterNoChange: checkNumber('nIterNoChange', p.nIterNoChange, 0, big, true),
    validationFraction: checkNumber('validationFraction', p.validationFraction, 0, 0.9),
    tol: checkNumber('tol', p.tol, 0, big),
    seed: checkNumber('seed', p.seed, 0, 0xffffffff, true),
  };
}
