import { FlatTree } from './flat-tree';
import { InvalidInputError } from './invalid-input.error';
import { Block8, compileBlock8 } from './tree-kernel';

const ROW_BLOCK = 256;

/**
 * All trees of a model concatenated into one set of typed arrays for fast batch inference. Every tree has
 * `valuesPerLeaf` outputs that are added to the output columns starting at `outputOffset[t]`.
 * Internally the right child is always `left + 1`, NaN is replaced by ∓Infinity according to the node's default
 * direction, and leaves point to themselves with an infinite threshold, so one step is branch-free:
 * `node = left[node] + +(x > threshold[node])`.
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
        this.threshold[g] = leaf ? Infinity : tree.threshold[i];
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
      let rest = fast ? this.block8(X, r0, r1, from, to, out) : r0;
      if (fast && rest < r1 && r1 - r0 >= 8) rest = this.tail8(X, r1, rest, from, to, out);
      for (let t = from; t < to; t++) {
        for (let r = rest; r < r1; r++) this.addLeaf(out, r, t, this.walk(X, r * nF, this.roots[t]));
      }
    }
  }

  /**
   * The last rows of a block that do not fill a group of eight: walks the block's last eight rows (some of them
   * already done) into scratch, and adds only the rows from `rest` on. Cheaper than one slow walk per row.
   */
  private tail8(X: Float64Array, r1: number, rest: number, from: number, to: number, out: Float64Array): number {
    const k = this.nOutputs;
    const first = r1 - 8;
    const scratch = new Float64Array(8 * k);
    this.block8(X.subarray(first * this.nFeatures, r1 * this.nFeatures), 0, 8, from, to, scratch);
    for (let i = (rest - first) * k; i < 8 * k; i++) out[first * k + i] += scratch[i];
    return r1;
  }

  /** One row, any values (NaN follows the node's default direction). */
  private walk(X: Float64Array, base: number, root: number): number {
    const { feature, stepFeature, threshold, left, nanValue } = this;
    let node = root;
    while (feature[node] >= 0) {
      let x = X[base + stepFeature[node]];
      if (x !== x) x = nanValue[node];
      node = left[node] + +(x > threshold[node]);
    }
    return node;
  }

  /**
   * Compiles this ensemble's own eight-row kernel (see compileBlock8): about 2× faster than the shared one.
   * Worth it for a model that serves many predictions; not for a throwaway ensemble inside training.
   */
  compile(): this {
    const { feature, stepFeature, threshold, left, roots, value, outputOffset, nFeatures, nOutputs } = this;
    const arrays = { feature, stepFeature, threshold, left, roots, value, outputOffset, nFeatures, nOutputs };
    this.block8 = compileBlock8({ ...arrays, valuesPerLeaf: this.valuesPerLeaf });
    return this;
  }

  /** The eight-row kernel shared by every ensemble until compile() gives this one its own. */
  private block8: Block8 = (X, r0, r1, from, to, out) => {
    const { feature, stepFeature: sf, threshold: th, left } = this;
    const nF = this.nFeatures;
    const end = r0 + ((r1 - r0) & ~7);
    for (let t = from; t < to; t++) {
      const root = this.roots[t];
      for (let r = r0; r < end; r += 8) {
        // Eight independent walks overlap in the CPU; each step is branch-free.
        const b0 = r * nF;
        const b1 = b0 + nF;
        const b2 = b1 + nF;
        const b3 = b2 + nF;
        const b4 = b3 + nF;
        const b5 = b4 + nF;
        const b6 = b5 + nF;
        const b7 = b6 + nF;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        let n4 = root;
        let n5 = root;
        let n6 = root;
        let n7 = root;
        while (
          (feature[n0] &
            feature[n1] &
            feature[n2] &
            feature[n3] &
            feature[n4] &
            feature[n5] &
            feature[n6] &
            feature[n7]) >=
          0
        ) {
          n0 = left[n0] + +(X[b0 + sf[n0]] > th[n0]);
          n1 = left[n1] + +(X[b1 + sf[n1]] > th[n1]);
          n2 = left[n2] + +(X[b2 + sf[n2]] > th[n2]);
          n3 = left[n3] + +(X[b3 + sf[n3]] > th[n3]);
          n4 = left[n4] + +(X[b4 + sf[n4]] > th[n4]);
          n5 = left[n5] + +(X[b5 + sf[n5]] > th[n5]);
          n6 = left[n6] + +(X[b6 + sf[n6]] > th[n6]);
          n7 = left[n7] + +(X[b7 + sf[n7]] > th[n7]);
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
    }
    return end;
  };

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

/** No NaN and no ±Infinity (the eight-row walk has no NaN handling; leaves hold an infinite threshold). */
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
