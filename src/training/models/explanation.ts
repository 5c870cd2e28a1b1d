import { BoostedTreesModel } from '../../ml/boosted-trees.model';
import type { FlatTree } from '../../ml/flat-tree';
import { GradientBoostedTrees } from '../../ml/gbdt.model';
import { InvalidInputError } from '../../ml/invalid-input.error';
import { RandomForest } from '../../ml/random-forest.model';
import { expectedValue, TreeShap } from '../../ml/tree-shap';
import type { Estimator } from './estimator';
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

const explainers = new WeakMap<object, { plan: TreePlan; shap: TreeShap; base: Float64Array }>();

/** Why an estimator cannot be explained, if it cannot. */
export function notExplainable(estimator: Estimator): string | undefined {
  if (estimator instanceof LinearRegressionModel) return undefined;
  const plan = planOf(estimator);
  if (!plan) return 'an ml-random-forest classifier keeps its trees in a form TreeSHAP cannot read';
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

function prepare(estimator: Estimator): { plan: TreePlan; shap: TreeShap; base: Float64Array } {
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
  const prepared = { plan, shap: new TreeShap(plan.trees, estimator.nFeatures, plan.nOutputs), base };
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
