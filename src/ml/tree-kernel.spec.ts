import { FlatTree } from './flat-tree';
import { Rng } from './random';
import { TreeEnsemble } from './tree-ensemble';

// Bit-identity of TreeEnsemble.accumulate (both kernels) with a straightforward walk of the original trees: a row
// goes left when x <= threshold, to the learned side when x is NaN, and each output adds the leaf values tree after
// tree onto what `out` already holds (the base score).

const ADJACENT = new Float64Array(1);
const ADJACENT_BITS = new BigInt64Array(ADJACENT.buffer);

/** The double next to x (finite, non-zero) away from zero (+1) or towards it (-1). */
function adjacent(x: number, direction: 1 | -1): number {
  ADJACENT[0] = x;
  ADJACENT_BITS[0] += BigInt(direction);
  return ADJACENT[0];
}

const EDGE_THRESHOLDS = [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, -Infinity];

function thresholdPool(rng: Rng): number[] {
  const plain = Array.from({ length: 12 }, () => Math.round((rng.next() - 0.5) * 80) / 8);
  return [...plain, ...EDGE_THRESHOLDS];
}

/** Leaf values of very different magnitudes, so that another order of additions changes the sums. */
function leafValue(rng: Rng): number {
  if (rng.next() < 0.02) return -0;
  return (rng.next() - 0.5) * 10 ** rng.int(14);
}

/** A random tree, children numbered depth-first (unlike TreeEnsemble's breadth-first layout). */
function randomTree(rng: Rng, nFeatures: number, valuesPerLeaf: number, pool: number[]): FlatTree {
  const feature: number[] = [-1];
  const threshold: number[] = [0];
  const left: number[] = [-1];
  const defaultLeft: number[] = [0];
  const maxDepth = rng.int(10);
  const grow = (node: number, depth: number): void => {
    if (depth >= maxDepth || (depth > 0 && rng.next() < 0.25)) return;
    const child = feature.length;
    feature[node] = rng.int(nFeatures);
    threshold[node] = pool[rng.int(pool.length)];
    left[node] = child;
    defaultLeft[node] = rng.int(2);
    feature.push(-1, -1);
    threshold.push(0, 0);
    left.push(-1, -1);
    defaultLeft.push(0, 0);
    grow(child, depth + 1);
    grow(child + 1, depth + 1);
  };
  grow(0, 0);
  const n = feature.length;
  return {
    nOutputs: valuesPerLeaf,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    defaultLeft: Uint8Array.from(defaultLeft),
    value: Float64Array.from({ length: n * valuesPerLeaf }, () => leafValue(rng)),
  };
}

/** Rows of thresholds, their neighbouring doubles, NaN, ±Infinity, ±0 and plain numbers. */
function randomRows(rng: Rng, nRows: number, nFeatures: number, pool: number[]): Float64Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  return Float64Array.from({ length: nRows * nFeatures }, () => {
    const kind = rng.next();
    if (kind < 0.1) return specials[rng.int(specials.length)];
    const t = pool[rng.int(pool.length)];
    if (kind < 0.5 || !Number.isFinite(t) || t === 0) return t;
    if (kind < 0.75) return adjacent(t, rng.next() < 0.5 ? 1 : -1);
    return (rng.next() - 0.5) * 20;
  });
}

interface Coverage {
  equal: number;
  nanLeft: number;
  nanRight: number;
  infinite: number;
}

function referenceLeaf(tree: FlatTree, X: Float64Array, at: number, seen: Coverage): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const x = X[at + tree.feature[node]];
    const t = tree.threshold[node];
    let goLeft: boolean;
    if (Number.isNaN(x)) {
      goLeft = tree.defaultLeft[node] === 1;
      if (goLeft) seen.nanLeft++;
      else seen.nanRight++;
    } else {
      goLeft = x <= t;
      if (x === t) seen.equal++;
      if (!Number.isFinite(x)) seen.infinite++;
    }
    node = goLeft ? tree.left[node] : tree.left[node] + 1;
  }
  return node;
}

interface Model {
  trees: FlatTree[];
  offsets: Int32Array;
  valuesPerLeaf: number;
  nFeatures: number;
  nOutputs: number;
  base: Float64Array;
}

/** base, then tree 0's leaf value, then tree 1's, … per output (`grouped`: base + (sum of the trees) instead). */
function reference(m: Model, X: Float64Array, nRows: number, seen: Coverage, grouped = false): Float64Array {
  const { nOutputs: K, valuesPerLeaf: k } = m;
  const out = new Float64Array(nRows * K);
  for (let r = 0; r < nRows; r++) {
    const sums = grouped ? new Float64Array(K) : out.subarray(r * K, (r + 1) * K);
    if (!grouped) sums.set(m.base);
    m.trees.forEach((tree, t) => {
      const leaf = referenceLeaf(tree, X, r * m.nFeatures, seen);
      for (let j = 0; j < k; j++) sums[m.offsets[t] + j] += tree.value[leaf * k + j];
    });
    if (grouped) for (let j = 0; j < K; j++) out[r * K + j] = m.base[j] + sums[j];
  }
  return out;
}

function ensembleOf(m: Model, compiled: boolean): TreeEnsemble {
  const ensemble = new TreeEnsemble(m.trees, m.offsets, m.valuesPerLeaf, m.nFeatures, m.nOutputs);
  return compiled ? ensemble.compile() : ensemble;
}

function predict(m: Model, ensemble: TreeEnsemble, X: Float64Array, nRows: number): Float64Array {
  const out = new Float64Array(nRows * m.nOutputs);
  for (let r = 0; r < nRows; r++) out.set(m.base, r * m.nOutputs);
  ensemble.accumulate(X, nRows, out);
  return out;
}

/** The exact bits of each value (NaN payloads and -0 included). */
const bitsOf = (a: Float64Array): bigint[] => Array.from(new BigInt64Array(a.buffer, a.byteOffset, a.length));

interface Shape {
  nTrees: number;
  nFeatures: number;
  nOutputs: number;
  valuesPerLeaf: number;
  offset: (t: number, rng: Rng) => number;
}

const SHAPES: [string, Shape][] = [
  ['regression, 37 trees', { nTrees: 37, nFeatures: 6, nOutputs: 1, valuesPerLeaf: 1, offset: () => 0 }],
  ['regression, 5 trees', { nTrees: 5, nFeatures: 4, nOutputs: 1, valuesPerLeaf: 1, offset: () => 0 }],
  [
    'multi-class boosting, tree t into output t % 3',
    { nTrees: 39, nFeatures: 5, nOutputs: 3, valuesPerLeaf: 1, offset: (t) => t % 3 },
  ],
  ['random forest, 3 values per leaf', { nTrees: 21, nFeatures: 7, nOutputs: 3, valuesPerLeaf: 3, offset: () => 0 }],
  [
    '2 values per leaf at random offsets of 5 outputs',
    { nTrees: 19, nFeatures: 5, nOutputs: 5, valuesPerLeaf: 2, offset: (_, rng) => rng.int(4) },
  ],
  ['300 features (24-row blocks)', { nTrees: 11, nFeatures: 300, nOutputs: 1, valuesPerLeaf: 1, offset: () => 0 }],
];

const ROW_COUNTS = [...Array.from({ length: 20 }, (_, i) => i + 1), 257, 300];
const POOL_ROWS = 320;

function randomModel(shape: Shape, seed: number): { model: Model; X: Float64Array } {
  const rng = new Rng(seed);
  const pool = thresholdPool(rng);
  const model: Model = {
    trees: Array.from({ length: shape.nTrees }, () => randomTree(rng, shape.nFeatures, shape.valuesPerLeaf, pool)),
    offsets: Int32Array.from({ length: shape.nTrees }, (_, t) => shape.offset(t, rng)),
    valuesPerLeaf: shape.valuesPerLeaf,
    nFeatures: shape.nFeatures,
    nOutputs: shape.nOutputs,
    base: Float64Array.from({ length: shape.nOutputs }, () => leafValue(rng) + 0.1),
  };
  return { model, X: randomRows(rng, POOL_ROWS, shape.nFeatures, pool) };
}

describe('TreeEnsemble kernels, bit for bit against a reference walk', () => {
  describe.each(SHAPES)('%s', (_, shape) => {
    const { model, X } = randomModel(shape, 1000 + shape.nTrees);

    it('random rows cover NaN both ways, ±Infinity, values equal to thresholds, and the order of additions matters', () => {
      const seen: Coverage = { equal: 0, nanLeft: 0, nanRight: 0, infinite: 0 };
      const inOrder = reference(model, X, POOL_ROWS, seen);
      expect(seen.equal).toBeGreaterThan(20);
      expect(seen.nanLeft).toBeGreaterThan(5);
      expect(seen.nanRight).toBeGreaterThan(5);
      expect(seen.infinite).toBeGreaterThan(20);
      // Summing in another order gives other bits: the specs below would notice a change of order.
      expect(bitsOf(reference(model, X, POOL_ROWS, seen, true))).not.toEqual(bitsOf(inOrder));
    });

    it.each([
      ['the shared kernel', false],
      ['a compiled kernel', true],
    ])('%s adds the same bits as the reference walk for 1 to 20, 257 and 300 rows', (_, compiled) => {
      const seen: Coverage = { equal: 0, nanLeft: 0, nanRight: 0, infinite: 0 };
      // One ensemble for every count: what a call leaves in the row block must not leak into the next one.
      const ensemble = ensembleOf(model, compiled);
      for (const nRows of ROW_COUNTS) {
        const start = (nRows * 7) % (POOL_ROWS - nRows + 1);
        const rows = X.subarray(start * shape.nFeatures, (start + nRows) * shape.nFeatures);
        const actual = predict(model, ensemble, rows, nRows);
        expect({ nRows, bits: bitsOf(actual) }).toEqual({ nRows, bits: bitsOf(reference(model, rows, nRows, seen)) });
      }
    });
  });

  it('a row gets the same bits alone as anywhere in a batch', () => {
    const { model, X } = randomModel(SHAPES[0][1], 7);
    const ensemble = ensembleOf(model, true);
    const batch = predict(model, ensemble, X, 100);
    for (let r = 0; r < 100; r++) {
      const alone = predict(model, ensemble, X.subarray(r * model.nFeatures, (r + 1) * model.nFeatures), 1);
      expect(bitsOf(alone)).toEqual(bitsOf(batch.subarray(r, r + 1)));
    }
  });

  it('trees [from, to) in two calls add the same bits as all trees in one', () => {
    const { model, X } = randomModel(SHAPES[2][1], 8);
    const ensemble = new TreeEnsemble(model.trees, model.offsets, 1, model.nFeatures, model.nOutputs).compile();
    for (const nRows of [3, 40]) {
      const [once, twice] = [new Float64Array(nRows * 3).fill(0.5), new Float64Array(nRows * 3).fill(0.5)];
      ensemble.accumulate(X, nRows, once);
      ensemble.accumulate(X, nRows, twice, 0, 13);
      ensemble.accumulate(X, nRows, twice, 13);
      expect(bitsOf(twice)).toEqual(bitsOf(once));
    }
  });
});
