import { RandomForestClassifier } from 'ml-random-forest';
import type { FlatTree } from '../../ml/flat-tree';
import { previousDouble } from '../../ml/float32-split.util';
import { asRecord, readInt, readLiteral } from '../../ml/json-reader.util';
import { ModelFormatError } from '../../ml/model-format.error';
import type { TrainingData } from '../../ml/training-data';

export const FOREST_CLASSIFIER_KIND = 'ml_random_forest_classifier';

export interface ForestClassifierParams {
  nEstimators: number;
  /** Share of the features each tree sees (ml-random-forest samples features per tree). */
  maxFeatures: number;
  seed: number;
}

export const DEFAULT_FOREST_CLASSIFIER_PARAMS: ForestClassifierParams = { nEstimators: 50, maxFeatures: 0.8, seed: 42 };

export interface ForestClassifierJson {
  kind: typeof FOREST_CLASSIFIER_KIND;
  formatVersion: 1;
  nFeatures: number;
  nClasses: number;
  forest: unknown;
  /**
   * Training rows that reached each node of each tree, in the node order of `flatTrees` (absent from artifacts
   * written before explanations: such a forest predicts but cannot be explained).
   */
  covers?: number[][];
}

/**
 * ml-random-forest's classifier (ml-cart trees): fine for small tables such as Iris, where its quadratic tree
 * learner costs nothing. Class probabilities are the share of trees voting for each class.
 *
 * For explanations the same trees are also read as `FlatTree`s whose leaves hold the one-hot vote of the ml-cart
 * leaf, so that the mean of the trees is exactly `predictProba`, with the count of training rows that reach each node
 * (all the training rows, not only the tree's bootstrap sample) as the cover TreeSHAP weighs unseen splits by.
 */
export class ForestClassifierModel {
  private flat?: readonly FlatTree[];

  private constructor(
    readonly nFeatures: number,
    readonly nClasses: number,
    private readonly forest: RandomForestClassifier,
    private readonly covers: readonly Float64Array[] | undefined,
  ) {}

  static fit(
    { X, y, nFeatures }: TrainingData,
    nClasses: number,
    params: ForestClassifierParams,
  ): ForestClassifierModel {
    const forest = new RandomForestClassifier({ ...params, noOOB: true });
    forest.train(toRows(X, nFeatures), Array.from(y));
    const trees = flattenForest(serialised(forest), nFeatures, nClasses);
    const nRows = X.length / nFeatures;
    const covers = trees.map((tree) => countRows(tree, X, nFeatures, nRows));
    return new ForestClassifierModel(nFeatures, nClasses, forest, covers);
  }

  /**
   * The trees as FlatTrees with one-hot vote leaves and training-row covers (the mean of the trees is
   * `predictProba`), or undefined for a forest stored without covers.
   */
  get flatTrees(): readonly FlatTree[] | undefined {
    const { covers } = this;
    if (!covers) return undefined;
    if (this.flat) return this.flat;
    const trees = flattenForest(serialised(this.forest), this.nFeatures, this.nClasses);
    if (covers.length !== trees.length) {
      throw new ModelFormatError(`forest classifier.covers has ${covers.length} entries for ${trees.length} trees`);
    }
    this.flat = trees.map((tree, t) => {
      if (covers[t]?.length !== tree.feature.length) {
        throw new ModelFormatError(
          `forest classifier.covers[${t}] does not match the tree's ${tree.feature.length} nodes`,
        );
      }
      return { ...tree, cover: covers[t] };
    });
    return this.flat;
  }

  /**
   * Row-major nRows × nClasses probabilities: the share of trees voting for each class. Counted from the trees'
   * votes, because ml-random-forest 2.1's predictProbability drops the first tree's vote and adds its label.
   */
  predictProba(X: Float64Array, nRows = X.length / this.nFeatures): Float64Array {
    const votes = this.forest.predictionValues(toRows(X, this.nFeatures, nRows));
    const out = new Float64Array(nRows * this.nClasses);
    for (let i = 0; i < nRows; i++) {
      const row = votes.getRow(i);
      for (const label of row) out[i * this.nClasses + label] += 1 / row.length;
    }
    return out;
  }

  /** Most voted class index per row. */
  predict(X: Float64Array, nRows = X.length / this.nFeatures): Float64Array {
    return Float64Array.from(this.forest.predict(toRows(X, this.nFeatures, nRows)));
  }

  toJSON(): ForestClassifierJson {
    return {
      kind: FOREST_CLASSIFIER_KIND,
      formatVersion: 1,
      nFeatures: this.nFeatures,
      nClasses: this.nClasses,
      forest: this.forest.toJSON(),
      ...(this.covers ? { covers: this.covers.map((cover) => Array.from(cover)) } : {}),
    };
  }

  static fromJSON(json: unknown): ForestClassifierModel {
    const obj = asRecord(json, 'forest classifier');
    readLiteral(obj, 'kind', 'forest classifier', [FOREST_CLASSIFIER_KIND]);
    readLiteral(obj, 'formatVersion', 'forest classifier', [1]);
    const nFeatures = readInt(obj, 'nFeatures', 'forest classifier', 1);
    const nClasses = readInt(obj, 'nClasses', 'forest classifier', 2);
    const covers = readCovers(obj.covers);
    let forest: RandomForestClassifier;
    try {
      forest = RandomForestClassifier.load(obj.forest as Parameters<typeof RandomForestClassifier.load>[0]);
    } catch (error) {
      throw new ModelFormatError(`forest classifier.forest is not a valid ml-random-forest model: ${String(error)}`);
    }
    const model = new ForestClassifierModel(nFeatures, nClasses, forest, covers);
    void model.flatTrees; // validates the covers against the trees now, not at the first explanation
    return model;
  }
}

function readCovers(json: unknown): Float64Array[] | undefined {
  if (json === undefined) return undefined;
  if (!Array.isArray(json)) throw new ModelFormatError('forest classifier.covers must be an array');
  return json.map((cover: unknown, t) => {
    const ok = Array.isArray(cover) && cover.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 0);
    if (!ok) throw new ModelFormatError(`forest classifier.covers[${t}] must be an array of non-negative numbers`);
    return Float64Array.from(cover as number[]);
  });
}

/** ml-random-forest's JSON form (plain arrays in place of matrices), which the flattening reads. */
function serialised(forest: RandomForestClassifier): unknown {
  return JSON.parse(JSON.stringify(forest.toJSON())) as unknown;
}

interface CartNode {
  splitValue?: number;
  splitColumn?: number;
  left?: CartNode;
  right?: CartNode;
  distribution?: number[][];
}

/**
 * The forest's ml-cart trees as FlatTrees, nodes breadth-first so that siblings sit side by side. ml-cart sends a
 * row left when `x[column] < splitValue` (NaN goes right): here `x <= previousDouble(splitValue)` with NaN right, the
 * same test for every double. Column j of tree i is feature `indexes[i][j]` (ml-random-forest's feature bagging). A
 * leaf votes for the first class of highest frequency, as ml-cart's `maxRowIndex` does.
 */
function flattenForest(json: unknown, nFeatures: number, nClasses: number): FlatTree[] {
  const forest = asRecord(asRecord(json, 'forest classifier.forest').baseModel, 'forest classifier.forest.baseModel');
  const { estimators, indexes } = forest;
  if (!Array.isArray(estimators) || !Array.isArray(indexes) || estimators.length !== indexes.length) {
    throw new ModelFormatError('forest classifier.forest needs as many feature indexes as estimators');
  }
  return estimators.map((estimator: unknown, t) => {
    const what = `forest classifier.forest.baseModel.estimators[${t}]`;
    const columns = indexes[t] as unknown;
    if (!Array.isArray(columns))
      throw new ModelFormatError(`forest classifier.forest.baseModel.indexes[${t}] must be an array`);
    return flattenTree(asRecord(estimator, what).root as CartNode, columns as number[], nFeatures, nClasses, what);
  });
}

function flattenTree(root: CartNode, columns: number[], nFeatures: number, nClasses: number, what: string): FlatTree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const value: number[] = [];
  const queue: CartNode[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    const vote = new Array<number>(nClasses).fill(0);
    if (node?.left && node.right) {
      const f = columns[node.splitColumn ?? -1];
      if (!Number.isInteger(f) || f < 0 || f >= nFeatures || !Number.isFinite(node.splitValue)) {
        throw new ModelFormatError(`${what} node ${i} has an invalid split`);
      }
      feature.push(f);
      threshold.push(previousDouble(node.splitValue as number));
      left.push(queue.length);
      queue.push(node.left, node.right);
    } else {
      const frequencies = node?.distribution?.[0];
      if (!Array.isArray(frequencies) || frequencies.length === 0 || frequencies.length > nClasses) {
        throw new ModelFormatError(`${what} leaf ${i} has no class distribution`);
      }
      let best = 0;
      for (let k = 1; k < frequencies.length; k++) if (frequencies[k] > frequencies[best]) best = k;
      vote[best] = 1;
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
    }
    value.push(...vote);
  }
  return {
    nOutputs: nClasses,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    defaultLeft: new Uint8Array(feature.length),
    value: Float64Array.from(value),
  };
}

/** How many of the rows reach each node of the tree. */
function countRows(tree: FlatTree, X: Float64Array, nFeatures: number, nRows: number): Float64Array {
  const counts = new Float64Array(tree.feature.length);
  for (let r = 0; r < nRows; r++) {
    let node = 0;
    counts[0]++;
    while (tree.feature[node] !== -1) {
      const x = X[r * nFeatures + tree.feature[node]];
      node = x <= tree.threshold[node] ? tree.left[node] : tree.left[node] + 1;
      counts[node]++;
    }
  }
  return counts;
}

function toRows(X: Float64Array, nFeatures: number, nRows = X.length / nFeatures): number[][] {
  return Array.from({ length: nRows }, (_, i) => Array.from(X.subarray(i * nFeatures, (i + 1) * nFeatures)));
}
