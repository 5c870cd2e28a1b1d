import { BoostedTreesModel } from '../../ml/boosted-trees.model';
import type { FlatTree } from '../../ml/flat-tree';
import { GradientBoostedTrees } from '../../ml/gbdt.model';
import { InvalidInputError } from '../../ml/invalid-input.error';
import { RandomForest } from '../../ml/random-forest.model';
import { expectedValue, TreeShap } from '../../ml/tree-shap';
import type { Estimator } from './estimator';
import { ForestClassifierModel } from './forest-classifier.model';
import { LinearRegressionModel } from './linear-regression.model';

/**
 * Exact feature contributions of a batch of rows: for every row, `base[o] + Σ_f phi[f, o]` is output o of the model
 * in `space`: its prediction (`output`), or its margin before the link (`margin`: the log-odds or class scores of a
 * boosted classifier, the log of a Poisson regression).
 */
export interface FeatureContributions {
  space: 'output' | 'margin';
  nOutputs: number;
  /** The expected output (the value with no feature known), per output. */
  base: Float64Array;
  /** nRows × nFeatures × nOutputs, row-major. */
  phi: Float64Array;
}

/** How a tree model's outputs come from its trees. */
interface TreePlan {
  trees: readonly FlatTree[];
  nOutputs: number;
  /** Output column of each tree's first leaf value. */
  outputOf: (t: number) => number;
  /** Weight of each tree in the output (a forest averages). */
  scale: number;
  /** The starting value of each output before the trees (a booster's base score). */
  start: Float64Array;
  space: 'output' | 'margin';
}

interface Prepared {
  plan: TreePlan;
  shap: TreeShap;
  base: Float64Array;
  /** Estimated milliseconds of CPU to explain one row (see explanationCostMs). */
  costMs: number;
}

const explainers = new WeakMap<object, Prepared>();

/**
 * TreeSHAP's work per row grows with the nodes of each tree times its depth: about 90,000 node-levels a millisecond
 * on the reference machine (a 300-tree gbdt of depth 8, 18,300 nodes: 1.6 ms a row; a 100-tree forest of deep trees
 * takes a hundred times that).
 */
const NODE_LEVELS_PER_MS = 90_000;
/** Most estimated milliseconds a run spends on its SHAP importance; fewer than 50 affordable rows: none. */
const IMPORTANCE_BUDGET_MS = 2_000;
const IMPORTANCE_MIN_ROWS = 50;

/** Estimated milliseconds of CPU to explain one row with this estimator (0 for a linear model). */
export function explanationCostMs(estimator: Estimator): number {
  if (estimator instanceof LinearRegressionModel) return 0;
  return (explainers.get(estimator) ?? prepare(estimator)).costMs;
}

/** Most holdout rows a run's SHAP importance is averaged over (the first ones of its seeded holdout). */
export const SHAP_IMPORTANCE_ROWS = 500;

/**
 * Global importance from explanations: the mean |contribution| of each feature over the first
 * SHAP_IMPORTANCE_ROWS rows of X (fewer when the model is costly to explain: at most IMPORTANCE_BUDGET_MS of
 * estimated work), summed over the outputs (classes); undefined for a model without explanations, or one whose
 * budget buys fewer than 50 rows (a forest of deep trees).
 */
export function meanAbsContributions(estimator: Estimator, X: Float64Array, nRows: number): Float64Array | undefined {
  if (notExplainable(estimator) || nRows === 0) return undefined;
  const cost = explanationCostMs(estimator);
  const n = Math.min(nRows, SHAP_IMPORTANCE_ROWS, cost > 0 ? Math.floor(IMPORTANCE_BUDGET_MS / cost) : Infinity);
  if (n < Math.min(nRows, IMPORTANCE_MIN_ROWS)) return undefined;
  const nFeatures = X.length / nRows;
  const { phi, nOutputs } = explainRows(estimator, X.subarray(0, n * nFeatures), n);
  const out = new Float64Array(nFeatures);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < nFeatures; f++) {
      for (let o = 0; o < nOutputs; o++) out[f] += Math.abs(phi[(r * nFeatures + f) * nOutputs + o]) / n;
    }
  }
  return out;
}

/** Why an estimator cannot be explained, if it cannot. */
export function notExplainable(estimator: Estimator): string | undefined {
  if (estimator instanceof LinearRegressionModel) return undefined;
  const plan = planOf(estimator);
  if (!plan) return 'its trees were stored without the training counts explanations need (retrain it)';
  const missing = plan.trees.some((tree) => tree.cover === undefined);
  return missing ? 'its trees were stored without the training counts explanations need (retrain it)' : undefined;
}

/**
 * Exact contributions: path-dependent TreeSHAP for tree models (gbdt, forests, imported boosted trees), the linear
 * model's own terms `c_j (x_j - mean_j)` for a linear model. X holds nRows rows of the model's features.
 */
export function explainRows(estimator: Estimator, X: Float64Array, nRows: number): FeatureContributions {
  if (estimator instanceof LinearRegressionModel) return explainLinear(estimator, X, nRows);
  const cached = explainers.get(estimator) ?? prepare(estimator);
  const { plan, shap, base } = cached;
  const nFeatures = X.length / Math.max(1, nRows);
  const width = nFeatures * plan.nOutputs;
  const phi = new Float64Array(nRows * width);
  for (let r = 0; r < nRows; r++) {
    const row = phi.subarray(r * width, (r + 1) * width);
    for (let t = 0; t < plan.trees.length; t++)
      shap.explainTree(t, X, r * nFeatures, row, plan.scale, plan.outputOf(t));
  }
  return { space: plan.space, nOutputs: plan.nOutputs, base, phi };
}

function prepare(estimator: Estimator): Prepared {
  const reason = notExplainable(estimator);
  const plan = planOf(estimator);
  if (reason || !plan) throw new InvalidInputError(`This version cannot be explained: ${reason ?? 'not a tree model'}`);
  const base = Float64Array.from(plan.start);
  const expected = new Float64Array(plan.nOutputs);
  plan.trees.forEach((tree, t) => {
    expected.fill(0);
    expectedValue(tree, expected, 0);
    for (let k = 0; k < tree.nOutputs; k++) base[plan.outputOf(t) + k] += plan.scale * expected[k];
  });
  const shap = new TreeShap(plan.trees, estimator.nFeatures, plan.nOutputs);
  let levels = 0;
  for (const tree of plan.trees) levels += tree.feature.length * Math.max(1, shap.maxDepth);
  const prepared = { plan, shap, base, costMs: levels / NODE_LEVELS_PER_MS };
  explainers.set(estimator, prepared);
  return prepared;
}

function planOf(estimator: Estimator): TreePlan | undefined {
  if (estimator instanceof GradientBoostedTrees) {
    const K = estimator.nClasses;
    return {
      trees: estimator.trees,
      nOutputs: K,
      outputOf: (t) => t % K,
      scale: 1,
      start: estimator.baseScore,
      space: estimator.task === 'regression' ? 'output' : 'margin',
    };
  }
  if (estimator instanceof RandomForest) {
    return {
      trees: estimator.trees,
      nOutputs: estimator.nClasses,
      outputOf: () => 0,
      scale: 1 / estimator.trees.length,
      start: new Float64Array(estimator.nClasses),
      space: 'output',
    };
  }
  if (estimator instanceof ForestClassifierModel) {
    const trees = estimator.flatTrees;
    if (!trees) return undefined;
    return {
      trees,
      nOutputs: estimator.nClasses,
      outputOf: () => 0,
      scale: 1 / trees.length,
      start: new Float64Array(estimator.nClasses),
      space: 'output',
    };
  }
  if (estimator instanceof BoostedTreesModel) {
    const { treeGroup, baseMargin, link, task } = estimator.parts;
    return {
      trees: estimator.trees,
      nOutputs: estimator.nGroups,
      outputOf: (t) => treeGroup[t],
      scale: 1,
      start: baseMargin,
      space: task === 'regression' && link === 'identity' ? 'output' : 'margin',
    };
  }
  return undefined;
}

/** A linear model's terms around the training means (or around 0 for a model stored without them). */
function explainLinear(model: LinearRegressionModel, X: Float64Array, nRows: number): FeatureContributions {
  const p = model.nFeatures;
  const means = model.means ?? new Float64Array(p);
  let base = model.intercept;
  for (let j = 0; j < p; j++) base += model.coefficients[j] * means[j];
  const phi = new Float64Array(nRows * p);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < p; j++) phi[r * p + j] = model.coefficients[j] * (X[r * p + j] - means[j]);
  }
  return { space: 'output', nOutputs: 1, base: Float64Array.of(base), phi };
}
