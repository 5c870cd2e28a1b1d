/**
 * Adds the leaf values of trees [from, to) for the first `nRows` rows of the ensemble's row block (see
 * KernelArrays.rows) into `out`, the block's first row being output row `outRow`. For every row and output, the
 * leaf value of tree t is added before that of tree t + 1.
 */
export type BlockKernel = (nRows: number, outRow: number, from: number, to: number, out: Float64Array) => void;

/** The flat arrays of a tree ensemble, as TreeEnsemble lays them out (see there). */
export interface KernelArrays {
  /** The row block: each row's nFeatures values followed by the same values negated (stride 2 × nFeatures). */
  rows: Float64Array;
  /** First child (the one missing values go to); the other child is `child + 1`; a leaf is its own child. */
  child: Int32Array;
  /** Where a node reads its value in a row of the block; 0 on leaves. */
  slot: Int32Array;
  /** A node goes to `child + 1` when its value is greater; +Infinity on leaves. */
  threshold: Float64Array;
  roots: Int32Array;
  /** Steps from a tree's root to its deepest leaf. */
  depth: Int32Array;
  /** Largest depth of trees t to t + 7. */
  groupDepth: Int32Array;
  value: Float64Array;
  outputOffset: Int32Array;
  nFeatures: number;
  nOutputs: number;
  valuesPerLeaf: number;
}

const WAYS = [0, 1, 2, 3, 4, 5, 6, 7];
const each = (line: (i: number) => string): string => WAYS.map(line).join('\n');

// Eight independent walks overlap in the CPU; each step is branch-free (`+(x > t)` compiles to a compare-and-set),
// and a walk takes a fixed number of steps (a leaf stays where it is), so no leaf test either. rows8 walks eight
// rows through one tree (batches; the root, the same for all eight, is read once), trees8 one row through eight
// trees (single rows and the last rows of a block).
// They stay small functions of their own: V8 optimizes them with the arrays as constants, which it does not do for
// a long loop optimized while it runs (on-stack replacement).
const BODY = `
const { rows: R, child, slot, threshold: th, roots, depth, groupDepth, value, outputOffset, nFeatures, nOutputs, valuesPerLeaf: k } = arrays;
const stride = 2 * nFeatures;
function rows8(r, t, out, o) {
  const root = roots[t];
  const c = child[root];
  const f = slot[root];
  const h = th[root];
  ${each((i) => `const b${i} = (r + ${i}) * stride; let n${i} = c + +(R[b${i} + f] > h);`)}
  for (let s = depth[t] - 1; s > 0; s--) {
    ${each((i) => `n${i} = child[n${i}] + +(R[b${i} + slot[n${i}]] > th[n${i}]);`)}
  }
  const at = o * nOutputs + outputOffset[t];
  if (k === 1) {
    ${each((i) => `out[at + ${i} * nOutputs] += value[n${i}];`)}
  } else {
    ${each((i) => `for (let j = 0; j < k; j++) out[at + ${i} * nOutputs + j] += value[n${i} * k + j];`)}
  }
}
function trees8(b, t, out, at) {
  ${each((i) => `let n${i} = roots[t + ${i}];`)}
  for (let s = groupDepth[t]; s > 0; s--) {
    ${each((i) => `n${i} = child[n${i}] + +(R[b + slot[n${i}]] > th[n${i}]);`)}
  }
  if (k === 1) {
    ${each((i) => `out[at + outputOffset[t + ${i}]] += value[n${i}];`)}
  } else {
    ${each((i) => `for (let j = 0; j < k; j++) out[at + outputOffset[t + ${i}] + j] += value[n${i} * k + j];`)}
  }
}
function tree1(b, t, out, at) {
  let n = roots[t];
  for (let s = depth[t]; s > 0; s--) n = child[n] + +(R[b + slot[n]] > th[n]);
  for (let j = 0; j < k; j++) out[at + outputOffset[t] + j] += value[n * k + j];
}
return function blockKernel(nRows, outRow, from, to, out) {
  const end = nRows & ~7;
  for (let t = from; t < to; t++) for (let r = 0; r < end; r += 8) rows8(r, t, out, outRow + r);
  for (let r = end; r < nRows; r++) {
    const b = r * stride;
    const at = (outRow + r) * nOutputs;
    let t = from;
    for (; t + 8 <= to; t += 8) trees8(b, t, out, at);
    for (; t < to; t++) tree1(b, t, out, at);
  }
};`;

let compiled = 0;

/**
 * Builds one ensemble's own copy of the kernel. Each copy has its own source text (a numbered comment), so V8
 * optimizes it for this ensemble alone and embeds its arrays, the row block included, as constants: no reloads of
 * array bases and lengths inside the walk, and bounds checks against constants. The code is the fixed template
 * above; no model data becomes source text. This is the technique fastify's serializers and ajv use.
 */
export function compileBlockKernel(arrays: KernelArrays): BlockKernel {
  compiled++;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed template, see above
  const factory = new Function('arrays', `'use strict'; // tree-ensemble kernel ${compiled}\n${BODY}`) as (
    a: KernelArrays,
  ) => BlockKernel;
  return factory(arrays);
}
