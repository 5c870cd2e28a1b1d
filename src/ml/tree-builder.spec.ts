import { FlatTree } from './flat-tree';
import { roundSignificant } from './precision.util';
import { QuantileBinner } from './quantile-binner';
import { Rng } from './random';
import { BinnedMatrix, BuiltTree, TreeBuilder, TreeGrowthParams, TreeTask } from './tree-builder';

const UNLIMITED: TreeGrowthParams = {
  maxDepth: -1,
  maxLeaves: -1,
  minSamplesLeaf: 1,
  minHessianLeaf: 0,
  lambda: 0,
  minGainToSplit: 0,
  maxFeaturesPerSplit: 255,
};

interface Data {
  X: Float64Array;
  nFeatures: number;
  matrix: BinnedMatrix;
}

function binnedData(X: Float64Array, nFeatures: number, maxBins = 255): Data {
  const binner = QuantileBinner.fit(X, nFeatures, { maxBins });
  const nRows = X.length / nFeatures;
  return { X, nFeatures, matrix: { binned: binner.transform(X), nRows, nFeatures, thresholds: binner.thresholds } };
}

/** nRows × nFeatures uniform values in [0, 1), a share of them missing. */
function randomData(nRows: number, nFeatures: number, seed: number, missingRate = 0): Data {
  const rng = new Rng(seed);
  const X = Float64Array.from({ length: nRows * nFeatures }, () => (rng.next() < missingRate ? NaN : rng.next()));
  return binnedData(X, nFeatures);
}

function task(gradients: Float64Array, hessians: Float64Array, nFeatures: number, overrides: Partial<TreeTask> = {}) {
  return {
    gradients,
    hessians,
    rows: Int32Array.from({ length: hessians.length }, (_, i) => i),
    features: Int32Array.from({ length: nFeatures }, (_, i) => i),
    leafScale: 1,
    rng: new Rng(1),
    importance: new Float64Array(nFeatures),
    ...overrides,
  };
}

/** Regression-style inputs whose leaf value is the mean of y: gradient -y, hessian 1. */
function meanTask(y: ArrayLike<number>, nFeatures: number, overrides: Partial<TreeTask> = {}) {
  return task(
    Float64Array.from(y, (v) => -v),
    new Float64Array(y.length).fill(1),
    nFeatures,
    overrides,
  );
}

/** Leaf reached by row r, comparing raw values with the thresholds (NaN follows defaultLeft), as inference does. */
function leafOfRaw(tree: FlatTree, data: Data, r: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const x = data.X[r * data.nFeatures + tree.feature[node]];
    const goLeft = Number.isNaN(x) ? tree.defaultLeft[node] === 1 : x <= tree.threshold[node];
    node = goLeft ? tree.left[node] : tree.left[node] + 1;
  }
  return node;
}

/** Leaf reached by row r, comparing bin codes with the split bins. */
function leafOfBinned({ tree, splitBin }: BuiltTree, data: Data, r: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    const f = tree.feature[node];
    const code = data.matrix.binned[r * data.nFeatures + f];
    const goLeft =
      code === data.matrix.thresholds[f].length + 1 ? tree.defaultLeft[node] === 1 : code <= splitBin[node];
    node = goLeft ? tree.left[node] : tree.left[node] + 1;
  }
  return node;
}

function leafDepths(tree: FlatTree): number[] {
  const depths: number[] = [];
  const visit = (node: number, depth: number): void => {
    if (tree.feature[node] < 0) depths.push(depth);
    else [tree.left[node], tree.left[node] + 1].forEach((child) => visit(child, depth + 1));
  };
  visit(0, 0);
  return depths;
}

/** A target with structure on every feature plus noise, so that trees keep finding splits. */
function noisyTarget(data: Data, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: data.matrix.nRows }, (_, r) => {
    const x = data.X.subarray(r * data.nFeatures, (r + 1) * data.nFeatures);
    return Math.sin(6 * x[0]) + (x[1] > 0.5 ? 1 : 0) + rng.next();
  });
}

describe('TreeBuilder', () => {
  it('fits a perfectly separable target exactly, missing values included', () => {
    const table = [3, -2, 7, 7, 0, 5, -4, 1, 1, 9];
    const n = 70;
    const X = Float64Array.from({ length: n }, (_, i) => (i % 7 === 3 ? NaN : i % 10));
    const y = Array.from(X, (x) => (Number.isNaN(x) ? 11 : table[x]));
    const data = binnedData(X, 1);
    const { tree } = new TreeBuilder(data.matrix, 1, UNLIMITED).build(meanTask(y, 1));
    for (let r = 0; r < n; r++) expect(tree.value[leafOfRaw(tree, data, r)]).toBe(y[r]);
    // Pure nodes are not split: one leaf per run of equal targets (the two 7s and the two 1s are neighbours).
    expect(leafDepths(tree)).toHaveLength(new Set(y).size);
  });

  it.each([
    ['depth-first', -1],
    ['best-first', 40],
  ])('grows %s down to maxDepth and no further', (_, maxLeaves) => {
    const data = randomData(600, 3, 5);
    const y = noisyTarget(data, 6);
    const params = { ...UNLIMITED, maxDepth: 3, maxLeaves };
    const { tree } = new TreeBuilder(data.matrix, 1, params).build(meanTask(y, 3));
    expect(Math.max(...leafDepths(tree))).toBe(3);
  });

  it('stops at maxLeaves leaves', () => {
    const data = randomData(600, 3, 7);
    const y = noisyTarget(data, 8);
    const { tree } = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, maxLeaves: 7 }).build(meanTask(y, 3));
    expect(leafDepths(tree)).toHaveLength(7);
    expect(tree.feature).toHaveLength(13);
  });

  it('splits first where the gain is largest: with two leaves it makes the root split of the full tree', () => {
    const data = randomData(400, 3, 9);
    const y = noisyTarget(data, 10);
    const full = new TreeBuilder(data.matrix, 1, UNLIMITED).build(meanTask(y, 3)).tree;
    const stump = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, maxLeaves: 2 }).build(meanTask(y, 3)).tree;
    expect(stump.feature).toHaveLength(3);
    expect([stump.feature[0], stump.threshold[0]]).toEqual([full.feature[0], full.threshold[0]]);
  });

  it('splits the open leaf with the largest gain next, whichever child it is', () => {
    const data = randomData(400, 2, 27);
    for (const strongLeft of [true, false]) {
      // Root split on x0; one side then has a strong split on x1, the other a weak one.
      const y = Float64Array.from({ length: 400 }, (_, r) => {
        const [x0, x1] = [data.X[r * 2], data.X[r * 2 + 1]];
        const strong = x0 <= 0.5 === strongLeft;
        return (x0 > 0.5 ? 10 : 0) + (x1 > 0.5 ? (strong ? 5 : 0.1) : 0);
      });
      const { tree } = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, maxLeaves: 3 }).build(meanTask(y, 2));
      expect(tree.feature[0]).toBe(0);
      const [strongChild, weakChild] = strongLeft ? [1, 2] : [2, 1];
      expect([tree.feature[strongChild], tree.feature[weakChild]]).toEqual([1, -1]);
    }
  });

  it('gives every leaf −G/(H+λ) × leafScale of exactly the rows it routes there', () => {
    const data = randomData(900, 4, 11, 0.1);
    const rng = new Rng(12);
    const gradients = Float64Array.from({ length: 900 }, () => rng.next() * 4 - 2);
    const hessians = Float64Array.from({ length: 900 }, () => 0.2 + rng.next());
    const rows = Int32Array.from({ length: 600 }, (_, i) => Math.floor(i * 1.5)); // a subsample, ascending
    const params = { ...UNLIMITED, lambda: 2, minSamplesLeaf: 8, minHessianLeaf: 3, maxLeaves: 31 };
    const leafScale = 0.1;
    const built = new TreeBuilder(data.matrix, 1, params).build(task(gradients, hessians, 4, { rows, leafScale }));
    const { tree } = built;
    const sums = new Map<number, { g: number; h: number; n: number }>();
    for (const r of rows) {
      const leaf = leafOfRaw(tree, data, r);
      expect(leafOfBinned(built, data, r)).toBe(leaf);
      const s = sums.get(leaf) ?? { g: 0, h: 0, n: 0 };
      sums.set(leaf, { g: s.g + gradients[r], h: s.h + hessians[r], n: s.n + 1 });
    }
    const leaves = leafDepths(tree).length;
    expect(leaves).toBeGreaterThan(5);
    expect(sums.size).toBe(leaves); // no leaf without rows
    for (const [leaf, { g, h, n }] of sums) {
      expect(tree.value[leaf]).toBe(roundSignificant((-g / (h + params.lambda)) * leafScale) + 0);
      expect(n).toBeGreaterThanOrEqual(params.minSamplesLeaf);
      expect(h).toBeGreaterThanOrEqual(params.minHessianLeaf);
    }
  });

  it('ignores the rows left out of the task', () => {
    const data = randomData(300, 2, 13);
    const y = noisyTarget(data, 14);
    const rows = Int32Array.from({ length: 150 }, (_, i) => 2 * i);
    const builder = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, maxLeaves: 8 });
    const first = builder.build(meanTask(y, 2, { rows })).tree;
    const changed = Float64Array.from(y, (v, r) => (r % 2 === 1 ? 1000 : v));
    expect(builder.build(meanTask(changed, 2, { rows })).tree).toEqual(first);
  });

  it('stores one value per output on each leaf (class frequencies for one-hot gradients)', () => {
    const data = randomData(300, 2, 15);
    const labels = Array.from({ length: 300 }, (_, r) => (data.X[r * 2] < 0.3 ? 0 : data.X[r * 2 + 1] < 0.5 ? 1 : 2));
    const gradients = new Float64Array(300 * 3);
    labels.forEach((label, r) => (gradients[r * 3 + label] = -1));
    const params = { ...UNLIMITED, maxDepth: 1 };
    const { tree } = new TreeBuilder(data.matrix, 3, params).build(task(gradients, new Float64Array(300).fill(1), 2));
    expect(tree.nOutputs).toBe(3);
    expect(tree.value).toHaveLength(3 * 3);
    for (const leaf of [1, 2]) {
      const routed = labels.filter((_, r) => leafOfRaw(tree, data, r) === leaf);
      const frequencies = [0, 1, 2].map((c) => routed.filter((l) => l === c).length / routed.length);
      expect(Array.from(tree.value.subarray(leaf * 3, leaf * 3 + 3))).toEqual(
        frequencies.map((v) => roundSignificant(v)),
      );
    }
  });

  it('splits only on the task features and credits their gains', () => {
    const data = randomData(400, 3, 17);
    const y = noisyTarget(data, 18);
    const importance = new Float64Array(3);
    const features = Int32Array.of(2, 1);
    const { tree } = new TreeBuilder(data.matrix, 1, UNLIMITED).build(meanTask(y, 3, { features, importance }));
    const used = new Set(Array.from(tree.feature).filter((f) => f >= 0));
    expect([...used].sort()).toEqual([1, 2]);
    expect(importance[0]).toBe(0);
    expect(importance[1]).toBeGreaterThan(0);
    expect(importance[2]).toBeGreaterThan(0);
  });

  it('draws maxFeaturesPerSplit features per split from the task rng, reproducibly', () => {
    const data = randomData(400, 3, 19);
    const y = Float64Array.from({ length: 400 }, (_, r) => 10 * data.X[r * 3] + data.X[r * 3 + 1]);
    const builder = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, maxLeaves: 2, maxFeaturesPerSplit: 1 });
    const rootFeatures = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const a = builder.build(meanTask(y, 3, { rng: new Rng(seed) })).tree;
      const b = builder.build(meanTask(y, 3, { rng: new Rng(seed) })).tree;
      expect(b).toEqual(a);
      rootFeatures.add(a.feature[0]);
    }
    // With every feature searched, feature 0 always wins; drawing one feature per split lets the others in.
    expect(rootFeatures.size).toBeGreaterThan(1);
  });

  it('keeps the root a leaf when no split gains more than minGainToSplit', () => {
    const data = randomData(200, 2, 21);
    const y = noisyTarget(data, 22);
    const { tree } = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, minGainToSplit: 1e9 }).build(meanTask(y, 2));
    expect(Array.from(tree.feature)).toEqual([-1]);
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    expect(tree.value[0]).toBeCloseTo(mean, 6);
  });

  it('builds the same tree again after building others with the same builder', () => {
    const data = randomData(500, 3, 23, 0.05);
    const builder = new TreeBuilder(data.matrix, 1, { ...UNLIMITED, maxLeaves: 16, minSamplesLeaf: 3 });
    const first = builder.build(meanTask(noisyTarget(data, 24), 3));
    builder.build(meanTask(noisyTarget(data, 25), 3));
    expect(builder.build(meanTask(noisyTarget(data, 24), 3))).toEqual(first);
  });
});
