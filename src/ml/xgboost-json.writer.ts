import { BoostedTreesModel } from './boosted-trees.model';
import { FlatTree } from './flat-tree';
import { float32SplitAbove } from './float32-split.util';
import { GradientBoostedTrees } from './gbdt.model';
import { ModelFormatError } from './model-format.error';
import { RandomForest } from './random-forest.model';

/** The XGBoost release whose JSON layout the writer follows (1.7; later releases load it too). */
const WRITTEN_VERSION = [1, 7, 4];
const NO_PARENT = 2147483647;
const FLOAT32_MAX = 3.4028234663852886e38;

/** What an XGBoost model file says, in the service's terms. */
interface XgboostModelSpec {
  featureNames: readonly string[];
  objective: Record<string, unknown>;
  /** In the objective's output space (a probability for logistic objectives). */
  baseScore: number;
  /** 0 unless the objective is multi-class. */
  numClass: number;
  trees: readonly FlatTree[];
  treeGroup: ArrayLike<number>;
  /** Each tree's leaf values scaled by this (a forest's 1/nTrees; 1 otherwise). */
  leafScale: number;
  /** Per output group, added to the leaves of that group's first tree (the per-class priors of a softmax). */
  firstTreeOffset?: Float64Array;
  numParallelTree: number;
}

/**
 * A model file that XGBoost's `Booster(model_file=…)` loads and that predicts what the service's model predicts on
 * the same feature matrix (up to float32 rounding: XGBoost reads values, thresholds and leaves as float32). Thresholds
 * become the float32 split conditions that agree with `x <= t` (see float32SplitAbove); a threshold of an imported
 * model gives back the file's own condition. Supported: the service's gbdt (regression and softmax
 * classification), regression forests (one round of parallel trees), and imported boosted trees (written in the
 * file's own feature order and names). `rename` gives each feature name its name in the file.
 */
export function toXgboostJson(
  model: GradientBoostedTrees | RandomForest | BoostedTreesModel,
  featureNames: readonly string[],
  rename: (name: string) => string = (name) => name,
): Record<string, unknown> {
  if (featureNames.length !== model.nFeatures) {
    throw new ModelFormatError(`${featureNames.length} feature names for ${model.nFeatures} features`);
  }
  return writeModel(specOf(model, featureNames.map(rename), rename));
}

function specOf(
  model: GradientBoostedTrees | RandomForest | BoostedTreesModel,
  featureNames: readonly string[],
  rename: (name: string) => string,
): XgboostModelSpec {
  if (model instanceof BoostedTreesModel) {
    // Written back in the file's own feature order and names.
    const { origin, trees, treeGroup, nClasses, link } = model.parts;
    const fileFeature = new Int32Array(model.nFeatures).fill(-1);
    origin.featureIndex.forEach((column, i) => (fileFeature[column] = i));
    return {
      featureNames: origin.features.map(rename),
      objective: origin.objective,
      baseScore: origin.baseScore,
      numClass: link === 'softmax' ? nClasses : 0,
      trees: trees.map((tree) => ({ ...tree, feature: tree.feature.map((f) => (f < 0 ? f : fileFeature[f])) })),
      treeGroup,
      leafScale: 1,
      numParallelTree: 1,
    };
  }
  if (model instanceof RandomForest) {
    if (model.task !== 'regression') {
      throw new ModelFormatError('a classification forest averages class frequencies, which XGBoost cannot express');
    }
    return {
      featureNames,
      objective: { name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } },
      baseScore: 0,
      numClass: 0,
      trees: model.trees,
      treeGroup: new Int32Array(model.trees.length),
      leafScale: 1 / model.trees.length,
      numParallelTree: model.trees.length,
    };
  }
  const K = model.nClasses;
  if (model.task === 'regression') {
    return {
      featureNames,
      objective: { name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } },
      baseScore: model.baseScore[0],
      numClass: 0,
      trees: model.trees,
      treeGroup: new Int32Array(model.trees.length),
      leafScale: 1,
      numParallelTree: 1,
    };
  }
  // XGBoost has one base_score for all classes: the per-class priors go into each class's first tree instead.
  return {
    featureNames,
    objective: { name: 'multi:softprob', softmax_multiclass_param: { num_class: String(K) } },
    baseScore: 0,
    numClass: K,
    trees: model.trees,
    treeGroup: Int32Array.from(model.trees, (_, t) => t % K),
    leafScale: 1,
    firstTreeOffset: model.baseScore,
    numParallelTree: 1,
  };
}

function writeModel(spec: XgboostModelSpec): Record<string, unknown> {
  const nFeatures = spec.featureNames.length;
  const seen = new Set<number>();
  const trees = spec.trees.map((tree, t) => {
    const group = spec.treeGroup[t];
    const offset = spec.firstTreeOffset && !seen.has(group) ? spec.firstTreeOffset[group] : 0;
    seen.add(group);
    return writeTree(tree, t, nFeatures, spec.leafScale, offset);
  });
  return {
    learner: {
      attributes: {},
      feature_names: [...spec.featureNames],
      feature_types: spec.featureNames.map(() => 'float'),
      gradient_booster: {
        model: {
          gbtree_model_param: {
            num_parallel_tree: String(spec.numParallelTree),
            num_trees: String(trees.length),
            size_leaf_vector: '0',
          },
          tree_info: Array.from(spec.treeGroup),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: float32Text(spec.baseScore).toUpperCase(),
        boost_from_average: '1',
        num_class: String(spec.numClass),
        num_feature: String(nFeatures),
        num_target: '1',
      },
      objective: spec.objective,
    },
    version: WRITTEN_VERSION,
  };
}

function writeTree(
  tree: FlatTree,
  id: number,
  nFeatures: number,
  scale: number,
  offset: number,
): Record<string, unknown> {
  const n = tree.feature.length;
  const left: number[] = [];
  const right: number[] = [];
  const parents: number[] = new Array<number>(n).fill(NO_PARENT);
  const conditions: number[] = [];
  const indices: number[] = [];
  const defaults: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    const leaf = tree.feature[i] < 0;
    left.push(leaf ? -1 : tree.left[i]);
    right.push(leaf ? -1 : tree.left[i] + 1);
    if (!leaf) parents[tree.left[i]] = parents[tree.left[i] + 1] = i;
    indices.push(leaf ? 0 : tree.feature[i]);
    defaults.push(leaf ? 0 : tree.defaultLeft[i]);
    const value = leaf ? Math.fround(tree.value[i] * scale + offset) : splitCondition(tree.threshold[i], id, i);
    conditions.push(value);
    weights.push(leaf ? value : 0);
  }
  const zeros = new Array<number>(n).fill(0);
  return {
    base_weights: Float64Array.from(weights),
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: defaults,
    id,
    left_children: left,
    loss_changes: new Float64Array(n),
    parents,
    right_children: right,
    split_conditions: Float64Array.from(conditions),
    split_indices: indices,
    split_type: zeros,
    sum_hessian: tree.cover ? Float64Array.from(tree.cover) : new Float64Array(n),
    tree_param: { num_deleted: '0', num_feature: String(nFeatures), num_nodes: String(n), size_leaf_vector: '0' },
  };
}

/**
 * A threshold at or beyond the float32 range (a split that sends every value left and only missing ones right)
 * becomes the largest float32: the rules then differ only for values XGBoost cannot read as finite float32s.
 */
function splitCondition(threshold: number, tree: number, node: number): number {
  if (Number.isNaN(threshold)) throw new ModelFormatError(`tree ${tree} node ${node}: a NaN threshold`);
  return Math.min(float32SplitAbove(threshold), FLOAT32_MAX);
}

/**
 * The JSON text of a document toXgboostJson wrote. XGBoost's parser tells integers from floats by their text, and
 * refuses `0` where a float is expected: every Float64Array is written as floats (`0.0`, `1.5`, `1e-7`).
 */
export function xgboostJsonText(document: Record<string, unknown>): string {
  const floats: Float64Array[] = [];
  const text = JSON.stringify(document, (_key, value: unknown) =>
    value instanceof Float64Array ? `\u0000${floats.push(value) - 1}` : value,
  );
  return text.replace(
    /"\\u0000(\d+)"/g,
    (_match, i: string) => `[${Array.from(floats[Number(i)], floatText).join(',')}]`,
  );
}

function floatText(value: number): string {
  const text = float32Text(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/**
 * The shortest decimal that reads back as the float32 nearest to `value` (`5e-1`, `2.0758014e0`). XGBoost reads
 * its numbers as float32, and its parser gives up on longer texts: a base_score written with 17 digits is read as
 * the default 0.5.
 */
export function float32Text(value: number): string {
  const f = Math.fround(value);
  if (!Number.isFinite(f)) throw new ModelFormatError('XGBoost model files hold finite float32 numbers only');
  for (let digits = 1; digits < 9; digits++) {
    const text = f.toExponential(digits - 1);
    if (Math.fround(Number(text)) === f) return text.replace('e+', 'e');
  }
  return f.toExponential(8).replace('e+', 'e');
}
