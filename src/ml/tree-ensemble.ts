import { FlatTree } from './flat-tree';
import { InvalidInputError } from './invalid-input.error';

const ROW_BLOCK = 256;

/**
 * All trees of a model concatenated into one set of typed arrays for fast batch inference. Every tree has
 * `valuesPerLeaf` outputs that are added to the output columns starting at `outputOffset[t]`.
 * Internally the right child is always `left + 1`, NaN is replaced by ∓Infinity according to the node's default
 * direction, and leaves point to themselves with an infinite threshold, so one step is branch-free:
 * `node = left[node] + (x > threshold[node] ? 1 : 0)`.
 */
export class TreeEnsemble {
  private readonly roots: Int32Array;
  /** Split feature, -1 on leaves (loop condition). */
  private readonly feature: Int32Array;
  /** Split feature, 0 on leaves (safe to load). */
  private readonly stepFeature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly left: Int32Array;
  private readonly nanValue: Float64Array;
  private readonly value: Float64Array;

  constructor(
    trees: readonly FlatTree[],
    private readonly outputOffset: Int32Array,
    private readonly valuesPerLeaf: number,
    readonly nFeatures: number,
    readonly nOutputs: number,
  ) {
    let total = 0;
    for (const tree of trees) total += tree.feature.length;
    this.roots = new Int32Array(trees.length);
    this.feature = new Int32Array(total);
    this.stepFeature = new Int32Array(total);
    this.threshold = new Float64Array(total);
    this.left = new Int32Array(total);
    this.nanValue = new Float64Array(total);
    this.value = new Float64Array(total * valuesPerLeaf);
    let base = 0;
    for (let t = 0; t < trees.length; t++) {
      const tree = trees[t];
      this.roots[t] = base;
      this.value.set(tree.value, base * valuesPerLeaf);
      for (let i = 0; i < tree.feature.length; i++) {
        const g = base + i;
        const leaf = tree.feature[i] < 0;
        this.feature[g] = tree.feature[i];
        this.stepFeature[g] = leaf ? 0 : tree.feature[i];
        this.threshold[g] = leaf ? Infinity : tree.threshold[i] + 0; // + 0 turns -0 into 0 for the sign test
        this.left[g] = leaf ? g : tree.left[i] + base;
        this.nanValue[g] = leaf || tree.defaultLeft[i] === 1 ? -Infinity : Infinity;
      }
      base += tree.feature.length;
    }
  }

  get nTrees(): number {
    return this.roots.length;
  }

  /** Adds the leaf values of trees [from, to) for every row of X into `out` (nRows × nOutputs, row-major). */
  accumulate(X: Float64Array, nRows: number, out: Float64Array, from = 0, to = this.roots.length): void {
    checkMatrix(X, nRows, this.nFeatures);
    const nF = this.nFeatures;
    // Rows in blocks, all trees per block: the block stays in cache while the trees walk it.
    for (let r0 = 0; r0 < nRows; r0 += ROW_BLOCK) {
      const r1 = Math.min(nRows, r0 + ROW_BLOCK);
      const fast = allFinite(X, r0 * nF, r1 * nF);
      for (let t = from; t < to; t++) {
        let r = r0;
        if (fast) for (; r + 8 <= r1; r += 8) this.walk8(X, r, t, out);
        for (; r < r1; r++) this.addLeaf(out, r, t, this.walk(X, r * nF, this.roots[t]));
      }
    }
  }

  /** One row, any values (NaN follows the node's default direction). */
  private walk(X: Float64Array, base: number, root: number): number {
    const { feature, stepFeature, threshold, left, nanValue } = this;
    let node = root;
    while (feature[node] >= 0) {
      let x = X[base + stepFeature[node]];
      if (x !== x) x = nanValue[node];
      SIGN_F64[0] = threshold[node] - x;
      node = left[node] + (SIGN_I32[1] >>> 31);
    }
    return node;
  }

  /**
   * Eight NaN-free rows at once: their independent walks overlap in the CPU. The step is branch-free: the sign bit
   * of `threshold - x` (read through a Float64Array/Int32Array view) is 1 exactly when x > threshold.
   */
  private walk8(X: Float64Array, r: number, t: number, out: Float64Array): void {
    const { feature, stepFeature: sf, threshold: th, left } = this;
    const nF = this.nFeatures;
    const f = SIGN_F64;
    const s = SIGN_I32;
    const b0 = r * nF;
    const [b1, b2, b3, b4, b5, b6, b7] = [
      b0 + nF,
      b0 + 2 * nF,
      b0 + 3 * nF,
      b0 + 4 * nF,
      b0 + 5 * nF,
      b0 + 6 * nF,
      b0 + 7 * nF,
    ];
    const root = this.roots[t];
    let n0 = root;
    let n1 = root;
    let n2 = root;
    let n3 = root;
    let n4 = root;
    let n5 = root;
    let n6 = root;
    let n7 = root;
    while (
      (feature[n0] & feature[n1] & feature[n2] & feature[n3] & feature[n4] & feature[n5] & feature[n6] & feature[n7]) >=
      0
    ) {
      f[0] = th[n0] - X[b0 + sf[n0]];
      f[1] = th[n1] - X[b1 + sf[n1]];
      f[2] = th[n2] - X[b2 + sf[n2]];
      f[3] = th[n3] - X[b3 + sf[n3]];
      f[4] = th[n4] - X[b4 + sf[n4]];
      f[5] = th[n5] - X[b5 + sf[n5]];
      f[6] = th[n6] - X[b6 + sf[n6]];
      f[7] = th[n7] - X[b7 + sf[n7]];
      n0 = left[n0] + (s[1] >>> 31);
      n1 = left[n1] + (s[3] >>> 31);
      n2 = left[n2] + (s[5] >>> 31);
      n3 = left[n3] + (s[7] >>> 31);
      n4 = left[n4] + (s[9] >>> 31);
      n5 = left[n5] + (s[11] >>> 31);
      n6 = left[n6] + (s[13] >>> 31);
      n7 = left[n7] + (s[15] >>> 31);
    }
    this.addLeaf(out, r, t, n0);
    this.addLeaf(out, r + 1, t, n1);
    this.addLeaf(out, r + 2, t, n2);
    this.addLeaf(out, r + 3, t, n3);
    this.addLeaf(out, r + 4, t, n4);
    this.addLeaf(out, r + 5, t, n5);
    this.addLeaf(out, r + 6, t, n6);
    this.addLeaf(out, r + 7, t, n7);
  }

  private addLeaf(out: Float64Array, r: number, t: number, node: number): void {
    const k = this.valuesPerLeaf;
    const at = r * this.nOutputs + this.outputOffset[t];
    if (k === 1) {
      out[at] += this.value[node];
      return;
    }
    for (let j = 0; j < k; j++) out[at + j] += this.value[node * k + j];
  }
}

/** Scratch for the branch-free comparison (the high word of a double holds its sign bit, little-endian). */
const SIGN_F64 = new Float64Array(8);
const SIGN_I32 = new Int32Array(SIGN_F64.buffer);

/** No NaN and no ±Infinity (an infinite x at a leaf would give Infinity - Infinity = NaN in the fast step). */
function allFinite(X: Float64Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (X[i] - X[i] !== 0) return false;
  return true;
}

/** Checks that X holds nRows complete rows of nFeatures values. */
export function checkMatrix(X: Float64Array, nRows: number, nFeatures: number): void {
  if (!Number.isInteger(nRows) || nRows < 0 || X.length < nRows * nFeatures) {
    throw new InvalidInputError(`X must hold ${nRows} rows of ${nFeatures} features, got ${X.length} values`);
  }
}

/** Number of complete rows in X, rejecting a length that is not a multiple of nFeatures. */
export function rowsOf(X: Float64Array, nFeatures: number): number {
  if (X.length % nFeatures !== 0) {
    throw new InvalidInputError(`X length ${X.length} is not a multiple of nFeatures ${nFeatures}`);
  }
  return X.length / nFeatures;
}
