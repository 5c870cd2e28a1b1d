import { asRecord, JsonRecord, readFloat64Array, readInt32Array } from './json-reader.util';
import { ModelFormatError } from './model-format.error';

/**
 * A decision tree as parallel typed arrays, one entry per node. Node 0 is the root; an internal node's children are
 * `left[i]` and `left[i] + 1`, always after the node itself. A node is a leaf when `feature[i] === -1`; otherwise a row goes left when
 * `x[feature] <= threshold`, right when `x[feature] > threshold`, and to the `defaultLeft` side when x is NaN.
 * `value` holds `nOutputs` numbers per node (meaningful on leaves only).
 */
export interface FlatTree {
  readonly nOutputs: number;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly defaultLeft: Uint8Array;
  readonly value: Float64Array;
  /**
   * Training weight that reached each node (XGBoost's sum_hessian), when the tree came with it: what path-dependent
   * explanations weigh the two sides of an unseen split by.
   */
  readonly cover?: Float64Array;
}

export interface FlatTreeJson {
  feature: number[];
  threshold: number[];
  left: number[];
  defaultLeft: number[];
  value: number[];
  cover?: number[];
}

export function nodeCount(tree: FlatTree): number {
  return tree.feature.length;
}

export function flatTreeToJSON(tree: FlatTree): FlatTreeJson {
  return {
    feature: Array.from(tree.feature),
    threshold: Array.from(tree.threshold),
    left: Array.from(tree.left),
    defaultLeft: Array.from(tree.defaultLeft),
    value: Array.from(tree.value),
    ...(tree.cover ? { cover: Array.from(tree.cover) } : {}),
  };
}

/** Validates and rebuilds a tree; rejects cycles, dangling children and out-of-range features. */
export function flatTreeFromJSON(json: unknown, nFeatures: number, nOutputs: number, what: string): FlatTree {
  const obj: JsonRecord = asRecord(json, what);
  const n = countOf(obj, what);
  if (n === 0) throw new ModelFormatError(`${what} has no nodes`);
  const feature = readInt32Array(obj, 'feature', what, n, -1, nFeatures - 1);
  const threshold = readFloat64Array(obj, 'threshold', what, n);
  const left = readInt32Array(obj, 'left', what, n, -1, n - 1);
  const defaultLeft = Uint8Array.from(readInt32Array(obj, 'defaultLeft', what, n, 0, 1));
  const value = readFloat64Array(obj, 'value', what, n * nOutputs);
  for (let i = 0; i < n; i++) {
    const leaf = feature[i] === -1;
    const childrenOk = leaf ? left[i] === -1 : left[i] > i && left[i] + 1 < n;
    if (!childrenOk) throw new ModelFormatError(`${what} node ${i} has invalid children`);
  }
  const cover = obj.cover === undefined ? undefined : readFloat64Array(obj, 'cover', what, n);
  return { nOutputs, feature, threshold, left, defaultLeft, value, ...(cover ? { cover } : {}) };
}

function countOf(obj: JsonRecord, what: string): number {
  const feature = obj.feature;
  if (!Array.isArray(feature)) throw new ModelFormatError(`${what}.feature must be an array`);
  return feature.length;
}
